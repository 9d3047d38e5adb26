//! `git`: a checkout of a repository at a version (branch, tag, or commit),
//! through the `git` command (argv only). As in Ansible, an existing checkout
//! is fetched and switched on every run; it is `changed` only when the commit
//! (`before` → `after`) or the remote URL changed, and local modifications are
//! refused unless `force`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::module::Diff;
use crate::util::command::{self, CommandSpec};
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Deploy software (or files) from git checkouts.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Git {
    /// The repository URL or path.
    #[serde(alias = "name")]
    pub repo: String,
    /// Where the checkout goes.
    pub dest: PathBuf,
    /// Branch, tag, or commit to check out (`HEAD`: the remote's default branch).
    #[serde(default = "head", deserialize_with = "crate::util::scalar::string")]
    pub version: String,
    /// Discard local modifications instead of failing on them.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub force: bool,
    /// Fetch and switch an existing checkout (false: report it as is).
    #[serde(default = "yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub update: bool,
    /// Clone when `dest` is not a checkout yet.
    #[serde(default = "yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub clone: bool,
    /// Shallow clone/fetch with this many commits (branches, tags and HEAD).
    #[serde(default, deserialize_with = "crate::util::scalar::int_opt")]
    pub depth: Option<u32>,
    /// The remote's name.
    #[serde(default = "origin")]
    pub remote: String,
    /// The git program to use.
    #[serde(default)]
    pub executable: Option<String>,
    /// Accept an unknown or changed SSH host key (`-o StrictHostKeyChecking=no`).
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub accept_hostkey: bool,
    /// Accept an unknown SSH host key but not a changed one (`-o StrictHostKeyChecking=accept-new`).
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub accept_newhostkey: bool,
    /// The SSH private key to use (`-i KEY -o IdentitiesOnly=yes`).
    #[serde(default)]
    pub key_file: Option<String>,
    /// Extra options for the `ssh` git runs, e.g. `-o ConnectTimeout=5`.
    #[serde(default)]
    pub ssh_opts: Option<String>,
    /// Initialize and update submodules (recursively) after checkout.
    #[serde(default = "yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub recursive: bool,
    /// The umask for every git command (so for the files a checkout writes), as a
    /// quoted octal string such as `"0022"`.
    #[serde(default)]
    pub umask: Option<String>,
    /// Move submodules to the latest commit of their remote branch (`git submodule update --remote`)
    /// instead of the commit the superproject records.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub track_submodules: bool,
}

fn head() -> String {
    "HEAD".into()
}
fn yes() -> bool {
    true
}
fn origin() -> String {
    "origin".into()
}

/// What the version names on the remote.
#[derive(Debug, PartialEq)]
enum Target {
    Branch(String),
    Tag(String),
    Commit(String),
}

impl Git {
    fn git(&self, dir: Option<&Path>, args: &[&str]) -> Result<String, ModuleError> {
        let mut argv = vec![self.executable.clone().unwrap_or_else(|| "git".into())];
        argv.extend(args.iter().map(|a| a.to_string()));
        let mut spec = CommandSpec::new(argv);
        spec.chdir = dir.map(Path::to_path_buf);
        // Never prompt for credentials: an agent has no terminal.
        spec.env.push(("GIT_TERMINAL_PROMPT".into(), "0".into()));
        spec.env.push(("GIT_SSH_COMMAND".into(), self.ssh_command()));
        spec.umask = self.umask()?;
        Ok(command::run_ok(&spec)?.stdout.trim().to_string())
    }

    /// `umask` as Ansible reads it: an octal string.
    fn umask(&self) -> Result<Option<u32>, ModuleError> {
        self.umask
            .as_deref()
            .map(|u| u32::from_str_radix(u.trim(), 8).ok().filter(|m| *m <= 0o777))
            .map(|m| m.ok_or_else(|| ModuleError::BadArgs("umask must be an octal integer".into())))
            .transpose()
    }

    /// `GIT_SSH_COMMAND` as Ansible builds it: the caller's `GIT_SSH`/`GIT_SSH_COMMAND`
    /// (else `ssh`), then `ssh_opts`, the host key choice, `BatchMode=yes`, the key file.
    fn ssh_command(&self) -> String {
        let from_env = |k: &str| command::task_env().into_iter().find(|(n, _)| n == k).map(|(_, v)| v).or_else(|| std::env::var(k).ok());
        let mut cmd = from_env("GIT_SSH").or_else(|| from_env("GIT_SSH_COMMAND")).unwrap_or_else(|| "ssh".into());
        let mut opts = self.ssh_opts.clone().unwrap_or_default();
        let strict_set = opts.contains("StrictHostKeyChecking=");
        if self.accept_hostkey && !strict_set {
            opts.push_str(" -o StrictHostKeyChecking=no");
        }
        if self.accept_newhostkey && !strict_set {
            opts.push_str(" -o StrictHostKeyChecking=accept-new");
        }
        if !opts.contains("BatchMode=yes") {
            opts.push_str(" -o BatchMode=yes");
        }
        if let Some(key) = &self.key_file {
            // git hands this string to a shell: the path is quoted.
            opts.push_str(&format!(" -i {} -o IdentitiesOnly=yes", command::join_args(std::slice::from_ref(key))));
        }
        let opts = opts.trim();
        if !opts.is_empty() {
            cmd.push(' ');
            cmd.push_str(opts);
        }
        cmd
    }

