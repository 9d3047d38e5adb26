//! The one place where modules run programs: always an argv, never a shell
//! string built by concatenation. `shell` is the only module that asks for a
//! shell, and it passes the user's script as one argument to `sh -c`.

use std::io::Write;
use std::path::PathBuf;
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

/// Run a command to completion, capturing its output.
pub fn run(spec: &CommandSpec) -> Result<CommandOutput, ModuleError> {
    let (program, args) = spec.argv.split_first().ok_or_else(|| ModuleError::BadArgs("no command given".into()))?;
    let mut cmd = Command::new(program);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if spec.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    if let Some(dir) = &spec.chdir {
        cmd.current_dir(dir);
    }
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
    fn stdin_and_exit_code() {
        let mut spec = CommandSpec::new(["sh", "-c", "cat; exit 3"]);
        spec.stdin = Some(b"hello".to_vec());
        let out = run(&spec).unwrap();
        assert_eq!((out.rc, out.stdout.as_str()), (3, "hello"));
    }
}
