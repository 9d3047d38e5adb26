//! `apt`: Debian packages through `dpkg-query`/`apt-cache` (query) and
//! `apt-get` (act), never python-apt. `name=VERSION` pins a version (`*`
//! wildcards as in Ansible). The diff lists each package's version before and
//! after.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::module::Diff;
use crate::util::apt;
use crate::{register_module, Context, Module, ModuleError, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AptState {
    #[serde(alias = "installed")]
    Present,
    #[serde(alias = "removed")]
    Absent,
    Latest,
    /// `apt-get install -f` style repair (only with no `name`), as Ansible's `fixed`.
    Fixed,
}

/// Manages apt packages.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Apt {
    /// Package names, a list or a comma-separated string; `name=VERSION` pins a version.
    #[serde(default, alias = "package", alias = "pkg", deserialize_with = "crate::util::scalar::list_opt")]
    pub name: Option<Vec<String>>,
    /// `present`, `absent`, `latest` or `fixed`.
    #[serde(default = "present")]
    pub state: AptState,
    /// Run `apt-get update` first (subject to `cache_valid_time`).
    #[serde(default, alias = "update-cache", deserialize_with = "crate::util::boolish::deserialize")]
    pub update_cache: bool,
    /// Skip the update when the lists are younger than this many seconds.
    #[serde(default, deserialize_with = "crate::util::scalar::int")]
    pub cache_valid_time: u64,
    /// A local `.deb` file to install (with its dependencies).
    #[serde(default)]
    pub deb: Option<PathBuf>,
    /// Install recommended packages (default: apt's own setting).
    #[serde(default, alias = "install-recommends", deserialize_with = "crate::util::boolish::deserialize_opt")]
    pub install_recommends: Option<bool>,
    /// Remove configuration files too (`--purge`).
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub purge: bool,
    /// Remove dependencies nothing needs any more.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub autoremove: bool,
    /// Install from this release (`-t`).
    #[serde(default, alias = "default-release")]
    pub default_release: Option<String>,
    /// Allow downgrades and unauthenticated packages (dangerous): implies
    /// `allow_downgrade` and `allow_unauthenticated`.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub force: bool,
    /// Clean the local repository of package files that can no longer be downloaded (`apt-get autoclean`).
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub autoclean: bool,
    /// dpkg options, comma-separated, each passed as `-o Dpkg::Options::=--OPTION`
    /// (default `force-confdef,force-confold`).
    #[serde(default = "default_dpkg_options")]
    pub dpkg_options: String,
    /// Let a named version replace a higher installed one (`--allow-downgrades`).
    #[serde(
        default,
        alias = "allow-downgrade",
        alias = "allow_downgrades",
        alias = "allow-downgrades",
        deserialize_with = "crate::util::boolish::deserialize"
    )]
    pub allow_downgrade: bool,
    /// Install packages that cannot be authenticated (`--allow-unauthenticated`).
    #[serde(default, alias = "allow-unauthenticated", deserialize_with = "crate::util::boolish::deserialize")]
    pub allow_unauthenticated: bool,
    /// Only upgrade packages that are already installed; others are left uninstalled (`--only-upgrade`).
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub only_upgrade: bool,
    /// Upgrade the whole system: `no`, `yes`/`safe` (`apt-get upgrade --with-new-pkgs`),
    /// `full`/`dist` (`apt-get dist-upgrade`). Check mode asks `apt-get --simulate`.
    #[serde(default)]
    pub upgrade: AptUpgrade,
}

/// Ansible's `upgrade`: `no` (default), `yes`/`safe` (`apt-get upgrade --with-new-pkgs`,
/// Ansible's fallback when aptitude is absent), `full`/`dist` (`apt-get dist-upgrade`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AptUpgrade {
    #[default]
    No,
    Yes,
    Safe,
    Full,
    Dist,
}

