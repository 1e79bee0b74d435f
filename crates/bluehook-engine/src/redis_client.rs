//! Redis clients of a BBB server: its URL and, for `rediss://`, the CA and client-certificate
//! files of its configuration.
//!
//! Everything is read and checked once, when the client is made (at engine start, before
//! anything else starts), so that a URL or file that cannot work is a startup error that names
//! it, not a reconnect loop that only logs handshake failures: the URL must parse, the CA file
//! must hold CA certificates, and the client certificate must be one whose key is in the key
//! file. A CA file replaces the public (Mozilla, compiled-in) roots; a client certificate
//! answers a Redis that asks for one (`tls-auth-clients yes`, its default with TLS).
//!
//! Not supported: `rediss://…#insecure` (no certificate check; refused with a pointer to
//! `redis_ca_file`), and encrypted private keys.

use crate::pem_files::{self, PemFileError};
use bluehook_core::config::{redact_url, RedisTls};
use redis::IntoConnectionInfo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivateKeyDer;
use std::path::{Path, PathBuf};

/// Why no client could be made. Each message is whole (it says what the underlying error
/// said), so these errors carry no separate source.
#[derive(Debug, thiserror::Error)]
pub enum RedisClientError {
    /// The URL does not parse.
    #[error("invalid redis_url {url}: {problem}")]
    Url {
        /// The URL, password masked.
        url: String,
        /// Why.
        problem: String,
    },
    /// `#insecure` asks for no certificate check.
    #[error(
        "redis_url {url}: #insecure (no certificate check) is not supported; give the CA of \
         the Redis server's certificate in redis_ca_file"
    )]
    Insecure {
        /// The URL, password masked.
        url: String,
    },
    /// A configured file cannot be used.
    #[error(transparent)]
    File(#[from] PemFileError),
    /// The client certificate and the key do not make a usable pair.
    #[error("redis_cert_file {} and redis_key_file {}: {problem}", cert.display(), key.display())]
    Pair {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why (never the key itself).
        problem: String,
    },
    /// The redis crate refused the TLS settings.
    #[error("Redis TLS settings: {0}")]
    Tls(String),
}

/// A client for `url` with the TLS files of `tls` (none: as the URL says).
pub fn open(url: &str, tls: &RedisTls) -> Result<redis::Client, RedisClientError> {
    let shown = redact_url(url);
    let info = url
        .into_connection_info()
        .map_err(|e| RedisClientError::Url {
            url: shown.clone(),
            problem: e.to_string(),
        })?;
    if let redis::ConnectionAddr::TcpTls { insecure: true, .. } = info.addr() {
        return Err(RedisClientError::Insecure { url: shown });
    }
    if *tls == RedisTls::default() {
        return redis::Client::open(info).map_err(|e| RedisClientError::Url {
            url: shown,
            problem: e.to_string(),
        });
    }
    let root_cert = match &tls.ca_file {
        Some(path) => Some(trust_anchors(path)?),
        None => None,
    };
    let client_tls = match &tls.client {
        Some((cert, key)) => Some(identity(cert, key)?),
        None => None,
    };
    let certificates = redis::TlsCertificates {
        client_tls,
        root_cert,
    };
    redis::Client::build_with_tls(info, certificates)
        .map_err(|e| RedisClientError::Tls(e.to_string()))
}

/// The usable CA certificates of the file, as PEM (the others skipped with a warning).
fn trust_anchors(path: &Path) -> Result<Vec<u8>, PemFileError> {
    pem_files::add_trust_anchors(&mut rustls::RootCertStore::empty(), path, "redis_ca_file")
}

/// The client certificate and key files' bytes, once the key is known to be the certificate's
/// and of a kind the TLS library can sign with.
fn identity(cert: &Path, key: &Path) -> Result<redis::ClientTlsConfig, RedisClientError> {
    let client_cert = pem_files::read(cert, "redis_cert_file")?;
    let chain = pem_files::certificates(&client_cert, cert, "redis_cert_file")?;
    let client_key = pem_files::read(key, "redis_key_file")?;
    // The parser's error is dropped: nothing of the key may reach a message.
    let private_key = PrivateKeyDer::from_pem_slice(&client_key).map_err(|_| {
        PemFileError::unusable(
            key,
            "redis_key_file",
            "holds no PEM private key (PKCS#8, PKCS#1 or SEC1; encrypted keys are not supported)",
        )
    })?;
    let provider = rustls::crypto::ring::default_provider();
    rustls::sign::CertifiedKey::from_der(chain, private_key, &provider).map_err(|e| {
        RedisClientError::Pair {
            cert: cert.to_owned(),
            key: key.to_owned(),
            problem: match e {
                rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                    "the key is not the certificate's (or the certificate is not first)".into()
                }
                other => other.to_string(),
            },
        }
    })?;
    Ok(redis::ClientTlsConfig {
        client_cert,
        client_key,
    })
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

    fn error(url: &str, tls: &RedisTls) -> String {
        open(url, tls).expect_err("refused").to_string()
    }

    #[test]
    fn files_are_checked_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let pki = bluehook_testkit::pki::Pki::new(dir.path());
        let (cert, key_file) = &pki.client;
        // A key, but another certificate's.
        let other_key = &pki.stranger_client.1;
        let junk = write("junk.pem", "not a certificate\n".into());
        let url = "rediss://127.0.0.1:6380";

        open(url, &tls(Some(&pki.ca), Some((cert, key_file)))).unwrap();
        open(url, &tls(None, Some((cert, key_file)))).unwrap();
        // A CA bundle with an entry that cannot be a trust anchor: skipped, as reported.
        let odd = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let bundle = write(
            "bundle.pem",
            format!("{}{odd}", std::fs::read_to_string(&pki.ca).unwrap()),
        );
        open(url, &tls(Some(&bundle), None)).unwrap();

        let missing = dir.path().join("missing.pem");
        let e = error(url, &tls(Some(&missing), None));
        assert!(
            e.contains("cannot read redis_ca_file") && e.contains("missing.pem"),
            "{e}"
        );
        let e = error(url, &tls(Some(&junk), None));
        assert!(
            e.contains("junk.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
        let e = error(url, &tls(None, Some((cert, &junk))));
        assert!(
            e.contains("redis_key_file") && e.contains("no PEM private key"),
            "{e}"
        );
        let e = error(url, &tls(None, Some((key_file, key_file))));
        assert!(
            e.contains("redis_cert_file") && e.contains("no PEM certificate"),
            "{e}"
        );
        // A key that is not the certificate's is caught at start, not at every handshake.
        let e = error(url, &tls(None, Some((cert, other_key))));
        assert!(
            e.contains("client.pem")
                && e.contains("stranger-client.key")
                && e.contains("not the certificate's"),
            "{e}"
        );
        let secret = std::fs::read_to_string(other_key).unwrap();
        let body = secret.lines().nth(1).unwrap();
        assert!(!e.contains(body), "the key stays out of messages");
    }

    #[test]
    fn urls_are_checked_at_once() {
        let e = error("redis://:pw@h/not-a-db", &RedisTls::default());
        assert!(
            e.starts_with("invalid redis_url redis://:***@h/not-a-db"),
            "{e}"
        );
        let e = error("rediss://127.0.0.1:6380/#insecure", &RedisTls::default());
        assert!(
            e.contains("#insecure") && e.contains("redis_ca_file"),
            "{e}"
        );
        open("redis://127.0.0.1:6379/2", &RedisTls::default()).unwrap();
    }
}
