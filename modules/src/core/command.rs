//! `command`: run a program with arguments, never through a shell.
//!
//! The free form (`command: ls -l /tmp`, which the executor passes as
//! `_raw_params`) or `cmd` is split like Python's `shlex.split`; `argv` is taken
//! as is. `$VAR` and `~` in arguments are expanded as Ansible does
//! (`expand_argument_vars`), but there are no pipes, redirections or globs.
//! In check mode the command is skipped unless `creates`/`removes` decide it.

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::util::clock;
use crate::util::command::{self, CommandSpec};
use crate::util::scalar::Scalar;
use crate::{register_module, Context, Module, ModuleError, Outcome};

/// Execute a command on the target, without a shell.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandArgs {
    /// The free-form command (`command: echo hi`), split like a shell would split words.
    #[serde(default, rename = "_raw_params")]
    pub raw_params: Option<String>,
    /// The command as a string, split like the free form.
    #[serde(default)]
    pub cmd: Option<String>,
    /// The command as a list of arguments, not split any further.
    #[serde(default)]
    pub argv: Option<Vec<Scalar>>,
    /// Change into this directory before running the command.
    #[serde(default)]
    pub chdir: Option<PathBuf>,
    /// A path or glob; when it matches, the command is not run.
    #[serde(default)]
    pub creates: Option<String>,
    /// A path or glob; when it does not match, the command is not run.
    #[serde(default)]
    pub removes: Option<String>,
    /// Data fed to the command's standard input.
    #[serde(default)]
    pub stdin: Option<String>,
    /// Append a newline to `stdin`.
    #[serde(default = "yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub stdin_add_newline: bool,
    /// Strip trailing newlines from stdout and stderr.
    #[serde(default = "yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub strip_empty_ends: bool,
    /// Expand `~` and `$VARS` in the arguments.
    #[serde(default = "yes", deserialize_with = "crate::util::boolish::deserialize")]
    pub expand_argument_vars: bool,
}

fn yes() -> bool {
    true
}

/// What `command` and `shell` have in common once their arguments are resolved.
pub struct Execution<'a> {
    pub argv: Vec<String>,
    /// How the result shows `cmd`: a list for `command`, the script for `shell`.
    pub cmd_value: Value,
    pub chdir: Option<&'a PathBuf>,
    pub creates: Option<&'a str>,
    pub removes: Option<&'a str>,
    pub stdin: Option<&'a str>,
    pub stdin_add_newline: bool,
    pub strip_empty_ends: bool,
}

fn glob_matches(pattern: &str) -> Result<bool, ModuleError> {
    let mut paths = glob::glob(pattern).map_err(|e| ModuleError::BadArgs(format!("invalid pattern {pattern:?}: {e}")))?;
    Ok(paths.any(|p| p.is_ok()))
}

fn base(cmd: &Value) -> Outcome {
    let mut o = Outcome::changed(false);
    o.values.insert("cmd".into(), cmd.clone());
    for k in ["rc", "start", "end", "delta"] {
        o.values.insert(k.into(), Value::Null);
    }
    for k in ["stdout", "stderr"] {
        o.values.insert(k.into(), "".into());
    }
    o.values.insert("stdout_lines".into(), Value::Array(vec![]));
    o.values.insert("stderr_lines".into(), Value::Array(vec![]));
    o.msg = Some(String::new());
    o
}

fn lines(s: &str) -> Value {
    s.lines().map(|l| Value::String(l.to_string())).collect()
}

impl Execution<'_> {
    pub fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let mut o = base(&self.cmd_value);
        let verb = if ctx.check_mode { "Would" } else { "Did" };
        if let Some(dir) = self.chdir {
            if !dir.is_dir() {
                return Err(ModuleError::failed_with(
                    o,
                    format!("Unable to change directory before execution: {} is not a directory", dir.display()),
                ));
            }
        }
        // Relative creates/removes are relative to chdir, as Ansible changes directory first.
        let resolve = |p: &str| match self.chdir {
            Some(d) if !p.starts_with('/') => d.join(p).to_string_lossy().into_owned(),
            _ => p.to_string(),
        };
        let mut skip = None;
        if let Some(c) = self.creates {
            if glob_matches(&resolve(c))? {
                skip = Some((format!("{verb} not run command since '{c}' exists"), format!("skipped, since {c} exists")));
            }
        }
        if let (None, Some(r)) = (&skip, self.removes) {
            if !glob_matches(&resolve(r))? {
                skip = Some((format!("{verb} not run command since '{r}' does not exist"), format!("skipped, since {r} does not exist")));
            }
        }
        if let Some((msg, stdout)) = skip {
            o.values.insert("rc".into(), 0.into());
            o.values.insert("stdout_lines".into(), lines(&stdout));
            o.values.insert("stdout".into(), stdout.into());
            return Ok(o.with_msg(msg));
        }
        if ctx.check_mode {
            o.values.insert("rc".into(), 0.into());
            let decided = self.creates.is_some() || self.removes.is_some();
            o.changed = decided;
            o.skipped = !decided;
            return Ok(o.with_msg("Command would have run if not in check mode"));
        }
        let mut spec = CommandSpec::new(self.argv.clone());
        spec.chdir = self.chdir.cloned();
        spec.stdin = self.stdin.map(|s| {
            let mut data = s.as_bytes().to_vec();
            if self.stdin_add_newline {
                data.push(b'\n');
            }
            data
        });
        o.changed = true;
        let started = SystemTime::now();
        let clock_start = Instant::now();
        let out = match command::run(&spec) {
            Ok(out) => out,
            Err(e) => {
                // As Ansible: a program that cannot be started is rc 2, not a change.
                o.changed = false;
                o.values.insert("rc".into(), 2.into());
                return Err(ModuleError::failed_with(o, format!("Error executing command: {e}")));
            }
        };
        let ended = SystemTime::now();
        o.values.insert("start".into(), clock::timestamp(started).into());
        o.values.insert("end".into(), clock::timestamp(ended).into());
        o.values.insert("delta".into(), clock::delta(clock_start.elapsed()).into());
        let (stdout, stderr) = if self.strip_empty_ends {
            (out.stdout.trim_end_matches(['\r', '\n']).to_string(), out.stderr.trim_end_matches(['\r', '\n']).to_string())
        } else {
            (out.stdout, out.stderr)
        };
        o.values.insert("rc".into(), out.rc.into());
        o.values.insert("stdout_lines".into(), lines(&stdout));
        o.values.insert("stderr_lines".into(), lines(&stderr));
        o.values.insert("stdout".into(), stdout.into());
        o.values.insert("stderr".into(), stderr.into());
        if out.rc != 0 {
            return Err(ModuleError::failed_with(o, "non-zero return code"));
        }
        Ok(o)
    }
}

