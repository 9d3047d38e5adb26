//! Settings from `ansible.cfg` and the environment that dpctl honours, so a
//! project that runs under Ansible runs under dpctl unchanged:
//! `roles_path`, `inventory`, `forks`, `host_key_checking`,
//! `vault_password_file`, `vault_identity_list`.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub roles_path: Vec<PathBuf>,
    pub inventory: Vec<String>,
    pub forks: Option<usize>,
    pub host_key_checking: Option<bool>,
    /// `vault_password_file` / `ANSIBLE_VAULT_PASSWORD_FILE`.
    pub vault_password_file: Option<PathBuf>,
    /// `vault_identity_list` / `ANSIBLE_VAULT_IDENTITY_LIST`: `label@source` entries.
    pub vault_identity_list: Vec<String>,
    /// The file the settings came from.
    pub file: Option<PathBuf>,
}

/// Read settings as Ansible finds them: `$ANSIBLE_CONFIG`, `./ansible.cfg`, `~/.ansible.cfg`;
/// then environment variables override.
pub fn load() -> Config {
    let candidates = [
        std::env::var_os("ANSIBLE_CONFIG").map(PathBuf::from),
        Some(PathBuf::from("ansible.cfg")),
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".ansible.cfg")),
    ];
    let mut cfg = candidates.into_iter().flatten().find(|p| p.is_file()).map(|p| parse_file(&p)).unwrap_or_default();
    if let Some(v) = std::env::var_os("ANSIBLE_ROLES_PATH") {
        cfg.roles_path = std::env::split_paths(&v).collect();
    }
    if let Ok(v) = std::env::var("ANSIBLE_INVENTORY") {
        cfg.inventory = v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    }
    if let Ok(v) = std::env::var("ANSIBLE_HOST_KEY_CHECKING") {
        cfg.host_key_checking = modules::args::ansible_bool(&v);
    }
    if let Some(v) = std::env::var_os("ANSIBLE_VAULT_PASSWORD_FILE").filter(|v| !v.is_empty()) {
        cfg.vault_password_file = Some(expand_home(&v.to_string_lossy()));
    }
    if let Ok(v) = std::env::var("ANSIBLE_VAULT_IDENTITY_LIST") {
        cfg.vault_identity_list = split_list(&v);
    }
    if let Some(f) = std::env::var("ANSIBLE_FORKS").ok().and_then(|v| v.parse().ok()) {
        cfg.forks = Some(f);
    }
    cfg
}

fn parse_file(path: &Path) -> Config {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&text, &base, path)
}

/// Parse the `[defaults]` section of an INI `ansible.cfg`; paths are relative to its directory.
pub fn parse(text: &str, base: &Path, file: &Path) -> Config {
    let mut cfg = Config { file: Some(file.to_path_buf()), ..Config::default() };
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.trim().to_string();
            continue;
        }
        let Some((k, v)) = line.split_once('=') else { continue };
        let (k, v) = (k.trim(), v.trim());
        if section != "defaults" {
            continue;
        }
        let resolve = |p: &str| {
            let p = expand_home(p);
            if p.is_absolute() {
                p
            } else {
                base.join(p)
            }
        };
        match k {
            "roles_path" => cfg.roles_path = v.split(':').filter(|s| !s.is_empty()).map(resolve).collect(),
            "inventory" => {
                cfg.inventory = v.split(',').filter(|s| !s.is_empty()).map(|s| resolve(s.trim()).display().to_string()).collect()
            }
            "forks" => cfg.forks = v.parse().ok(),
            "vault_password_file" if !v.is_empty() => cfg.vault_password_file = Some(resolve(v)),
            "vault_identity_list" => cfg.vault_identity_list = split_list(v),
            "host_key_checking" => cfg.host_key_checking = modules::args::ansible_bool(v),
            _ => {}
        }
    }
    cfg
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_defaults_relative_to_the_file() {
        let cfg = parse(
            "[defaults]\nroles_path = roles:/opt/roles\nforks=20\nhost_key_checking = False\n[ssh]\nroles_path=x\n",
            Path::new("/p"),
            Path::new("/p/ansible.cfg"),
        );
        assert_eq!(cfg.roles_path, vec![PathBuf::from("/p/roles"), PathBuf::from("/opt/roles")]);
        assert_eq!(cfg.forks, Some(20));
        assert_eq!(cfg.host_key_checking, Some(false));
    }

    #[test]
    fn reads_vault_settings() {
        let cfg = parse(
            "[defaults]\nvault_password_file = secrets/pw\nvault_identity_list = dev@~/dev-pw , prod@prompt\n",
            Path::new("/p"),
            Path::new("/p/ansible.cfg"),
        );
        assert_eq!(cfg.vault_password_file, Some(PathBuf::from("/p/secrets/pw")));
        assert_eq!(cfg.vault_identity_list, vec!["dev@~/dev-pw".to_string(), "prod@prompt".to_string()]);
    }
}
