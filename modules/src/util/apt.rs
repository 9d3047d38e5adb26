//! Querying and driving dpkg/apt through argv: installed versions
//! (`dpkg-query`), candidate versions (`apt-cache policy`), and `apt-get` with
//! `DEBIAN_FRONTEND=noninteractive` and a dpkg lock timeout (other apt runs on
//! the host wait for each other instead of failing).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use crate::error::ModuleError;
pub use crate::util::command::CommandOutput;
use crate::util::command::{self, CommandSpec};

/// Installed packages among `names`: name → version.
pub fn installed(names: &[String]) -> Result<BTreeMap<String, String>, ModuleError> {
    let mut argv = vec!["dpkg-query".to_string(), "-W".into(), "-f=${Package}\t${db:Status-Abbrev}\t${Version}\n".into()];
    argv.extend(names.iter().cloned());
    let out = command::run(&CommandSpec::new(argv))?;
    // rc 1 only means some names are unknown to dpkg.
    if out.rc > 1 {
        return Err(ModuleError::Failed(format!("dpkg-query failed: {}", out.stderr.trim())));
    }
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            // "ii " = installed; "rc " = removed with config left, which counts as absent.
            (f.len() == 3 && f[1].starts_with("ii")).then(|| (f[0].to_string(), f[2].to_string()))
        })
        .collect())
}

/// Whether a package is known to dpkg in any state (for `purge` of config-only leftovers).
pub fn has_config_files(name: &str) -> Result<bool, ModuleError> {
    let out = command::run(&CommandSpec::new(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", name]))?;
    Ok(out.rc == 0 && out.stdout.starts_with("rc"))
}

/// The candidate version apt would install, `None` when no source has the package.
pub fn candidate(name: &str) -> Result<Option<String>, ModuleError> {
    let out = command::run(&CommandSpec::new(["apt-cache", "policy", name]))?;
    Ok(out
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Candidate:").map(|v| v.trim().to_string()))
        .filter(|v| v != "(none)" && !v.is_empty()))
}

/// `apt-get -y … ARGS` with the noninteractive environment and Ansible's default dpkg options.
pub fn apt_get(args: &[String]) -> Result<CommandOutput, ModuleError> {
    apt_get_with("force-confdef,force-confold", args)
}

/// `apt-get -y … ARGS` with `dpkg_options` (Ansible's comma-separated form, each one
/// becoming `-o Dpkg::Options::=--OPTION`).
pub fn apt_get_with(dpkg_options: &str, args: &[String]) -> Result<CommandOutput, ModuleError> {
    let mut argv: Vec<String> = ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300"].map(String::from).to_vec();
    for option in dpkg_options.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        argv.extend(["-o".to_string(), format!("Dpkg::Options::=--{option}")]);
    }
    argv.extend(args.iter().cloned());
    let mut spec = CommandSpec::new(argv);
    spec.env = [("DEBIAN_FRONTEND", "noninteractive"), ("DEBIAN_PRIORITY", "critical"), ("LANG", "C"), ("LC_ALL", "C")]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .to_vec();
    spec.output_via_files = true;
    command::run(&spec)
}

/// Fail with apt-get's own words when it failed.
pub fn checked(out: CommandOutput, what: &str) -> Result<CommandOutput, ModuleError> {
    if out.rc != 0 {
        let detail = if out.stderr.trim().is_empty() { out.stdout.trim().to_string() } else { out.stderr.trim().to_string() };
        return Err(ModuleError::Failed(format!("{what} failed (rc={}): {detail}", out.rc)));
    }
    Ok(out)
}

/// When the package lists were last refreshed (Ansible's rule: the periodic stamp, else the lists dir).
pub fn cache_mtime() -> SystemTime {
    ["/var/lib/apt/periodic/update-success-stamp", "/var/lib/apt/lists"]
        .iter()
        .find_map(|p| std::fs::metadata(Path::new(p)).and_then(|m| m.modified()).ok())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// `dpkg-deb -f FILE Package Version`.
pub fn deb_fields(path: &Path) -> Result<(String, String), ModuleError> {
    let out = command::run(&CommandSpec::new([
        "dpkg-deb".to_string(),
        "-f".into(),
        path.display().to_string(),
        "Package".into(),
        "Version".into(),
    ]))?;
    let out = checked(out, &format!("reading {}", path.display()))?;
    let field = |name: &str| out.stdout.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()));
    match (field("Package:"), field("Version:")) {
        (Some(p), Some(v)) => Ok((p, v)),
        _ => Err(ModuleError::Failed(format!("{} is not a valid .deb (no Package/Version)", path.display()))),
    }
}
