//! PEM files named in the configuration (CA certificates, client certificates), read and
//! checked once at start so that a bad file is an error that names it and its configuration
//! key, not a failure at every connection.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::{Path, PathBuf};

/// A configured file that cannot be used. Each message is whole (it says what the underlying
/// error said), so these errors carry no separate source.
#[derive(Debug, thiserror::Error)]
pub enum PemFileError {
    /// It cannot be read.
    #[error("cannot read {key} {}: {error}", path.display())]
    Read {
        /// The configuration key that names it.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// It holds nothing usable.
    #[error("{key} {}: {problem}", path.display())]
    Unusable {
        /// The configuration key that names it.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it (never the contents of a key).
        problem: String,
    },
}

impl PemFileError {
    /// `path` (named by configuration `key`) holds nothing usable, because of `problem`.
    pub fn unusable(key: &'static str, path: &Path, problem: impl std::fmt::Display) -> Self {
        PemFileError::Unusable {
            key,
            path: path.to_owned(),
            problem: problem.to_string(),
        }
    }
}

/// The file's bytes.
pub fn read(path: &Path, key: &'static str) -> Result<Vec<u8>, PemFileError> {
    std::fs::read(path).map_err(|error| PemFileError::Read {
        key,
        path: path.to_owned(),
        error,
    })
}

/// The PEM certificates in `pem` (the bytes of `path`), at least one.
pub fn certificates(
    pem: &[u8],
    key: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, PemFileError> {
    let found = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            PemFileError::unusable(key, path, format_args!("not a PEM certificate file: {e}"))
        })?;
    if found.is_empty() {
        return Err(PemFileError::unusable(
            key,
            path,
            "holds no PEM certificate",
        ));
    }
    Ok(found)
}

/// The CA file at `path`: its bytes, once each certificate in it has been added to `roots` as
/// a trust anchor.
pub fn add_trust_anchors(
    roots: &mut rustls::RootCertStore,
    path: &Path,
    key: &'static str,
) -> Result<Vec<u8>, PemFileError> {
    let pem = read(path, key)?;
    for cert in certificates(&pem, key, path)? {
        roots.add(cert).map_err(|e| {
            PemFileError::unusable(key, path, format_args!("not a usable CA certificate: {e}"))
        })?;
    }
    Ok(pem)
}
