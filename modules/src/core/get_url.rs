//! `get_url`: download a file over HTTP(S) or from a `file://` URL, verified
//! by checksum. Downloads with a checksum go through an artifact cache keyed
//! by that checksum, so a second run or a second host on the same machine
//! does not download again.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::util::attrs::{self, FileAttrs, ModeSpec};
use crate::util::checksum::{self, Algorithm};
use crate::util::{boolish, diff, fs as ufs, http_client, intish};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Downloads files from HTTP, HTTPS, or file:// URLs to the host.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetUrl {
    /// `http://`, `https://` or `file://` URL.
    pub url: String,
    /// Where to save the file. An existing directory receives the URL's basename.
    pub dest: PathBuf,
    /// `algorithm:hexdigest` (e.g. `sha256:9f86…`). When given, the download is
    /// verified, an existing matching `dest` is not downloaded again, and the
    /// artifact cache is used.
    #[serde(default)]
    pub checksum: Option<String>,
    /// Download even if `dest` exists. Without `force` or `checksum`, an existing `dest` is left alone.
    #[serde(default, deserialize_with = "boolish::de", alias = "thirsty")]
    pub force: bool,
    /// Timeout in seconds for connecting and for each read or write (not for the whole transfer).
    #[serde(default = "ten", deserialize_with = "intish::de")]
    pub timeout: u64,
    /// Extra HTTP request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// User name for HTTP basic authentication.
    #[serde(default, alias = "username")]
    pub url_username: Option<String>,
    /// Password for HTTP basic authentication.
    #[serde(default, alias = "password")]
    pub url_password: Option<String>,
    /// Send basic authentication up front (dpctl always does when a user is given).
    #[serde(default, deserialize_with = "boolish::de")]
    pub force_basic_auth: bool,
    /// Verify TLS certificates.
    #[serde(default = "boolish::yes", deserialize_with = "boolish::de")]
    pub validate_certs: bool,
    /// A PEM file with the client certificate for TLS client authentication (it may hold the key too).
    #[serde(default)]
    pub client_cert: Option<PathBuf>,
    /// A PEM file with the client certificate's private key (not needed when `client_cert` holds it).
    #[serde(default)]
    pub client_key: Option<PathBuf>,
    /// Use a proxy from the `http_proxy`/`https_proxy`/`all_proxy` environment variables
    /// (the task's `environment:` first); `false` always connects directly.
    #[serde(default = "boolish::yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub use_proxy: bool,
    /// The `User-Agent` header.
    #[serde(default = "agent")]
    pub http_agent: String,
    /// Keep a timestamped copy of a `dest` being replaced.
    #[serde(default, deserialize_with = "boolish::de")]
    pub backup: bool,
    /// dpctl extension: the artifact cache directory (default `$DPCTL_ARTIFACT_CACHE`, else `/var/cache/dpctl/artifacts`).
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
    /// Permissions: octal string `"0644"`, number, or symbolic `u=rw,g=r,o=`.
    #[serde(default, deserialize_with = "attrs::de_mode")]
    #[schemars(with = "Option<attrs::ModeArg>")]
    pub mode: Option<ModeSpec>,
    /// Owner (name or uid).
    #[serde(default, deserialize_with = "attrs::de_name")]
    pub owner: Option<String>,
    /// Group (name or gid).
    #[serde(default, deserialize_with = "attrs::de_name")]
    pub group: Option<String>,
}

fn ten() -> u64 {
    10
}
fn agent() -> String {
    "ansible-httpget".into()
}

/// A temp file that removes itself unless kept.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn failed(msg: String) -> ModuleError {
    ModuleError::Failed(msg)
}