impl<'de> Deserialize<'de> for AptUpgrade {
    /// YAML's `upgrade: yes` arrives as a boolean; Ansible takes it as the string.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let word = match &v {
            serde_json::Value::String(s) => s.to_ascii_lowercase(),
            other => match crate::util::boolish::parse(other) {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => v.to_string(),
            },
        };
        Ok(match word.as_str() {
            "no" | "false" => AptUpgrade::No,
            "yes" | "true" => AptUpgrade::Yes,
            "safe" => AptUpgrade::Safe,
            "full" => AptUpgrade::Full,
            "dist" => AptUpgrade::Dist,
            _ => return Err(serde::de::Error::custom(format!("upgrade must be one of dist, full, no, safe, yes, got {v}"))),
        })
    }
}

fn default_dpkg_options() -> String {
    "force-confdef,force-confold".into()
}

fn present() -> AptState {
    AptState::Present
}

/// One requested package: name, optional version pattern.
struct Wanted {
    name: String,
    version: Option<String>,
}

fn version_matches(pattern: &str, version: &str) -> bool {
    glob::Pattern::new(pattern).map(|p| p.matches(version)).unwrap_or(pattern == version)
}

impl Apt {
    fn wanted(&self) -> Result<Vec<Wanted>, ModuleError> {
        let mut out = Vec::new();
        for spec in self.name.iter().flatten() {
            let (name, version) = match spec.split_once('=') {
                Some((n, v)) => (n.trim_end_matches(['>', '<']).to_string(), Some(v.to_string())),
                None => (spec.clone(), None),
            };
            if name.is_empty() || name.starts_with('-') {
                return Err(ModuleError::BadArgs(format!("invalid package name {spec:?}")));
            }
            out.push(Wanted { name, version });
        }
        Ok(out)
    }

    fn common_flags(&self) -> Vec<String> {
        let mut f = Vec::new();
        match self.install_recommends {
            Some(true) => f.push("--install-recommends".into()),
            Some(false) => f.push("--no-install-recommends".into()),
            None => {}
        }
        if let Some(r) = &self.default_release {
            f.extend(["-t".into(), r.clone()]);
        }
        if self.force || self.allow_downgrade {
            f.push("--allow-downgrades".into());
        }
        if self.force || self.allow_unauthenticated {
            f.push("--allow-unauthenticated".into());
        }
        f
    }

    fn apt_get(&self, args: &[String]) -> Result<apt::CommandOutput, ModuleError> {
        apt::apt_get_with(&self.dpkg_options, args)
    }

    /// `apt-get upgrade`/`dist-upgrade` (simulated in check mode); changed unless apt reports nothing to do.
    fn system_upgrade(&self, ctx: &Context) -> Result<apt::CommandOutput, ModuleError> {
        let mut args: Vec<String> = Vec::new();
        if ctx.check_mode {
            args.push("--simulate".into());
        }
        if self.force || self.allow_downgrade {
            args.push("--allow-downgrades".into());
        }
        if self.force || self.allow_unauthenticated {
            args.push("--allow-unauthenticated".into());
        }
        match self.upgrade {
            AptUpgrade::Full | AptUpgrade::Dist => args.push("dist-upgrade".into()),
            _ => args.extend(["upgrade".into(), "--with-new-pkgs".into()]),
        }
        if self.autoremove {
            args.push("--auto-remove".into());
        }
        if let Some(r) = &self.default_release {
            args.extend(["-t".into(), r.clone()]);
        }
        apt::checked(self.apt_get(&args)?, &format!("apt-get {}", args.join(" ")))
    }