    /// `git submodule status --recursive`, one line per submodule (`-` uninitialized,
    /// `+` at another commit than the superproject records).
    fn submodule_status(&self) -> Result<String, ModuleError> {
        self.git(Some(&self.dest), &["submodule", "status", "--recursive"])
    }

    /// Whether the submodules would change: uninitialized or off the recorded commit,
    /// or (tracking) behind their remote's HEAD.
    fn submodules_stale(&self) -> Result<bool, ModuleError> {
        let status = self.submodule_status()?;
        if status.lines().any(|l| l.starts_with(['-', '+'])) {
            return Ok(true);
        }
        if self.track_submodules {
            for path in status.lines().filter_map(|l| l.split_whitespace().nth(1)) {
                let dir = self.dest.join(path);
                let head = self.git(Some(&dir), &["rev-parse", "HEAD"])?;
                let remote = self.git(Some(&dir), &["ls-remote", "origin", "HEAD"])?;
                if remote.split_whitespace().next().is_some_and(|sha| sha != head) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Sync and update the submodules; whether anything moved.
    fn update_submodules(&self) -> Result<bool, ModuleError> {
        let before = self.submodule_status()?;
        let dir = Some(self.dest.as_path());
        self.git(dir, &["submodule", "sync", "--recursive"])?;
        let mut args = vec!["submodule", "update", "--init", "--recursive"];
        if self.track_submodules {
            args.push("--remote");
        }
        if self.force {
            args.push("--force");
        }
        self.git(dir, &args)?;
        Ok(self.submodule_status()? != before)
    }

    fn has_submodules(&self) -> bool {
        self.dest.join(".gitmodules").is_file()
    }

    /// `git ls-remote`: ref name → commit (tags peeled to their commit).
    fn remote_refs(&self, source: &str, dir: Option<&Path>) -> Result<BTreeMap<String, String>, ModuleError> {
        let out = self.git(dir, &["ls-remote", source])?;
        let mut refs = BTreeMap::new();
        for line in out.lines() {
            if let Some((sha, name)) = line.split_once('\t') {
                // A peeled `TAG^{}` line names the commit an annotated tag points at: it wins.
                match name.strip_suffix("^{}") {
                    Some(tag) => {
                        refs.insert(tag.to_string(), sha.to_string());
                    }
                    None => {
                        refs.entry(name.to_string()).or_insert_with(|| sha.to_string());
                    }
                }
            }
        }
        Ok(refs)
    }

    /// The remote's default branch (`ls-remote --symref SOURCE HEAD`).
    fn default_branch(&self, source: &str, dir: Option<&Path>) -> Result<String, ModuleError> {
        let out = self.git(dir, &["ls-remote", "--symref", source, "HEAD"])?;
        out.lines()
            .find_map(|l| l.strip_prefix("ref: refs/heads/").and_then(|r| r.split('\t').next()).map(str::to_string))
            .ok_or_else(|| ModuleError::Failed(format!("cannot find the default branch of {source}")))
    }

    /// Resolve `version` against the remote: what it is and the commit it points at
    /// (`None` for a commit not advertised by name).
    fn resolve(&self, source: &str, dir: Option<&Path>) -> Result<(Target, Option<String>), ModuleError> {
        let refs = self.remote_refs(source, dir)?;
        let v = &self.version;
        if v == "HEAD" {
            let branch = self.default_branch(source, dir)?;
            let sha = refs.get(&format!("refs/heads/{branch}")).cloned();
            return Ok((Target::Branch(branch), sha));
        }
        if let Some(sha) = refs.get(&format!("refs/heads/{v}")) {
            return Ok((Target::Branch(v.clone()), Some(sha.clone())));
        }
        if let Some(sha) = refs.get(&format!("refs/tags/{v}")) {
            return Ok((Target::Tag(v.clone()), Some(sha.clone())));
        }
        if v.len() >= 4 && v.len() <= 40 && v.chars().all(|c| c.is_ascii_hexdigit()) {
            let full = refs.values().find(|s| s.starts_with(v.as_str())).cloned();
            return Ok((Target::Commit(v.clone()), full.or_else(|| (v.len() == 40).then(|| v.clone()))));
        }
        Err(ModuleError::Failed(format!("Cannot find version {v} in {source}: not a branch, tag, or commit")))
    }

    fn is_checkout(&self) -> bool {
        self.dest.join(".git").exists()
    }

    fn head_sha(&self) -> Result<String, ModuleError> {
        self.git(Some(&self.dest), &["rev-parse", "HEAD"])
    }

    fn clone_repo(&self, target: &Target) -> Result<(), ModuleError> {
        let dest = self.dest.display().to_string();
        let depth = self.depth.map(|d| d.to_string());
        let mut args: Vec<&str> = vec!["clone", "--origin", &self.remote];
        // A shallow clone cannot reach an arbitrary commit: commits are cloned fully.
        if let (Some(d), Target::Branch(name) | Target::Tag(name)) = (&depth, target) {
            args.extend(["--depth", d, "--branch", name]);
        }
        args.extend(["--", self.repo.as_str(), dest.as_str()]);
        self.git(None, &args)?;
        Ok(())
    }

    fn fetch(&self) -> Result<(), ModuleError> {
        let refspec = format!("+refs/heads/*:refs/remotes/{}/*", self.remote);
        let depth = self.depth.map(|d| d.to_string());
        let mut args = vec!["fetch", "--tags", "--force"];
        if let Some(d) = &depth {
            args.extend(["--depth", d]);
        }
        args.extend([self.remote.as_str(), refspec.as_str()]);
        self.git(Some(&self.dest), &args)?;
        Ok(())
    }

    fn switch(&self, target: &Target) -> Result<(), ModuleError> {
        let dir = Some(self.dest.as_path());
        match target {
            Target::Branch(b) => {
                let tracking = format!("{}/{b}", self.remote);
                let local = self.git(dir, &["branch", "--list", b])?;
                if local.is_empty() {
                    self.git(dir, &["checkout", "--force", "--track", "-b", b, &tracking])?;
                } else {
                    self.git(dir, &["checkout", "--force", b])?;
                }
                self.git(dir, &["reset", "--hard", &tracking, "--"])?;
            }
            Target::Tag(v) | Target::Commit(v) => {
                self.git(dir, &["checkout", "--force", v])?;
            }
        }
        Ok(())
    }
}

impl Module for Git {
    const NAME: &'static str = "git";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.version.is_empty() || self.version.starts_with('-') {
            return Err(ModuleError::BadArgs(format!("invalid version {:?}", self.version)));
        }
        if self.repo.starts_with('-') {
            return Err(ModuleError::BadArgs(format!("invalid repo {:?}", self.repo)));
        }
        self.umask()?;
        if self.accept_hostkey && self.accept_newhostkey {
            return Err(ModuleError::BadArgs("parameters are mutually exclusive: accept_hostkey|accept_newhostkey".into()));
        }
        let mut o = Outcome::changed(false).with("before", serde_json::Value::Null);
        if !self.is_checkout() {
            let (target, remote_sha) = self.resolve(&self.repo, None)?;
            if ctx.check_mode || !self.clone {
                o.changed = true;
                o = o.with("after", remote_sha.clone().unwrap_or_else(|| self.version.clone()));
            } else {
                self.clone_repo(&target)?;
                self.switch(&target)?;
                if self.recursive && self.has_submodules() {
                    o = o.with("submodules_changed", self.update_submodules()?);
                }
                o.changed = true;
                o = o.with("after", self.head_sha()?);
            }
            if ctx.diff {
                let after = o.values.get("after").and_then(|v| v.as_str()).unwrap_or_default().to_string();
                o.diff.push(Diff { before: String::new(), after: format!("{after}\n"), ..Default::default() });
            }
            return Ok(o);
        }
        let before = self.head_sha()?;
        o = o.with("before", before.clone());
        if !self.update {
            return Ok(o.with("after", before));
        }
        let dir = Some(self.dest.as_path());
        let dirty = !self.git(dir, &["status", "--porcelain", "--untracked-files=no"])?.is_empty();
        if dirty && !self.force {
            return Err(ModuleError::failed_with(
                o,
                format!("Local modifications exist in the destination: {} (force=no).", self.dest.display()),
            ));
        }
        let current_url = self.git(dir, &["remote", "get-url", &self.remote]).unwrap_or_default();
        let url_changed = current_url != self.repo;
        o = o.with("remote_url_changed", url_changed);
        let after = if ctx.check_mode {
            let (_, remote_sha) = self.resolve(&self.repo, None)?;
            remote_sha.unwrap_or_else(|| self.version.clone())
        } else {
            if dirty {
                self.git(dir, &["reset", "--hard", "HEAD"])?;
                o = o.with_msg(format!("Local modifications exist in the destination: {}", self.dest.display()));
            }
            if url_changed {
                self.git(dir, &["remote", "set-url", &self.remote, &self.repo])?;
            }
            self.fetch()?;
            let (target, _) = self.resolve(&self.remote, dir)?;
            self.switch(&target)?;
            self.head_sha()?
        };
        let moved = if ctx.check_mode && after.len() < 40 { !before.starts_with(&after) } else { before != after };
        // Submodules follow the superproject; in check mode only their present state is judged.
        let mut submodules_changed = false;
        if self.recursive && self.has_submodules() {
            submodules_changed = if ctx.check_mode { self.submodules_stale()? } else { self.update_submodules()? };
            if submodules_changed {
                o = o.with("submodules_changed", true);
            }
        }
        o.changed = moved || url_changed || dirty || submodules_changed;
        if o.changed && ctx.diff {
            o.diff.push(Diff { before: format!("{before}\n"), after: format!("{after}\n"), ..Default::default() });
        }
        Ok(o.with("after", after))
    }
}

register_module!(Git);
