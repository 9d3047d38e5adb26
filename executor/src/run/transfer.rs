//! Files that start on the controller: a `copy` of a whole directory becomes
//! one request per directory and file; an `unarchive` of a controller-side
//! archive uploads it to a temporary file on the host first.

use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::exec::{failed, truthy, Exec, ItemOutcome};
use super::host::HostRun;
use super::rtree::Chain;
use crate::playbook::Task;
use crate::template::Scope;

/// File content as `copy` takes it: text as `content`, anything else base64.
fn content_args(bytes: Vec<u8>) -> (String, Value) {
    match String::from_utf8(bytes) {
        Ok(text) => ("content".into(), Value::String(text)),
        Err(e) => ("content_base64".into(), Value::String(base64::engine::general_purpose::STANDARD.encode(e.into_bytes()))),
    }
}

fn read_plain(path: &Path) -> Result<Vec<u8>, crate::vault::VaultError> {
    std::fs::read(path).map_err(|error| crate::vault::VaultError::Io { path: path.to_path_buf(), error })
}

/// Every directory and file below `dir`, relative, directories first in each level, sorted.
fn walk(dir: &Path, rel: &Path, out: &mut Vec<(std::path::PathBuf, bool)>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let r = rel.join(e.file_name());
        if path.is_dir() {
            out.push((r.clone(), true));
            walk(&path, &r, out)?;
        } else {
            out.push((r, false));
        }
    }
    Ok(())
}

/// `copy: src=DIR dest=…` from the controller, as Ansible: `DIR/` copies the
/// contents into dest, `DIR` copies the directory itself.
#[allow(clippy::too_many_arguments)]
pub async fn copy_dir(
    exec: &Exec<'_>,
    host: &mut HostRun,
    task: &Task,
    chain: &Chain,
    scope: &Scope,
    args: &Map<String, Value>,
    dir: &Path,
    contents_only: bool,
) -> ItemOutcome {
    let Some(dest) = args.get("dest").and_then(Value::as_str) else { return failed("copy needs `dest`") };
    let base = if contents_only { Path::new(dest).to_path_buf() } else { Path::new(dest).join(dir.file_name().unwrap_or_default()) };
    let mut entries = Vec::new();
    if let Err(e) = walk(dir, Path::new(""), &mut entries) {
        return failed(format!("cannot read {}: {e}", dir.display()));
    }
    let mut changed = false;
    let mut dirs = vec![base.clone()];
    dirs.extend(entries.iter().filter(|(_, is_dir)| *is_dir).map(|(r, _)| base.join(r)));
    for d in dirs {
        let mut fargs = Map::new();
        fargs.insert("path".into(), d.display().to_string().into());
        fargs.insert("state".into(), "directory".into());
        for key in ["owner", "group"] {
            if let Some(v) = args.get(key) {
                fargs.insert(key.into(), v.clone());
            }
        }
        if let Some(m) = args.get("directory_mode") {
            fargs.insert("mode".into(), m.clone());
        }
        let out = exec.remote(host, task, chain, scope, "file", fargs).await;
        if truthy(out.result.get("failed")) || truthy(out.result.get("unreachable")) {
            return out;
        }
        changed |= truthy(out.result.get("changed"));
    }
    for (rel, _) in entries.iter().filter(|(_, is_dir)| !*is_dir) {
        let decrypt = args.get("decrypt").is_none_or(|d| truthy(Some(d)));
        let read = if decrypt { crate::vault::keyring::read_secret_file(&dir.join(rel)) } else { read_plain(&dir.join(rel)) };
        let bytes = match read {
            Ok(b) => b,
            Err(e) => return failed(e.to_string()),
        };
        let mut cargs: Map<String, Value> = args
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "src" | "directory_mode" | "decrypt"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        cargs.insert("dest".into(), base.join(rel).display().to_string().into());
        let (key, content) = content_args(bytes);
        cargs.insert(key, content);
        let out = exec.remote(host, task, chain, scope, "copy", cargs).await;
        if truthy(out.result.get("failed")) || truthy(out.result.get("unreachable")) {
            return out;
        }
        changed |= truthy(out.result.get("changed"));
    }
    let mut m = Map::new();
    m.insert("changed".into(), changed.into());
    m.insert("dest".into(), Value::String(format!("{}/", base.display())));
    m.insert("src".into(), dir.display().to_string().into());
    ItemOutcome { result: m, effect: Default::default() }
}

/// `unarchive: src=ARCHIVE` from the controller: upload it to a temporary
/// file on the host (also in check mode, as Ansible's transfer does), unpack
/// with `remote_src`, remove the upload.
pub async fn unarchive_local(
    exec: &Exec<'_>,
    host: &mut HostRun,
    task: &Task,
    chain: &Chain,
    scope: &Scope,
    args: &Map<String, Value>,
    archive: &Path,
) -> ItemOutcome {
    let bytes = match std::fs::read(archive) {
        Ok(b) => b,
        Err(e) => return failed(format!("cannot read {}: {e}", archive.display())),
    };
    use sha2::Digest;
    let digest = format!("{:x}", sha2::Sha256::digest(&bytes));
    let name = archive.file_name().and_then(|n| n.to_str()).unwrap_or("archive");
    let upload = format!("/tmp/.dpctl-upload-{}-{name}", &digest[..16]);
    let upload_args = json!({
        "dest": upload,
        "mode": "0600",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(&bytes),
    });
    let mut upload_task = task.clone();
    // the upload itself must happen even in check mode: the module needs the archive to compare
    upload_task.inherited.check_mode = Some(Value::Bool(false));
    let up = exec.remote(host, &upload_task, chain, scope, "copy", upload_args.as_object().cloned().unwrap_or_default()).await;
    if truthy(up.result.get("failed")) || truthy(up.result.get("unreachable")) {
        return up;
    }
    let mut uargs = args.clone();
    uargs.insert("src".into(), upload.clone().into());
    uargs.insert("remote_src".into(), true.into());
    let mut out = exec.remote(host, task, chain, scope, "unarchive", uargs).await;
    let cleanup = json!({"path": upload, "state": "absent"});
    let _ = exec.remote(host, &upload_task, chain, scope, "file", cleanup.as_object().cloned().unwrap_or_default()).await;
    out.result.insert("src".into(), archive.display().to_string().into());
    out
}