    /// `apt-get autoremove`/`autoclean` (simulated in check mode), changed by Ansible's rule.
    fn cleanup(&self, ctx: &Context, operation: &str) -> Result<(bool, apt::CommandOutput), ModuleError> {
        let mut args = Vec::new();
        if self.purge {
            args.push("--purge".to_string());
        }
        args.push(operation.into());
        if ctx.check_mode {
            args.push("--simulate".into());
        }
        let out = apt::checked(self.apt_get(&args)?, &format!("apt-get {operation}"))?;
        let changed = match operation {
            "autoclean" => out.stdout.lines().any(|l| l.starts_with("Del ")),
            _ => out.stdout.contains("The following packages will be REMOVED"),
        };
        Ok((changed, out))
    }

    /// Refresh the lists if asked and stale; returns whether it did (or would).
    fn update_cache(&self, ctx: &Context) -> Result<bool, ModuleError> {
        if !self.update_cache && self.cache_valid_time == 0 {
            return Ok(false);
        }
        let fresh_until = apt::cache_mtime() + Duration::from_secs(self.cache_valid_time);
        if fresh_until >= SystemTime::now() {
            return Ok(false);
        }
        if !ctx.check_mode {
            apt::checked(self.apt_get(&["update".into()])?, "apt-get update")?;
        }
        Ok(true)
    }
}

