//! Redis clients of a BBB server: its URL and, for `rediss://`, the CA and client-certificate
//! files of its configuration.
//!
//! The files are read and checked once, when the client is made (at engine start), so that a
//! missing or wrong file is a startup error that names it, not a reconnect loop that only logs
//! handshake failures. A CA file replaces the public (Mozilla) roots; a client certificate
//! answers a Redis that asks for one (`tls-auth-clients yes`, its default with TLS).

use bluehook_core::config::{redact_url, RedisTls};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};

/// Why no client could be made.
#[derive(Debug, thiserror::Error)]
pub enum RedisClientError {
    /// The URL does not parse.
    #[error("invalid Redis URL {url}: {source}")]
    Url {
        /// The URL, password masked.
        url: String,
        /// Why.
        source: redis::RedisError,
    },
    /// A configured file cannot be read.
    #[error("cannot read {key} {}: {source}", path.display())]
    Read {
        /// The configuration key that names it.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A configured file holds nothing usable.
    #[error("{key} {}: {problem}", path.display())]
    Pem {
        /// The configuration key that names it.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The TLS settings were refused.
    #[error("Redis TLS settings: {0}")]
    Tls(redis::RedisError),
}

/// A client for `url` with the TLS files of `tls` (none: as the URL says).
pub fn open(url: &str, tls: &RedisTls) -> Result<redis::Client, RedisClientError> {
    if *tls == RedisTls::default() {
        return redis::Client::open(url).map_err(|source| RedisClientError::Url {
            url: redact_url(url),
            source,
        });
    }
    let root_cert = match &tls.ca_file {
        Some(path) => Some(certificates(path, "redis_ca_file")?),
        None => None,
    };
    let client_tls = match &tls.client {
        Some((cert, key)) => Some(redis::ClientTlsConfig {
            client_cert: certificates(cert, "redis_cert_file")?,
            client_key: private_key(key)?,
        }),
        None => None,
    };
    let certificates = redis::TlsCertificates {
        client_tls,
        root_cert,
    };
    redis::Client::build_with_tls(url, certificates).map_err(RedisClientError::Tls)
}

fn read(path: &Path, key: &'static str) -> Result<Vec<u8>, RedisClientError> {
    std::fs::read(path).map_err(|source| RedisClientError::Read {
        key,
        path: path.to_owned(),
        source,
    })
}

/// The file's bytes, once it is known to hold at least one PEM certificate and nothing that
/// fails to parse as one.
fn certificates(path: &Path, key: &'static str) -> Result<Vec<u8>, RedisClientError> {
    let pem = read(path, key)?;
    let problem = |problem: String| RedisClientError::Pem {
        key,
        path: path.to_owned(),
        problem,
    };
    let found = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| problem(format!("not a PEM certificate file: {e}")))?;
    if found.is_empty() {
        return Err(problem("holds no PEM certificate".into()));
    }
    Ok(pem)
}

/// The file's bytes, once it is known to hold a PEM private key.
fn private_key(path: &Path) -> Result<Vec<u8>, RedisClientError> {
    let key = "redis_key_file";
    let pem = read(path, key)?;
    // The key's bytes are never part of the message.
    PrivateKeyDer::from_pem_slice(&pem).map_err(|_| RedisClientError::Pem {
        key,
        path: path.to_owned(),
        problem: "holds no PEM private key".into(),
    })?;
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(ca: Option<&Path>, client: Option<(&Path, &Path)>) -> RedisTls {
        RedisTls {
            ca_file: ca.map(Path::to_owned),
            client: client.map(|(c, k)| (c.to_owned(), k.to_owned())),
        }
    }

    #[test]
    fn files_are_checked_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let (ca, key_file, junk) = (
            dir.path().join("ca.pem"),
            dir.path().join("client.key"),
            dir.path().join("junk.pem"),
        );
        std::fs::write(&ca, cert.pem()).unwrap();
        std::fs::write(&key_file, key.serialize_pem()).unwrap();
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let url = "rediss://127.0.0.1:6380";

        open(url, &tls(Some(&ca), Some((&ca, &key_file)))).unwrap();
        let missing = dir.path().join("missing.pem");
        let e = open(url, &tls(Some(&missing), None))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("redis_ca_file") && e.contains("missing.pem"),
            "{e}"
        );
        let e = open(url, &tls(Some(&junk), None)).unwrap_err().to_string();
        assert!(
            e.contains("junk.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
        let e = open(url, &tls(None, Some((&ca, &junk))))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("redis_key_file") && e.contains("no PEM private key"),
            "{e}"
        );
        let e = open(url, &tls(None, Some((&key_file, &key_file))))
            .unwrap_err()
            .to_string();
        assert!(e.contains("redis_cert_file"), "{e}");
        let e = open("http://x", &RedisTls::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid Redis URL"), "{e}");
    }
}
