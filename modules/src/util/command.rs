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
    /// Collect stdout/stderr through temp files instead of pipes, and wait only for the
    /// process to exit: an init script that leaves a daemon holding its output open
    /// (the classic `service X start` hang) cannot block the module.
    pub output_via_files: bool,
    /// The umask the command starts with (git's `umask`); `None` inherits the agent's.
    pub umask: Option<u32>,
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

thread_local! {
    /// When an async job's time is up (`async:` seconds after it started): commands
    /// still running then are killed, with their process group.
    static TASK_DEADLINE: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
}

/// Run `f` with every command it starts killed at `deadline`.
pub fn with_deadline<T>(deadline: std::time::Instant, f: impl FnOnce() -> T) -> T {
    let previous = TASK_DEADLINE.with(|d| d.replace(Some(deadline)));
    let result = f();
    TASK_DEADLINE.with(|d| d.set(previous));
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
    let deadline = TASK_DEADLINE.with(|d| d.get());
    // Under a deadline we must be free to stop waiting: no pipes to drain.
    let files = if spec.output_via_files || deadline.is_some() { Some(OutputFiles::create(&mut cmd)?) } else { None };
    if deadline.is_some() {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    if let Some(mask) = spec.umask {
        use std::os::unix::process::CommandExt;
        // SAFETY: umask(2) is async-signal-safe and touches only the child's own state.
        unsafe {
            cmd.pre_exec(move || {
                libc::umask(mask as libc::mode_t);
                Ok(())
            });
        }
    }
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
    if let (Some(deadline), Some(_)) = (deadline, &files) {
        wait_until(&mut child, deadline, program)?;
    }
    if let Some(files) = files {
        let status = child.wait().map_err(|e| ModuleError::io(format!("waiting for {program}"), e))?;
        return Ok(files.collect(status.code().unwrap_or(-1)));
    }
    let out = child.wait_with_output().map_err(|e| ModuleError::io(format!("waiting for {program}"), e))?;
    Ok(CommandOutput {
        rc: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Waits for `child` until `deadline`, then kills its process group.
fn wait_until(child: &mut std::process::Child, deadline: std::time::Instant, program: &str) -> Result<(), ModuleError> {
    loop {
        if child.try_wait().map_err(|e| ModuleError::io(format!("waiting for {program}"), e))?.is_some() {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            if let Ok(pid) = i32::try_from(child.id()) {
                // SAFETY: kill(2) on the group we created for this child; no memory is involved.
                unsafe { libc::kill(-pid, libc::SIGKILL) };
            }
            let _ = child.kill();
            let _ = child.wait();
            return Err(ModuleError::Failed(format!("{program} was killed: the async job's time limit was reached")));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Unlinked temp files standing in for the stdout/stderr pipes.
struct OutputFiles {
    out: std::fs::File,
    err: std::fs::File,
}

impl OutputFiles {
    fn create(cmd: &mut Command) -> Result<OutputFiles, ModuleError> {
        let open = |tag: &str| -> Result<std::fs::File, ModuleError> {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
            let path = std::env::temp_dir().join(format!(".dpctl-{tag}-{}-{nanos}", std::process::id()));
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| ModuleError::io(format!("creating {}", path.display()), e))?;
            let _ = std::fs::remove_file(&path);
            Ok(f)
        };
        let (out, err) = (open("out")?, open("err")?);
        let clone = |f: &std::fs::File| f.try_clone().map_err(|e| ModuleError::io("duplicating an output file", e));
        cmd.stdout(Stdio::from(clone(&out)?)).stderr(Stdio::from(clone(&err)?));
        Ok(OutputFiles { out, err })
    }

    fn collect(self, rc: i32) -> CommandOutput {
        use std::io::{Read, Seek};
        let read = |mut f: std::fs::File| {
            let mut buf = Vec::new();
            let _ = f.rewind().and_then(|_| f.read_to_end(&mut buf));
            String::from_utf8_lossy(&buf).into_owned()
        };
        CommandOutput { rc, stdout: read(self.out), stderr: read(self.err) }
    }
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
    fn output_via_files_does_not_wait_for_leftover_children() {
        let mut spec = CommandSpec::new(["sh", "-c", "echo started; sleep 20 & echo err >&2"]);
        spec.output_via_files = true;
        let t = std::time::Instant::now();
        let out = run(&spec).unwrap();
        assert!(t.elapsed() < std::time::Duration::from_secs(15), "returned when sh exited");
        assert_eq!((out.rc, out.stdout.as_str(), out.stderr.as_str()), (0, "started\n", "err\n"));
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
    fn umask_reaches_the_command() {
        let mut spec = CommandSpec::new(["sh", "-c", "umask"]);
        spec.umask = Some(0o027);
        assert_eq!(run(&spec).unwrap().stdout.trim(), "0027");
    }

    #[test]
    fn stdin_and_exit_code() {
        let mut spec = CommandSpec::new(["sh", "-c", "cat; exit 3"]);
        spec.stdin = Some(b"hello".to_vec());
        let out = run(&spec).unwrap();
        assert_eq!((out.rc, out.stdout.as_str()), (3, "hello"));
    }
}