impl GetUrl {
    fn expected(&self) -> Result<Option<(Algorithm, String)>, ModuleError> {
        let Some(c) = self.checksum.as_deref().filter(|c| !c.is_empty()) else { return Ok(None) };
        let (algo, value) =
            c.split_once(':').ok_or_else(|| ModuleError::BadArgs(format!("get_url: checksum must be algorithm:value, got {c:?}")))?;
        let algo =
            Algorithm::parse(algo).ok_or_else(|| ModuleError::BadArgs(format!("get_url: unsupported checksum algorithm {algo:?}")))?;
        if value.contains("://") {
            return Err(ModuleError::BadArgs("get_url: a checksum URL is not supported; give the digest".into()));
        }
        if value.is_empty() || !value.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ModuleError::BadArgs(format!("get_url: checksum value {value:?} is not a hex digest")));
        }
        Ok(Some((algo, value.to_ascii_lowercase())))
    }

    fn dest_path(&self) -> PathBuf {
        if self.dest.is_dir() {
            // The basename of the URL's path (not of its host), as Ansible's url_filename.
            let no_query = self.url.split(['?', '#']).next().unwrap_or_default();
            let after_scheme = no_query.split_once("://").map(|(_, rest)| rest).unwrap_or(no_query);
            let path =
                if self.url.starts_with("file://") { after_scheme } else { after_scheme.split_once('/').map(|(_, p)| p).unwrap_or("") };
            let name = path.rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or("index.html");
            self.dest.join(name)
        } else {
            self.dest.clone()
        }
    }

    fn cache_dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .or_else(|| std::env::var_os("DPCTL_ARTIFACT_CACHE").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/var/cache/dpctl/artifacts"))
    }

    /// Fetch the URL into `to`; returns the HTTP status (200 for file://).
    fn fetch(&self, to: &Path) -> Result<u16, ModuleError> {
        let mut out = fs::File::create(to).map_err(|e| ModuleError::io(format!("creating {}", to.display()), e))?;
        if let Some(path) = self.url.strip_prefix("file://") {
            let mut src = fs::File::open(path).map_err(|e| failed(format!("Request failed: {}: {e}", self.url)))?;
            std::io::copy(&mut src, &mut out).map_err(|e| ModuleError::io(format!("copying {} to {}", self.url, to.display()), e))?;
            return Ok(200);
        }
        if !self.url.starts_with("http://") && !self.url.starts_with("https://") {
            return Err(ModuleError::BadArgs(format!("get_url: unsupported URL scheme in {}", self.url)));
        }
        let tls = http_client::tls_config(self.validate_certs, self.client_cert.as_deref(), self.client_key.as_deref())?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            // Ansible's timeout is a socket timeout, not a limit on the whole transfer of a large artifact.
            .timeout_connect(Some(Duration::from_secs(self.timeout)))
            .timeout_per_read(Some(Duration::from_secs(self.timeout)))
            .timeout_per_write(Some(Duration::from_secs(self.timeout)))
            .http_status_as_error(false)
            .proxy(http_client::proxy(self.use_proxy)?)
            .tls_config(tls)
            .build()
            .into();
        let mut req = agent.get(&self.url).header("User-Agent", &self.http_agent);
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let Some(user) = &self.url_username {
            use base64::Engine;
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", self.url_password.as_deref().unwrap_or("")));
            req = req.header("Authorization", format!("Basic {token}"));
        }
        let resp = req.call().map_err(|e| failed(format!("Request failed: {}: {e}", self.url)))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(failed(format!("Request failed: HTTP Error {status}: {}", self.url)));
        }
        let mut body = resp.into_body().into_reader();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = body.read(&mut buf).map_err(|e| failed(format!("failed to read {}: {e}", self.url)))?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(|e| ModuleError::io(format!("writing {}", to.display()), e))?;
        }
        out.sync_all().map_err(|e| ModuleError::io(format!("writing {}", to.display()), e))?;
        Ok(status)
    }

    /// Put a verified download into the cache (best effort: a read-only cache is not an error).
    fn store_in_cache(&self, from: &Path, algo: Algorithm, digest: &str) {
        let dir = self.cache_dir();
        if fs::create_dir_all(&dir).is_err() {
            return;
        }
        let entry = dir.join(format!("{algo:?}-{digest}").to_ascii_lowercase());
        let tmp = dir.join(format!(".{digest}.{}", std::process::id()));
        if fs::copy(from, &tmp).is_ok() && fs::rename(&tmp, &entry).is_ok() {
            return;
        }
        let _ = fs::remove_file(&tmp);
    }

    /// A cached artifact with this digest, re-verified before use.
    fn fetch_cached(&self, algo: Algorithm, digest: &str, to: &Path) -> bool {
        let entry = self.cache_dir().join(format!("{algo:?}-{digest}").to_ascii_lowercase());
        entry.is_file() && checksum::digest_file(algo, &entry).is_ok_and(|d| d == digest) && fs::copy(&entry, to).is_ok()
    }
}

impl Module for GetUrl {
    const NAME: &'static str = "get_url";

    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let expected = self.expected()?;
        let want = FileAttrs::new(&self.mode, &self.owner, &self.group);
        want.ids()?;
        let dest = self.dest_path();
        let mut out = Outcome::default().with("url", self.url.clone()).with("dest", dest.to_string_lossy().into_owned());