/// `~` and `$VAR`/`${VAR}` expansion like Python's `expanduser(expandvars(arg))`:
/// unknown variables are left as written.
pub fn expand_vars(arg: &str) -> String {
    let env = command::task_env();
    let lookup = |name: &str| env.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone()).or_else(|| std::env::var(name).ok());
    let mut out = String::with_capacity(arg.len());
    let mut rest = arg;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, consumed) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            (&after[..end], end)
        };
        match (name.is_empty(), lookup(name)) {
            (false, Some(v)) => out.push_str(&v),
            _ => out.push_str(&rest[pos..pos + 1 + consumed]),
        }
        rest = &after[consumed..];
        if consumed == 0 {
            // a lone `$`: already copied
            continue;
        }
    }
    out.push_str(rest);
    match out.strip_prefix('~') {
        Some(tail) if tail.is_empty() || tail.starts_with('/') => match lookup("HOME") {
            Some(home) => format!("{home}{tail}"),
            None => out,
        },
        _ => out,
    }
}

impl Module for CommandArgs {
    const NAME: &'static str = "command";
    fn run(&self, ctx: &Context) -> Result<Outcome, ModuleError> {
        let given = [self.raw_params.is_some(), self.cmd.is_some(), self.argv.is_some()].iter().filter(|b| **b).count();
        if given == 0 {
            return Err(ModuleError::BadArgs("one of the following is required: _raw_params, cmd, argv".into()));
        }
        if given > 1 {
            return Err(ModuleError::BadArgs("parameters are mutually exclusive: _raw_params|cmd|argv".into()));
        }
        let (free_line, free) = match &self.raw_params {
            Some(line) => {
                let (rest, opts) = super::free_form::split(line)?;
                (Some(rest), opts)
            }
            None => (None, Default::default()),
        };
        let mut argv = match (&free_line, &self.cmd, &self.argv) {
            (Some(line), _, _) | (_, Some(line), _) => command::split_args(line)
                .ok_or_else(|| ModuleError::BadArgs(format!("cannot split command line (unbalanced quotes?): {line}")))?,
            (_, _, Some(list)) => list.iter().cloned().map(Scalar::into_string).collect(),
            _ => Vec::new(),
        };
        if argv.is_empty() {
            return Err(ModuleError::BadArgs("no command given".into()));
        }
        let cmd_value: Value = argv.iter().cloned().map(Value::String).collect();
        if self.expand_argument_vars {
            argv = argv.iter().map(|a| expand_vars(a)).collect();
        }
        // Explicit arguments win over `key=value` words in the free form.
        let chdir = self.chdir.clone().or(free.chdir.map(PathBuf::from));
        Execution {
            argv,
            cmd_value,
            chdir: chdir.as_ref(),
            creates: self.creates.as_deref().or(free.creates.as_deref()),
            removes: self.removes.as_deref().or(free.removes.as_deref()),
            stdin: self.stdin.as_deref().or(free.stdin.as_deref()),
            stdin_add_newline: free.stdin_add_newline.unwrap_or(self.stdin_add_newline),
            strip_empty_ends: free.strip_empty_ends.unwrap_or(self.strip_empty_ends),
        }
        .run(ctx)
    }
}

register_module!(CommandArgs);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_known_vars_only() {
        std::env::set_var("DPCTL_EXPAND_T", "v");
        assert_eq!(expand_vars("a$DPCTL_EXPAND_T-${DPCTL_EXPAND_T}b"), "av-vb");
        assert_eq!(expand_vars("$DPCTL_NOPE_X and $ alone ${"), "$DPCTL_NOPE_X and $ alone ${");
    }
}
