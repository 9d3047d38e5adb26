//! The one place where modules run programs: always an argv, never a shell
//! string built by concatenation. `shell` is the only module that asks for a
//! shell, and it passes the user's script as one argument to `sh -c`.

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Map, Value};

use crate::error::ModuleError;

/// What to run and how.
#[derive(Debug, Clone, Default)]
pub struct CommandSpec {
    pub argv: Vec<String>,
    pub chdir: Option<PathBuf>,
    pub stdin: Option<Vec<u8>>,
    pub env: Vec<(String, String)>,
}

impl CommandSpec {
    pub fn new<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CommandSpec { argv: argv.into_iter().map(Into::into).collect(), ..Default::default() }
    }
}

/// A finished command, with Ansible's return fields.
#[derive(Debug, Clone)]
pub struct CommandOutput {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    /// `rc`, `stdout`, `stderr`, `stdout_lines`, `stderr_lines` as Ansible returns them
    /// (one trailing newline stripped).
    pub fn to_values(&self, cmd: &[String]) -> Map<String, Value> {
        let mut m = Map::new();
        let out = self.stdout.strip_suffix('\n').unwrap_or(&self.stdout).to_string();
        let err = self.stderr.strip_suffix('\n').unwrap_or(&self.stderr).to_string();
        m.insert("cmd".into(), cmd.iter().cloned().map(Value::String).collect());
        m.insert("rc".into(), self.rc.into());
        m.insert("stdout_lines".into(), out.lines().map(|l| Value::String(l.into())).collect());
        m.insert("stderr_lines".into(), err.lines().map(|l| Value::String(l.into())).collect());
        m.insert("stdout".into(), out.into());
        m.insert("stderr".into(), err.into());
        m
    }
}

thread_local! {
    /// The task's `environment:` (Ansible's keyword), set by the agent around one module run,
    /// so every command a module starts sees it without each module threading it through.
    static TASK_ENV: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with `env` added to the environment of every command it starts.
pub fn with_task_env<T>(env: Vec<(String, String)>, f: impl FnOnce() -> T) -> T {
    let previous = TASK_ENV.with(|e| e.replace(env));
    let result = f();
    TASK_ENV.with(|e| e.replace(previous));
    result
}

/// The task environment currently in force (see [`with_task_env`]).
pub fn task_env() -> Vec<(String, String)> {
    TASK_ENV.with(|e| e.borrow().clone())
}

/// Split a free-form command line into argv the way Ansible's `command` does
/// (POSIX shell-like quoting, no expansion). `None` when the quoting is unbalanced.
pub fn split_args(line: &str) -> Option<Vec<String>> {
    shlex::split(line)
}

/// Quote argv for display (`cmd` in messages), shell-style.
pub fn join_args(argv: &[String]) -> String {
    argv.iter().map(|a| shlex::try_quote(a).map(|q| q.into_owned()).unwrap_or_else(|_| a.clone())).collect::<Vec<_>>().join(" ")
}

/// The full path of `program` if it is on `PATH` (task environment first), like `which`.
pub fn which(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Path::new(program).is_file().then(|| PathBuf::from(program));
    }
    let path = task_env()
        .into_iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v)
        .or_else(|| std::env::var("PATH").ok())
        .unwrap_or_else(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    path.split(':').map(|d| Path::new(d).join(program)).find(|p| p.is_file())
}

/// Run and fail with the command's stderr when it exits non-zero.
pub fn run_ok(spec: &CommandSpec) -> Result<CommandOutput, ModuleError> {
    let out = run(spec)?;
    if out.rc != 0 {
        let detail = if out.stderr.trim().is_empty() { out.stdout.trim() } else { out.stderr.trim() };
        return Err(ModuleError::Failed(format!("`{}` failed (rc={}): {detail}", join_args(&spec.argv), out.rc)));
    }
    Ok(out)
}

/// Run a command to completion, capturing its output.
pub fn run(spec: &CommandSpec) -> Result<CommandOutput, ModuleError> {
    let (program, args) = spec.argv.split_first().ok_or_else(|| ModuleError::BadArgs("no command given".into()))?;
    // Resolve through the task environment's PATH too, which `Command` alone would not see.
    let resolved = which(program).unwrap_or_else(|| PathBuf::from(program));
    let mut cmd = Command::new(&resolved);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if spec.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    if let Some(dir) = &spec.chdir {
        cmd.current_dir(dir);
    }
    cmd.envs(task_env());
    cmd.envs(spec.env.iter().map(|(k, v)| (k, v)));
    let mut child = cmd.spawn().map_err(|e| ModuleError::io(format!("cannot run {program}"), e))?;
    if let (Some(input), Some(mut pipe)) = (&spec.stdin, child.stdin.take()) {
        let input = input.clone();
        // A writer thread, so a command that fills its stdout before reading stdin cannot deadlock us.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let out = child.wait_with_output().map_err(|e| ModuleError::io(format!("waiting for {program}"), e))?;
    Ok(CommandOutput {
        rc: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_is_not_split_or_interpreted() {
        let out = run(&CommandSpec::new(["printf", "%s|", "a b", "$HOME"])).unwrap();
        assert_eq!(out.stdout, "a b|$HOME|");
        assert_eq!(out.rc, 0);
    }

    #[test]
    fn free_form_split_like_shlex() {
        assert_eq!(split_args(r#"echo "a b" 'c d' e\ f"#).unwrap(), ["echo", "a b", "c d", "e f"]);
        assert!(split_args("echo 'unbalanced").is_none());
    }

    #[test]
    fn task_env_reaches_commands() {
        let out = with_task_env(vec![("DPCTL_X".into(), "42".into())], || run(&CommandSpec::new(["printenv", "DPCTL_X"]))).unwrap();
        assert_eq!(out.stdout, "42\n");
        assert_eq!(run(&CommandSpec::new(["printenv", "DPCTL_X"])).unwrap().rc, 1);
    }

    #[test]
    fn stdin_and_exit_code() {
        let mut spec = CommandSpec::new(["sh", "-c", "cat; exit 3"]);
        spec.stdin = Some(b"hello".to_vec());
        let out = run(&spec).unwrap();
        assert_eq!((out.rc, out.stdout.as_str()), (3, "hello"));
    }
}