        if dest.is_file() && !self.force {
            let matches = match &expected {
                Some((algo, digest)) => checksum::digest_file(*algo, &dest)? == *digest,
                None => true,
            };
            if matches {
                let plan = attrs::plan(&dest, &want, true, None)?;
                out.changed = !plan.is_empty();
                if ctx.diff && out.changed {
                    let (b, a) = plan.diff_fields();
                    out.diff.push(diff::fields(&dest, &b, &a));
                }
                if !ctx.check_mode {
                    plan.apply()?;
                }
                let msg = if out.changed { "file already exists but file attributes changed" } else { "file already exists" };
                let mut out = out.with_msg(msg);
                out.values.extend(attrs::path_info(&dest));
                return Ok(out);
            }
        }

        let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(failed(format!("Destination {} does not exist", dir.display())));
        }
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = TempFile(dir.join(format!(".{name}.dpctl-download-{}", std::process::id())));
        let started = Instant::now();
        let cached = expected.as_ref().is_some_and(|(a, d)| self.fetch_cached(*a, d, &tmp.0));
        let status = if cached { 200 } else { self.fetch(&tmp.0)? };
        // Ansible has no HTTP status for a file:// URL.
        let status = if self.url.starts_with("file://") { serde_json::Value::Null } else { status.into() };
        if let Some((algo, digest)) = &expected {
            let got = checksum::digest_file(*algo, &tmp.0)?;
            if got != *digest {
                return Err(failed(format!("The checksum for {} did not match {digest}; it was {got}.", dest.display())));
            }
            if !cached && !ctx.check_mode {
                self.store_in_cache(&tmp.0, *algo, digest);
            }
        }
        let checksum_src = checksum::digest_file(Algorithm::Sha1, &tmp.0)?;
        let checksum_dest = if dest.is_file() { Some(checksum::digest_file(Algorithm::Sha1, &dest)?) } else { None };
        let size = fs::metadata(&tmp.0).map(|m| m.len()).unwrap_or(0);
        let content_changed = checksum_dest.as_deref() != Some(checksum_src.as_str());
        out = out
            .with("status_code", status)
            .with("checksum_src", checksum_src.clone())
            .with_msg(format!("OK ({size} bytes)"))
            .with("elapsed", started.elapsed().as_secs())
            .with("cached", cached);
        out = out.with("checksum_dest", checksum_dest.clone()).with("md5sum", checksum::digest_file(Algorithm::Md5, &tmp.0)?);
        if content_changed {
            out.changed = true;
            if ctx.diff {
                out.diff.push(diff::fields(
                    &dest,
                    &[("checksum".into(), checksum_dest.clone().unwrap_or_else(|| "absent".into()))],
                    &[("checksum".into(), checksum_src.clone())],
                ));
            }
            if !ctx.check_mode {
                let existing = fs::metadata(&dest).ok();
                let mode = match (&self.mode, &existing) {
                    (Some(m), Some(meta)) => m.resolve(meta.permissions().mode(), false, None)?,
                    (Some(_), None) => want.mode_for_new(false, None)?,
                    (None, Some(meta)) => meta.permissions().mode() & 0o7777,
                    (None, None) => attrs::default_mode(false),
                };
                let (uid, gid) = want.ids()?;
                let (uid, gid) = (uid.or(existing.as_ref().map(|m| m.uid())), gid.or(existing.as_ref().map(|m| m.gid())));
                if uid.is_some() || gid.is_some() {
                    std::os::unix::fs::chown(&tmp.0, uid, gid)
                        .map_err(|e| ModuleError::io(format!("chown failed on {}", dest.display()), e))?;
                }
                fs::set_permissions(&tmp.0, fs::Permissions::from_mode(mode))
                    .map_err(|e| ModuleError::io(format!("chmod failed on {}", dest.display()), e))?;
                if self.backup && existing.is_some() {
                    out = out.with("backup_file", ufs::backup_local(&dest)?);
                }
                fs::rename(&tmp.0, &dest).map_err(|e| ModuleError::io(format!("moving download to {}", dest.display()), e))?;
            }
        } else {
            let plan = attrs::plan(&dest, &want, true, None)?;
            out.changed = !plan.is_empty();
            if ctx.diff && out.changed {
                let (b, a) = plan.diff_fields();
                out.diff.push(diff::fields(&dest, &b, &a));
            }
            if !ctx.check_mode {
                plan.apply()?;
            }
        }
        out.values.extend(attrs::path_info(&dest));
        if ctx.check_mode && !dest.exists() {
            out.values.insert("state".into(), "file".into());
        }
        Ok(out.with("size", size))
    }
}

register_module!(GetUrl);