fn cache_time() -> u64 {
    apt::cache_mtime().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Module for Apt {
    const NAME: &'static str = "apt";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.deb.is_some() && self.name.is_some() {
            return Err(ModuleError::BadArgs("parameters are mutually exclusive: deb|package".into()));
        }
        if self.deb.is_some() && self.state != AptState::Present {
            return Err(ModuleError::BadArgs("deb only supports state=present".into()));
        }
        let upgrading = self.upgrade != AptUpgrade::No;
        if upgrading && (self.name.is_some() || self.deb.is_some()) {
            return Err(ModuleError::BadArgs("parameters are mutually exclusive: deb|package|upgrade".into()));
        }
        if self.name.is_none()
            && self.deb.is_none()
            && !self.update_cache
            && !self.autoremove
            && !self.autoclean
            && !upgrading
            && self.state != AptState::Fixed
        {
            return Err(ModuleError::BadArgs("one of the following is required: autoremove, deb, package, update_cache, upgrade".into()));
        }
        let wanted = self.wanted()?;
        let cache_updated = self.update_cache(ctx)?;
        let mut o = Outcome::changed(false).with("cache_updated", cache_updated).with("cache_update_time", cache_time());
        if upgrading {
            // As Ansible: the upgrade decides `changed`, and the task ends there.
            let out = self.system_upgrade(ctx)?;
            o.changed = !out.stdout.contains("\n0 upgraded, 0 newly installed, 0 to remove");
            return Ok(o.with("msg", out.stdout.clone()).with("stdout", out.stdout).with("stderr", out.stderr));
        }
        if wanted.is_empty() && self.deb.is_none() && self.state != AptState::Fixed && !self.autoremove && !self.autoclean {
            o.changed = cache_updated;
            return Ok(o);
        }

        // Query: what each package is now, and what the run would make it.
        let mut before_lines = Vec::new();
        let mut after_lines = Vec::new();
        let mut install: Vec<String> = Vec::new();
        let mut remove: Vec<String> = Vec::new();
        if let Some(deb) = &self.deb {
            let (pkg, version) = apt::deb_fields(deb)?;
            let current = apt::installed(std::slice::from_ref(&pkg))?.remove(&pkg);
            if current.as_deref() != Some(version.as_str()) {
                before_lines.push(format!("{pkg}: {}", current.as_deref().unwrap_or("not installed")));
                after_lines.push(format!("{pkg}: {version}"));
                install
                    .push(std::fs::canonicalize(deb).map_err(|e| ModuleError::io(format!("{}", deb.display()), e))?.display().to_string());
            }
        }
        let names: Vec<String> = wanted.iter().map(|w| w.name.clone()).collect();
        let current = if names.is_empty() { Default::default() } else { apt::installed(&names)? };
        for w in &wanted {
            let have = current.get(&w.name);
            let was = have.cloned().unwrap_or_else(|| "not installed".into());
            match self.state {
                AptState::Absent => {
                    let leftover = self.purge && have.is_none() && apt::has_config_files(&w.name)?;
                    if have.is_some() || leftover {
                        before_lines.push(format!("{}: {was}", w.name));
                        after_lines.push(format!("{}: not installed", w.name));
                        remove.push(w.name.clone());
                    }
                }
                AptState::Present | AptState::Latest | AptState::Fixed => {
                    let target = match (&w.version, self.state) {
                        (Some(v), _) => Some(v.clone()),
                        (None, AptState::Latest) => apt::candidate(&w.name)?,
                        _ => None,
                    };
                    if have.is_none() && self.only_upgrade {
                        // only_upgrade leaves packages that are not installed alone.
                        continue;
                    }
                    let ok = match (have, &target) {
                        (None, _) => false,
                        (Some(h), Some(t)) => version_matches(t, h),
                        (Some(_), None) => true,
                    };
                    if ok {
                        continue;
                    }
                    let cand = apt::candidate(&w.name)?;
                    let Some(cand) = cand else {
                        return Err(ModuleError::Failed(format!("No package matching '{}' is available", w.name)));
                    };
                    let exact = match &w.version {
                        Some(v) if v.contains(['*', '?', '[']) => {
                            if !version_matches(v, &cand) {
                                return Err(ModuleError::Failed(format!("No package matching '{}={v}' is available", w.name)));
                            }
                            cand.clone()
                        }
                        Some(v) => v.clone(),
                        None => cand.clone(),
                    };
                    before_lines.push(format!("{}: {was}", w.name));
                    after_lines.push(format!("{}: {exact}", w.name));
                    install.push(if w.version.is_some() { format!("{}={exact}", w.name) } else { w.name.clone() });
                }
            }
        }
        o.changed = !install.is_empty() || !remove.is_empty();
        if ctx.diff && o.changed {
            o.diff.push(Diff { before: before_lines.join("\n") + "\n", after: after_lines.join("\n") + "\n", ..Default::default() });
        }
        let (mut stdout, mut stderr) = (String::new(), String::new());
        if !ctx.check_mode {
            if !install.is_empty() {
                let mut args = vec!["install".to_string()];
                args.extend(self.common_flags());
                if self.only_upgrade {
                    args.push("--only-upgrade".into());
                }
                args.extend(install.iter().cloned());
                let out = apt::checked(self.apt_get(&args)?, &format!("apt-get install {}", install.join(" ")))?;
                stdout.push_str(&out.stdout);
                stderr.push_str(&out.stderr);
            }
            if !remove.is_empty() {
                let mut args = vec!["remove".to_string()];
                if self.purge {
                    args.push("--purge".into());
                }
                args.extend(remove.iter().cloned());
                let out = apt::checked(self.apt_get(&args)?, &format!("apt-get remove {}", remove.join(" ")))?;
                stdout.push_str(&out.stdout);
                stderr.push_str(&out.stderr);
            }
            if self.state == AptState::Fixed && wanted.is_empty() && self.deb.is_none() {
                let out = apt::checked(self.apt_get(&["install".into(), "-f".into()])?, "apt-get install -f")?;
                o.changed |= out.stdout.contains("newly installed") && !out.stdout.contains(" 0 newly installed");
                stdout.push_str(&out.stdout);
            }
        }
        // Cleanups are simulated in check mode, so their prediction is apt's own.
        for (wanted, operation) in [(self.autoremove, "autoremove"), (self.autoclean, "autoclean")] {
            if wanted {
                let (changed, out) = self.cleanup(ctx, operation)?;
                o.changed |= changed;
                stdout.push_str(&out.stdout);
            }
        }
        Ok(o.with("stdout", stdout.clone()).with("stderr", stderr).with("stdout_lines", stdout.lines().collect::<Vec<_>>()))
    }
}

register_module!(Apt);
