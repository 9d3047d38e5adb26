//! TLS for PostgreSQL connections (rustls with ring), with libpq's meaning
//! of the modes: `prefer`/`require` encrypt without checking who answers
//! (libpq without a root certificate does the same); `verify-full` checks
//! the chain against `ssl_rootcert` (or the web PKI roots) and the host name.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::ModuleError;

/// Accepts any server certificate but still verifies the handshake signatures,
/// so the session is encrypted to whoever holds the presented certificate's key.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

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
