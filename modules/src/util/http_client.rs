//! What `uri` and `get_url` share about reaching a server: the proxy (Ansible's
//! `use_proxy`, read from the task's `environment:` as well as the agent's own)
//! and a TLS client certificate (`client_cert`/`client_key`).

use std::path::Path;

use ureq::tls::{parse_pem, Certificate, ClientCert, PemItem, PrivateKey};
use ureq::Proxy;

use crate::error::ModuleError;
use crate::util::command::task_env;

/// ureq's own order of proxy variables.
const PROXY_VARS: [&str; 6] = ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];

/// The proxy to use: none when `use_proxy` is false; else the task environment's
/// proxy variables (with its `no_proxy`), else the agent's own environment.
pub fn proxy(use_proxy: bool) -> Result<Option<Proxy>, ModuleError> {
    if !use_proxy {
        return Ok(None);
    }
    let env = task_env();
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some(url) = PROXY_VARS.iter().find_map(|k| get(k)) else {
        return Ok(Proxy::try_from_env());
    };
    let p = Proxy::new(&url).map_err(|e| ModuleError::BadArgs(format!("invalid proxy {url:?} in the task environment: {e}")))?;
    let Some(no_proxy) = get("no_proxy").or_else(|| get("NO_PROXY")) else {
        return Ok(Some(p));
    };
    let mut b = Proxy::builder(p.protocol()).host(p.host()).port(p.port()).no_proxy(&no_proxy);
    if let Some(u) = p.username() {
        b = b.username(u);
    }
    if let Some(pw) = p.password() {
        b = b.password(pw);
    }
    b.build().map(Some).map_err(|e| ModuleError::BadArgs(format!("invalid proxy {url:?}: {e}")))
}

/// The TLS settings of a request: server certificates checked unless
/// `validate_certs` is false, and the client certificate if one is given.
pub fn tls_config(validate_certs: bool, cert: Option<&Path>, key: Option<&Path>) -> Result<ureq::tls::TlsConfig, ModuleError> {
    Ok(ureq::tls::TlsConfig::builder().disable_verification(!validate_certs).client_cert(client_cert(cert, key)?).build())
}

/// The client certificate from PEM files: `cert` holds the certificate chain (and
/// may hold the key too, as Ansible allows); `key` holds the private key.
fn client_cert(cert: Option<&Path>, key: Option<&Path>) -> Result<Option<ClientCert>, ModuleError> {
    let Some(cert) = cert else {
        return match key {
            Some(_) => Err(ModuleError::BadArgs("client_key needs client_cert".into())),
            None => Ok(None),
        };
    };
    let (chain, mut private) = read_pem(cert)?;
    if let Some(key) = key {
        private = read_pem(key)?.1;
    }
    if chain.is_empty() {
        return Err(ModuleError::BadArgs(format!("client_cert {}: no PEM certificate in it", cert.display())));
    }
    let private = private
        .ok_or_else(|| ModuleError::BadArgs(format!("client_cert {}: no private key in it, and no client_key given", cert.display())))?;
    check_usable(cert, &chain, &private)?;
    Ok(Some(ClientCert::new_with_certs(&chain, private)))
}

/// Ask rustls now whether it takes this certificate and key: ureq would panic on
/// one it refuses (e.g. an X.509 v1 certificate) instead of returning an error.
fn check_usable(path: &Path, chain: &[Certificate<'static>], key: &PrivateKey<'static>) -> Result<(), ModuleError> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let der_chain = chain.iter().map(|c| CertificateDer::from(c.der()).into_owned()).collect();
    // ureq's key kind is not public; pki-types recognises the DER itself.
    let Ok(der_key) = PrivateKeyDer::try_from(key.der()) else {
        return Ok(());
    };
    let der_key = der_key.clone_key();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ModuleError::Failed(format!("TLS setup: {e}")))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_client_auth_cert(der_chain, der_key)
        .map(|_| ())
        .map_err(|e| ModuleError::BadArgs(format!("client_cert {}: not usable for TLS client authentication: {e}", path.display())))
}

fn read_pem(path: &Path) -> Result<(Vec<Certificate<'static>>, Option<PrivateKey<'static>>), ModuleError> {
    let bytes = std::fs::read(path).map_err(|e| ModuleError::io(format!("reading {}", path.display()), e))?;
    let (mut certs, mut key) = (Vec::new(), None);
    for item in parse_pem(&bytes) {
        match item.map_err(|e| ModuleError::BadArgs(format!("{}: bad PEM: {e}", path.display())))? {
            PemItem::Certificate(c) => certs.push(c),
            PemItem::PrivateKey(k) => key = key.or(Some(k)),
            _ => {}
        }
    }
    Ok((certs, key))
}
