//! TLS for PostgreSQL connections (rustls with ring), with libpq's meaning
//! of the modes: `prefer`/`require` encrypt without checking who answers
//! (libpq without a root certificate does the same); `verify-full` checks
//! the chain against `ssl_rootcert` (or the web PKI roots) and the host name.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::ring;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::ModuleError;
use crate::util::tls::EncryptOnly;

fn builder() -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, ModuleError> {
    ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| ModuleError::Failed(format!("TLS setup: {e}")))
}

/// Encrypt, without checking the server's identity (`prefer`, `require`).
pub fn encrypt_only() -> Result<MakeRustlsConnect, ModuleError> {
    let provider = Arc::new(ring::default_provider());
    let config = builder()?.dangerous().with_custom_certificate_verifier(Arc::new(EncryptOnly(provider))).with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Encrypt and verify chain and host name (`verify-full`) against `rootcert` (PEM) or the web PKI roots.
pub fn verify_full(rootcert: Option<&Path>) -> Result<MakeRustlsConnect, ModuleError> {
    let mut roots = RootCertStore::empty();
    match rootcert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| ModuleError::BadArgs(format!("ssl_rootcert {}: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(ModuleError::BadArgs(format!("ssl_rootcert {}: no PEM certificate in it", path.display())));
            }
            for c in certs {
                roots.add(c).map_err(|e| ModuleError::BadArgs(format!("ssl_rootcert {}: {e}", path.display())))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(MakeRustlsConnect::new(builder()?.with_root_certificates(roots).with_no_client_auth()))
}
