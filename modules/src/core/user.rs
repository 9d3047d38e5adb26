//! `user`: a local account, through `useradd`/`usermod`/`userdel`, reading
//! `/etc/passwd`, `/etc/group` and `/etc/shadow` first so only what differs is
//! changed (and check mode predicts exactly that).

use std::collections::BTreeSet;
use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;

use super::group::PresentAbsent;
use crate::util::accounts::{self, PasswdEntry};
use crate::util::clock;
use crate::util::command::{self, CommandSpec};
use crate::util::ssh_keygen;
use crate::{register_module, Context, Module, ModuleError, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdatePassword {
    Always,
    OnCreate,
}

/// Manage user accounts.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The account's name.
    #[serde(alias = "user")]
    pub name: String,
    /// The account's number.
    #[serde(default, deserialize_with = "crate::util::scalar::int_opt")]
    pub uid: Option<u32>,
    /// Allow a `uid` another account already has.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub non_unique: bool,
    /// The primary group (name or number); it must exist.
    #[serde(default, deserialize_with = "crate::util::scalar::string_opt")]
    pub group: Option<String>,
    /// Supplementary groups, a list or a comma-separated string; `""` removes all (unless `append`).
    #[serde(default, deserialize_with = "crate::util::scalar::list_opt")]
    pub groups: Option<Vec<String>>,
    /// Add `groups` to the current ones instead of replacing them.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub append: bool,
    /// The login shell.
    #[serde(default)]
    pub shell: Option<String>,
    /// The home directory.
    #[serde(default)]
    pub home: Option<String>,
    /// Move the contents of the old home when `home` changes.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub move_home: bool,
    /// Create the home directory when the account is created (or is missing it).
    #[serde(default = "yes", alias = "createhome", deserialize_with = "crate::util::boolish::deserialize")]
    pub create_home: bool,
    /// The skeleton directory copied into a new home.
    #[serde(default)]
    pub skeleton: Option<String>,
    /// Create a system account.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub system: bool,
    /// The GECOS field.
    #[serde(default)]
    pub comment: Option<String>,
    /// The password as a crypt(3) hash (as in `/etc/shadow`), never clear text.
    #[serde(default)]
    pub password: Option<String>,
    /// `always` updates a differing hash; `on_create` only sets it on new accounts.
    #[serde(default = "always")]
    pub update_password: UpdatePassword,
    /// Whether the account should exist.
    #[serde(default = "present")]
    pub state: PresentAbsent,
    /// With `state: absent`, remove the home directory and mail spool too (`userdel -r`).
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub remove: bool,
    /// With `state: absent`, remove even if the user is logged in (`userdel -f`);
    /// with `generate_ssh_key`, overwrite an existing key.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub force: bool,
    /// When the account expires, in seconds since the epoch (only the UTC day counts);
    /// a negative value removes the expiry.
    #[serde(default, deserialize_with = "float_opt")]
    pub expires: Option<f64>,
    /// Lock (`usermod -L`) or unlock (`usermod -U`) the password; unset leaves it as it is.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize_opt")]
    pub password_lock: Option<bool>,
    /// Generate an SSH key pair for the user; an existing key is kept unless `force`.
    #[serde(default, deserialize_with = "crate::util::boolish::deserialize")]
    pub generate_ssh_key: bool,
    /// The key's size in bits (`0`, the default, leaves it to ssh-keygen).
    #[serde(default, deserialize_with = "crate::util::scalar::int")]
    pub ssh_key_bits: u32,
    /// The key's type (`ssh-keygen -t`).
    #[serde(default = "rsa")]
    pub ssh_key_type: String,
    /// The private key's path; relative to the user's home (default `.ssh/id_TYPE`).
    #[serde(default)]
    pub ssh_key_file: Option<String>,
    /// The key's comment (default `ansible-generated on HOSTNAME`).
    #[serde(default)]
    pub ssh_key_comment: Option<String>,
    /// A passphrase for the key (default none). Passed to ssh-keygen as `-N`, so it is
    /// briefly visible in the process table.
    #[serde(default)]
    pub ssh_key_passphrase: Option<String>,
}

fn rsa() -> String {
    "rsa".into()
}

/// Ansible's `type: float`: a number, or a string holding one.
fn float_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => Ok(n.as_f64()),
        serde_json::Value::String(s) => {
            s.trim().parse().map(Some).map_err(|_| serde::de::Error::custom(format!("expires: {s:?} is not a number")))
        }
        other => Err(serde::de::Error::custom(format!("expires: {other} is not a number"))),
    }
}

fn yes() -> bool {
    true
}
fn always() -> UpdatePassword {
    UpdatePassword::Always
}
fn present() -> PresentAbsent {
    PresentAbsent::Present
}

/// useradd/usermod's `-e` value: `YYYY-MM-DD` (UTC), or empty to clear the expiry.
fn expiry_date(expires: f64) -> String {
    if expires < 0.0 {
        String::new()
    } else {
        clock::date((expires / 86_400.0).floor() as i64)
    }
}

