//! PEM files named in the configuration (CA certificates, client certificates), read and
//! checked once at start so that a bad file is an error that names it and its configuration
//! key, not a failure at every connection.

use rustls::pki_types::pem::{self, PemObject};
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
    pub fn unusable(path: &Path, key: &'static str, problem: impl std::fmt::Display) -> Self {
        PemFileError::Unusable {
            key,
            path: path.to_owned(),
            problem: problem.to_string(),
        }
    }
}

/// The bytes of the file at `path`, named by configuration `key`.
pub fn read(path: &Path, key: &'static str) -> Result<Vec<u8>, PemFileError> {
    std::fs::read(path).map_err(|error| PemFileError::Read {
        key,
        path: path.to_owned(),
        error,
    })
}

/// What is wrong with PEM text, in words (the library's own messages print bytes as numbers).
fn pem_problem(error: &pem::Error) -> String {
    match error {
        pem::Error::MissingSectionEnd { .. } => {
            "a PEM section has no END line (a truncated file?)".into()
        }
        pem::Error::IllegalSectionStart { .. } => "a malformed BEGIN line".into(),
        pem::Error::Base64Decode(_) => "a PEM section is not valid base64".into(),
        other => other.to_string(),
    }
}

/// The PEM certificates in `pem` (the bytes of `path`), at least one.
pub fn certificates(
    pem: &[u8],
    path: &Path,
    key: &'static str,
) -> Result<Vec<CertificateDer<'static>>, PemFileError> {
    let found = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PemFileError::unusable(path, key, pem_problem(&e)))?;
    if found.is_empty() {
        return Err(PemFileError::unusable(
            path,
            key,
            "holds no PEM certificate (a DER .crt/.cer file can be converted with \
             `openssl x509 -inform der -in FILE -out FILE.pem`)",
        ));
    }
    Ok(found)
}

/// Adds the CA certificates of the file at `path` (named by configuration `key`) to `roots`;
/// returns those it added, as PEM (for libraries that take PEM, so that they trust exactly
/// what was reported). Certificates that cannot be trust anchors are skipped with a warning
/// that says which (as in a system bundle with an odd entry); a file with none that can is an
/// error.
pub fn add_trust_anchors(
    roots: &mut rustls::RootCertStore,
    path: &Path,
    key: &'static str,
) -> Result<Vec<u8>, PemFileError> {
    let pem = read(path, key)?;
    let found = certificates(&pem, path, key)?;
    let total = found.len();
    let (mut refused, mut added) = (Vec::new(), Vec::new());
    for (i, cert) in found.into_iter().enumerate() {
        match roots.add(cert.clone()) {
            Ok(()) => added.push(cert),
            Err(e) => {
                let why = match e {
                    rustls::Error::InvalidCertificate(e) => format!("{e:?}"),
                    other => other.to_string(),
                };
                refused.push(format!("certificate {} of {total}: {why}", i + 1));
            }
        }
    }
    if refused.len() == total {
        let problem = format!("no usable CA certificate ({})", refused.join("; "));
        return Err(PemFileError::unusable(path, key, problem));
    }
    if !refused.is_empty() {
        tracing::warn!(key, path = %path.display(), skipped = %refused.join("; "), "CA certificates skipped");
    }
    Ok(to_pem(&added))
}

/// Certificates as PEM text, 64 base64 characters a line.
fn to_pem(certs: &[CertificateDer<'_>]) -> Vec<u8> {
    use base64::Engine as _;
    let mut pem = String::new();
    for cert in certs {
        let text = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in text.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    pem.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_keeps_what_it_can_and_an_empty_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let pki = bluehook_testkit::pki::Pki::new(dir.path());
        let ca = std::fs::read_to_string(&pki.ca).unwrap();
        // A second "certificate" whose body is valid base64 but not a certificate.
        let odd = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let bundle = dir.path().join("bundle.pem");
        std::fs::write(&bundle, format!("{ca}{odd}")).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        let kept = add_trust_anchors(&mut roots, &bundle, "extra_ca_file").unwrap();
        assert_eq!(roots.len(), 1);
        // What it returns is the one usable certificate, as PEM that parses back to it.
        assert_eq!(
            certificates(&kept, &bundle, "extra_ca_file").unwrap(),
            certificates(ca.as_bytes(), &bundle, "extra_ca_file").unwrap()
        );

        let only_odd = dir.path().join("odd.pem");
        std::fs::write(&only_odd, odd).unwrap();
        let e = add_trust_anchors(&mut roots, &only_odd, "extra_ca_file")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("odd.pem") && e.contains("certificate 1 of 1"),
            "{e}"
        );

        let truncated = dir.path().join("truncated.pem");
        std::fs::write(&truncated, &ca[..ca.len() / 2]).unwrap();
        let e = add_trust_anchors(&mut roots, &truncated, "extra_ca_file")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("truncated.pem") && e.contains("no END line"),
            "{e}"
        );
    }
}
