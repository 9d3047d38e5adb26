//! TLS for broker connections (rustls with ring, no OpenSSL): the broker's
//! certificate is checked against `ca_file` (else the webpki roots), with an
//! optional client certificate; `verify: false` skips the check (the
//! handshake signatures are still verified, see `util::tls::EncryptOnly`).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};

use super::error::KafkaError;
use crate::util::tls::EncryptOnly;

/// How to speak TLS to the brokers.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    pub ca_file: Option<String>,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    pub verify: bool,
}

fn bad(msg: String) -> KafkaError {
    KafkaError::Tls(msg)
}

fn certs(path: &str) -> Result<Vec<CertificateDer<'static>>, KafkaError> {
    let found: Vec<_> = CertificateDer::pem_file_iter(Path::new(path))
        .map_err(|e| bad(format!("cannot read certificates from {path}: {e}")))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(format!("bad certificate in {path}: {e}")))?;
    if found.is_empty() {
        return Err(bad(format!("{path} holds no PEM certificate")));
    }
    Ok(found)
}

impl TlsSettings {
    /// The rustls client configuration these settings describe.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, KafkaError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(format!("TLS setup: {e}")))?;
        let builder = if self.verify {
            let mut roots = RootCertStore::empty();
            match &self.ca_file {
                Some(ca) => {
                    for c in certs(ca)? {
                        roots.add(c).map_err(|e| bad(format!("CA certificate in {ca}: {e}")))?;
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            builder.with_root_certificates(roots)
        } else {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
        };
        let config = match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => {
                let key = PrivateKeyDer::from_pem_file(Path::new(key)).map_err(|e| bad(format!("cannot read the key {key}: {e}")))?;
                builder.with_client_auth_cert(certs(cert)?, key).map_err(|e| bad(format!("client certificate: {e}")))?
            }
            (None, None) => builder.with_no_client_auth(),
            _ => return Err(bad("tls: cert_file and key_file go together".into())),
        };
        Ok(Arc::new(config))
    }
}

/// The name the broker's certificate must carry: the host part of `host:port`.
pub fn server_name(addr: &str) -> Result<ServerName<'static>, KafkaError> {
    let host = addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr).trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string()).map_err(|e| bad(format!("`{host}` is not a valid TLS server name: {e}")))
}