impl User {
    /// The hash to set: prefixed with `!` when `password_lock` asks for a locked password.
    fn locked_hash(&self, hash: &str) -> String {
        if self.password_lock == Some(true) {
            format!("!{hash}")
        } else {
            hash.to_string()
        }
    }

    /// The SSH key part of a run: generate when missing (or `force`), then report it.
    fn ssh_key(&self, ctx: &Context, o: &mut Outcome) -> Result<(), ModuleError> {
        let user = accounts::user(&self.name)?;
        // In check mode a new account does not exist yet: predict useradd's default home.
        let home = match (&user, &self.home) {
            (Some(u), _) => u.home.clone(),
            (None, Some(h)) => h.clone(),
            (None, None) => format!("/home/{}", self.name),
        };
        let path = ssh_keygen::key_path(&home, self.ssh_key_file.as_deref(), &self.ssh_key_type);
        if ssh_keygen::needed(&path, self.force) {
            o.changed = true;
            if !ctx.check_mode {
                let user = user.ok_or_else(|| ModuleError::Failed(format!("user {} does not exist", self.name)))?;
                let under_home = !self.ssh_key_file.as_deref().is_some_and(|f| f.starts_with('/'));
                if under_home && !Path::new(&home).is_dir() {
                    return Err(ModuleError::Failed(format!("User {} home directory does not exist", self.name)));
                }
                let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
                let comment = self.ssh_key_comment.clone().unwrap_or_else(|| format!("ansible-generated on {}", hostname.trim()));
                let spec = ssh_keygen::KeySpec {
                    key_type: &self.ssh_key_type,
                    bits: self.ssh_key_bits,
                    comment: &comment,
                    passphrase: self.ssh_key_passphrase.as_deref(),
                    force: self.force,
                };
                ssh_keygen::generate(&path, &spec, user.uid, user.gid)?;
            }
        }
        o.values.insert("ssh_fingerprint".into(), ssh_keygen::fingerprint(&path).into());
        o.values.insert("ssh_key_file".into(), path.display().to_string().into());
        o.values.insert("ssh_public_key".into(), ssh_keygen::public_key(&path).into());
        Ok(())
    }

    fn check_groups_exist(&self) -> Result<Vec<String>, ModuleError> {
        let mut names = Vec::new();
        for g in self.groups.iter().flatten() {
            let found = accounts::group(g)?.ok_or_else(|| ModuleError::Failed(format!("Group {g} does not exist")))?;
            names.push(found.name);
        }
        Ok(names)
    }

    fn primary_group(&self) -> Result<Option<accounts::GroupEntry>, ModuleError> {
        match &self.group {
            None => Ok(None),
            Some(g) => accounts::group(g)?.map(Some).ok_or_else(|| ModuleError::Failed(format!("Group {g} does not exist"))),
        }
    }

    fn create_argv(&self) -> Result<Vec<String>, ModuleError> {
        let mut argv = vec!["useradd".to_string()];
        if let Some(uid) = self.uid {
            argv.extend(["-u".into(), uid.to_string()]);
            if self.non_unique {
                argv.push("-o".into());
            }
        }
        if let Some(g) = self.primary_group()? {
            argv.extend(["-g".into(), g.name]);
        } else if accounts::group(&self.name)?.is_some() {
            // A group with the user's name exists: do not let useradd try to create it again.
            argv.push("-N".into());
        }
        let groups = self.check_groups_exist()?;
        if !groups.is_empty() {
            argv.extend(["-G".into(), groups.join(",")]);
        }
        if let Some(c) = &self.comment {
            argv.extend(["-c".into(), c.clone()]);
        }
        if let Some(h) = &self.home {
            argv.extend(["-d".into(), h.clone()]);
        }
        if let Some(s) = &self.shell {
            argv.extend(["-s".into(), s.clone()]);
        }
        if let Some(e) = self.expires {
            argv.extend(["-e".into(), expiry_date(e)]);
        }
        if let Some(p) = &self.password {
            argv.extend(["-p".into(), self.locked_hash(p)]);
        }
        if self.create_home {
            argv.push("-m".into());
            if let Some(k) = &self.skeleton {
                argv.extend(["-k".into(), k.clone()]);
            }
        } else {
            argv.push("-M".into());
        }
        if self.system {
            argv.push("-r".into());
        }
        argv.push(self.name.clone());
        Ok(argv)
    }

