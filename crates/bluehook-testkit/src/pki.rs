//! Test certificates for TLS: a CA, a server certificate for 127.0.0.1 and a client
//! certificate signed by it, and a second CA with a client certificate of its own, written as
//! PEM files; and a real `redis-server` and a [`Receiver`] that speak TLS with them.

use crate::{free_port, Receiver, RedisServer};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// PEM files in a directory of the test's.
pub struct Pki {
    /// The CA that signed `server` and `client`.
    pub ca: PathBuf,
    /// Certificate and key for 127.0.0.1, for servers.
    pub server: (PathBuf, PathBuf),
    /// Certificate and key for clients.
    pub client: (PathBuf, PathBuf),
    /// A CA that signed neither.
    pub stranger_ca: PathBuf,
    /// Certificate and key for clients, signed by `stranger_ca`.
    pub stranger_client: (PathBuf, PathBuf),
}

impl Pki {
    /// Makes the certificates and writes them into `dir`.
    pub fn new(dir: &Path) -> Pki {
        let write = |name: &str, pem: String| {
            let path = dir.join(name);
            std::fs::write(&path, pem).expect("write PEM file");
            path
        };
        let (ca_pem, issuer) = ca("Bluehook test CA");
        let (stranger_pem, stranger) = ca("Some other CA");
        let leaf = |name: &str, usage: ExtendedKeyUsagePurpose, issuer: &Issuer<KeyPair>| {
            let key = KeyPair::generate().expect("key");
            let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
            params.distinguished_name.push(DnType::CommonName, name);
            params.extended_key_usages = vec![usage];
            let cert = params.signed_by(&key, issuer).expect("sign");
            (
                write(&format!("{name}.pem"), cert.pem()),
                write(&format!("{name}.key"), key.serialize_pem()),
            )
        };
        Pki {
            ca: write("ca.pem", ca_pem),
            server: leaf("server", ExtendedKeyUsagePurpose::ServerAuth, &issuer),
            client: leaf("client", ExtendedKeyUsagePurpose::ClientAuth, &issuer),
            stranger_ca: write("stranger-ca.pem", stranger_pem),
            stranger_client: leaf(
                "stranger-client",
                ExtendedKeyUsagePurpose::ClientAuth,
                &stranger,
            ),
        }
    }
}

/// A self-signed CA: its PEM certificate, and what signs with it.
fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("self-sign");
    (cert.pem(), Issuer::new(params, key))
}

impl RedisServer {
    /// Starts `redis-server` with TLS on a second port (waited for, also by
    /// [`RedisServer::restart`]), with `pki`'s server certificate, asking
    /// clients for a certificate of `pki`'s CA (Redis's default). The plain port stays open, so
    /// that [`RedisServer::publish`] and [`RedisServer::subscribers`] work as usual. Returns
    /// the server and its `rediss://127.0.0.1:<tls port>` URL.
    pub fn start_tls(pki: &Pki) -> (RedisServer, String) {
        let port = free_port().to_string();
        let path = |p: &Path| p.to_str().expect("UTF-8 path").to_owned();
        let redis = RedisServer::start_with(&[
            "--tls-port",
            &port,
            "--tls-cert-file",
            &path(&pki.server.0),
            "--tls-key-file",
            &path(&pki.server.1),
            "--tls-ca-cert-file",
            &path(&pki.ca),
            "--tls-auth-clients",
            "yes",
        ]);
        (redis, format!("rediss://127.0.0.1:{port}"))
    }
}

impl Receiver {
    /// Starts a receiver like [`Receiver::start`] that speaks https with `pki`'s server
    /// certificate (for 127.0.0.1, signed by `pki.ca`).
    pub async fn start_tls(pki: &Pki) -> Receiver {
        let chain = CertificateDer::pem_file_iter(&pki.server.0)
            .expect("server certificate")
            .collect::<Result<Vec<_>, _>>()
            .expect("server certificate");
        let key = PrivateKeyDer::from_pem_file(&pki.server.1).expect("server key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server certificate and key");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let (listener, addr, shared, app) = Self::bound().await;
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    // A client that refuses the certificate ends here.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Receiver {
            addr,
            shared,
            scheme: "https",
        }
    }
}