    /// `usermod` for what differs; `None` when nothing does.
    fn modify_argv(&self, cur: &PasswdEntry) -> Result<Option<Vec<String>>, ModuleError> {
        let mut argv = vec!["usermod".to_string()];
        if let Some(uid) = self.uid.filter(|u| *u != cur.uid) {
            argv.extend(["-u".into(), uid.to_string()]);
            if self.non_unique {
                argv.push("-o".into());
            }
        }
        if let Some(g) = self.primary_group()?.filter(|g| g.gid != cur.gid) {
            argv.extend(["-g".into(), g.name]);
        }
        if self.groups.is_some() {
            let want: BTreeSet<String> = self.check_groups_exist()?.into_iter().collect();
            let have: BTreeSet<String> =
                accounts::groups()?.into_iter().filter(|g| g.members.iter().any(|m| m == &self.name)).map(|g| g.name).collect();
            let needs = if self.append { !want.is_subset(&have) } else { want != have };
            if needs {
                if self.append {
                    argv.push("-a".into());
                }
                argv.extend(["-G".into(), want.into_iter().collect::<Vec<_>>().join(",")]);
            }
        }
        if let Some(c) = self.comment.as_ref().filter(|c| **c != cur.gecos) {
            argv.extend(["-c".into(), c.clone()]);
        }
        if let Some(h) = self.home.as_ref().filter(|h| **h != cur.home) {
            argv.extend(["-d".into(), h.clone()]);
            if self.move_home {
                argv.push("-m".into());
            }
        }
        if let Some(s) = self.shell.as_ref().filter(|s| **s != cur.shell) {
            argv.extend(["-s".into(), s.clone()]);
        }
        if let Some(e) = self.expires {
            // As Ansible: compare whole days; an unset expiry is -1.
            let current = accounts::shadow_expire(&self.name).unwrap_or(-1);
            let differs = if e < 0.0 { current >= 0 } else { current < 0 || current != (e / 86_400.0).floor() as i64 };
            if differs {
                argv.extend(["-e".into(), expiry_date(e)]);
            }
        }
        let hash = accounts::shadow_hash(&self.name).unwrap_or_default();
        match self.password_lock {
            Some(true) if !hash.starts_with('!') => argv.push("-L".into()),
            Some(false) if hash.starts_with('!') => argv.push("-U".into()),
            _ => {}
        }
        if let (Some(p), UpdatePassword::Always) = (&self.password, self.update_password) {
            if hash.trim_start_matches('!') != p.trim_start_matches('!') {
                // -p sets the lock state itself; -L/-U cannot go with it.
                argv.retain(|a| a != "-L" && a != "-U");
                argv.extend(["-p".into(), self.locked_hash(p)]);
            }
        }
        if argv.len() == 1 {
            return Ok(None);
        }
        argv.push(self.name.clone());
        Ok(Some(argv))
    }
}

impl Module for User {
    const NAME: &'static str = "user";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        if self.name.is_empty() || self.name.starts_with('-') || self.name.contains([':', ',', '\n', '/']) {
            return Err(ModuleError::BadArgs(format!("invalid user name {:?}", self.name)));
        }
        let current = accounts::user(&self.name)?;
        let mut o = Outcome::default().with("name", self.name.clone());
        if self.state == PresentAbsent::Absent {
            o = o.with("state", "absent");
            if current.is_some() {
                o = o.with("force", self.force).with("remove", self.remove);
                o.changed = true;
                if !ctx.check_mode {
                    let mut argv = vec!["userdel".to_string()];
                    if self.force {
                        argv.push("-f".into());
                    }
                    if self.remove {
                        argv.push("-r".into());
                    }
                    argv.push(self.name.clone());
                    command::run_ok(&CommandSpec::new(argv))?;
                }
            }
            return Ok(o);
        }
        let plan = match &current {
            None => Some(self.create_argv()?),
            Some(cur) => self.modify_argv(cur)?,
        };
        if let Some(argv) = &plan {
            o.changed = true;
            if !ctx.check_mode {
                command::run_ok(&CommandSpec::new(argv.clone()))?;
            }
        }
        // An existing account missing its home gets one, as Ansible does with create_home.
        if let (Some(cur), true) = (&current, self.create_home) {
            let home = self.home.clone().unwrap_or_else(|| cur.home.clone());
            if !home.is_empty() && !std::path::Path::new(&home).exists() {
                o.changed = true;
                if !ctx.check_mode {
                    create_home(&home, self.skeleton.as_deref(), &self.name)?;
                }
            }
        }
        if self.generate_ssh_key {
            self.ssh_key(ctx, &mut o)?;
        }
        o = o.with("state", "present");
        o = if current.is_none() {
            o.with("system", self.system).with("create_home", self.create_home)
        } else {
            o.with("append", self.append).with("move_home", self.move_home)
        };
        if let Some(after) = accounts::user(&self.name)? {
            o = o
                .with("uid", after.uid)
                .with("group", after.gid)
                .with("comment", after.gecos)
                .with("home", after.home)
                .with("shell", after.shell);
        }
        if let Some(groups) = &self.groups {
            o = o.with("groups", groups.join(","));
        }
        if self.password.is_some() {
            o = o.with("password", "NOT_LOGGING_PASSWORD");
        }
        Ok(o)
    }
}

fn create_home(home: &str, skeleton: Option<&str>, user: &str) -> Result<(), ModuleError> {
    let skel = skeleton.unwrap_or("/etc/skel");
    let mut argv = vec!["mkdir".to_string(), "-p".into(), "-m".into(), "0755".into(), home.to_string()];
    if std::path::Path::new(skel).is_dir() {
        argv = vec!["cp".into(), "-a".into(), skel.into(), home.into()];
    }
    command::run_ok(&CommandSpec::new(argv))?;
    command::run_ok(&CommandSpec::new(["chown".to_string(), "-R".into(), format!("{user}:"), home.to_string()]))?;
    Ok(())
}

register_module!(User);
