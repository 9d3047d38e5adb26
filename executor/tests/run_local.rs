//! The runner over the local connection: a playbook using modules through
//! the agent, templates, handlers, register/when, loops, block/rescue and
//! include_tasks. The expected PLAY RECAP counts are what ansible-playbook
//! 2.19 printed for the same playbook and inventory (first run: ok=14
//! changed=8 rescued=1; rerun: ok=12 changed=0 skipped=1 rescued=1).

mod support;

use std::path::Path;

use support::{dpctl, recap, repo_root, stderr, stdout};

fn run(sandbox: &Path, extra: &[&str]) -> (String, i32) {
    let dir = repo_root().join("tests/playbooks/local_run");
    let sandbox_arg = format!("sandbox={}", sandbox.display());
    let mut args = vec!["playbook", "site.yml", "-i", "inventory.ini", "-e", &sandbox_arg];
    args.extend_from_slice(extra);
    let out = dpctl(&dir, &args);
    let text = stdout(&out);
    assert!(text.contains("PLAY RECAP") || text.contains("\"event\":\"recap\""), "no recap; stdout:\n{text}\nstderr:\n{}", stderr(&out));
    (text, out.status.code().unwrap_or(-1))
}

/// A temp dir holding `inventory.ini` (localhost, local connection), the
/// playbook `name`, and an empty `out/` for the play to write into.
fn local_play(name: &str, playbook: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(dir.path().join("inventory.ini"), "localhost ansible_connection=local\n").unwrap();
    std::fs::write(dir.path().join(name), playbook).unwrap();
    (dir, out_dir)
}

#[test]
fn first_run_changes_second_run_is_idempotent() {
    let sandbox = tempfile::tempdir().unwrap();
    let (out, code) = run(sandbox.path(), &[]);
    assert_eq!(code, 0, "{out}");
    for host in ["app1", "app2", "app3"] {
        assert_eq!(recap(&out, host), "ok=14 changed=8 unreachable=0 failed=0 skipped=0 rescued=1 ignored=0", "{out}");
    }
    let etc = sandbox.path().join("app2/etc");
    assert_eq!(
        std::fs::read_to_string(etc.join("app.properties")).unwrap(),
        "# Ansible managed\napp.name=app2\napp.heap=512\ntopic.raw=4\ntopic.valid=8\n"
    );
    assert_eq!(std::fs::read_to_string(etc.join("jvm.options")).unwrap(), "-Xmx512m\n");
    assert_eq!(std::fs::read_to_string(etc.join("valid.topic")).unwrap(), "8\n");
    assert_eq!(std::fs::read_to_string(etc.join("static.txt")).unwrap(), "static content\n");
    assert_eq!(std::fs::read_to_string(sandbox.path().join("app2/included")).unwrap(), "app2\n");
    assert!(sandbox.path().join("app3/restarted").exists(), "the handler ran");

    let (out, code) = run(sandbox.path(), &[]);
    assert_eq!(code, 0, "{out}");
    for host in ["app1", "app2", "app3"] {
        assert_eq!(recap(&out, host), "ok=12 changed=0 unreachable=0 failed=0 skipped=1 rescued=1 ignored=0", "{out}");
    }
}

#[test]
fn check_mode_changes_nothing_and_predicts_changes() {
    let sandbox = tempfile::tempdir().unwrap();
    let (out, _) = run(sandbox.path(), &["--check"]);
    assert!(std::fs::read_dir(sandbox.path()).unwrap().next().is_none(), "check mode created files:\n{out}");
    let line = recap(&out, "app1");
    assert!(line.contains("changed=") && !line.contains("changed=0"), "check mode should predict changes: {line}\n{out}");
}

#[test]
fn json_output_has_one_event_per_line() {
    let sandbox = tempfile::tempdir().unwrap();
    let (out, code) = run(sandbox.path(), &["--output", "json"]);
    assert_eq!(code, 0);
    let events: Vec<serde_json::Value> = out.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.first().unwrap()["event"], "play");
    let recap = events.iter().find(|e| e["event"] == "recap").expect("recap event");
    assert_eq!(recap["hosts"]["app1"]["changed"], 8);
    assert!(events.iter().any(|e| e["event"] == "result" && e["status"] == "changed" && e["duration_ms"].is_number()));
}

/// `async:` with `poll:` waits for the job (and gives up after `async`
/// seconds); `poll: 0` returns at once and `async_status` finds the job
/// later; a job past its time limit is killed. Messages are Ansible's.
#[test]
fn async_jobs_poll_fire_and_forget_and_time_out() {
    let (dir, out_dir) = local_play(
        "async.yml",
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - name: waits for the job
      command: sh -c 'sleep 1; echo finished-{{ 6 * 7 }}'
      async: 30
      poll: 1
      register: waited
    - assert: { that: ["waited.stdout == 'finished-42'", "waited.finished == 1", "waited is changed"] }
    - name: fire and forget
      shell: sleep 2; touch {{ out }}/fired
      async: 30
      poll: 0
      register: fired
    - assert: { that: ["fired.started == 1", "fired.finished == 0", "fired.ansible_job_id is defined"] }
    - stat: { path: "{{ out }}/fired" }
      register: early
    - assert: { that: ["not early.stat.exists"] }
    - name: wait for the job
      async_status: { jid: "{{ fired.ansible_job_id }}" }
      register: job
      until: job.finished == 1
      retries: 30
      delay: 1
    - stat: { path: "{{ out }}/fired" }
      register: late
    - assert: { that: ["late.stat.exists"] }
    - name: too slow to wait for
      command: sleep 30
      async: 1
      poll: 1
      register: slow
      ignore_errors: true
    - assert: { that: ["slow is failed", "slow.msg == 'async task did not complete within the requested time - 1s'"] }
    - name: killed at its limit
      command: sleep 30
      async: 1
      poll: 0
      register: doomed
    - name: the killed job
      async_status: { jid: "{{ doomed.ansible_job_id }}" }
      register: killed
      until: killed.finished == 1
      retries: 10
      delay: 1
      ignore_errors: true
    - assert: { that: ["killed is failed", "killed.msg == 'Timeout exceeded'"] }
"#,
    );
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    support::ensure_agent();
    let out = std::process::Command::new(support::dpctl_bin())
        .args(["playbook", "async.yml", "-i", "inventory.ini", "-e"])
        .arg(format!("out={}", out_dir.display()))
        .env("HOME", &home)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    // The counts ansible-playbook 2.19 gives for this playbook.
    assert_eq!(recap(&text, "localhost"), "ok=14 changed=4 unreachable=0 failed=0 skipped=0 rescued=0 ignored=2", "{text}");
    // A finished polled job's results file is removed; the others stay (fire and forget, timed out).
    let left: Vec<_> = std::fs::read_dir(home.join(".ansible_async")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 3, "{left:?}");
}

/// `--start-at-task` (a glob) skips the tasks before it, across plays;
/// `--tags` selects tasks under the free strategy too. The banners and
/// counts are what ansible-playbook 2.19 printed for the same playbook.
#[test]
fn start_at_task_and_tags_select_tasks() {
    let (dir, _) = local_play(
        "start.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n\
         \x20   - { name: prepare one, debug: msg=one }\n\
         \x20   - { name: prepare two, debug: msg=two }\n\
         \x20   - { name: deploy three, debug: msg=three }\n\
         - hosts: localhost\n  gather_facts: false\n  strategy: free\n  tasks:\n\
         \x20   - { name: free tagged, debug: msg=tagged, tags: [picked] }\n\
         \x20   - { name: free untagged, debug: msg=untagged }\n",
    );
    let banners = |args: &[&str]| {
        let mut all = vec!["playbook", "start.yml", "-i", "inventory.ini"];
        all.extend_from_slice(args);
        let out = dpctl(dir.path(), &all);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
        let tasks: Vec<String> =
            text.lines().filter_map(|l| l.strip_prefix("TASK [")).map(|l| l.split(']').next().unwrap_or_default().to_string()).collect();
        (tasks, recap(&text, "localhost"))
    };
    let (tasks, counts) = banners(&["--start-at-task", "prepare t*"]);
    assert_eq!(tasks, ["prepare two", "deploy three", "free tagged", "free untagged"]);
    assert_eq!(counts, "ok=4 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0");
    let (tasks, counts) = banners(&["--tags", "picked"]);
    assert_eq!(tasks, ["free tagged"]);
    assert_eq!(counts, "ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0");
}

/// `module_defaults` on play, block and task: the innermost entry for a
/// module replaces the outer one, task arguments win, names may be
/// qualified. The modes are what ansible-playbook 2.19 left for this playbook.
#[test]
fn module_defaults_apply_innermost_first() {
    let (dir, out_dir) = local_play(
        "md.yml",
        r#"
- hosts: localhost
  gather_facts: false
  module_defaults:
    ansible.builtin.file: { mode: "0600", state: touch }
    copy: { mode: "0640" }
  tasks:
    - file: { path: "{{ out }}/a" }
    - block:
        - file: { path: "{{ out }}/b" }
        - file: { path: "{{ out }}/c", mode: "0644" }
          module_defaults:
            file: { mode: "0611", state: touch }
      module_defaults:
        file: { mode: "0660", state: touch }
    - copy: { dest: "{{ out }}/d", content: "x\n" }
"#,
    );
    let out_arg = format!("out={}", out_dir.display());
    let out = dpctl(dir.path(), &["playbook", "md.yml", "-i", "inventory.ini", "-e", &out_arg]);
    let text = stdout(&out);
    assert_eq!(recap(&text, "localhost"), "ok=4 changed=4 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0", "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = |f: &str| std::fs::metadata(out_dir.join(f)).unwrap().permissions().mode() & 0o777;
    assert_eq!([mode("a"), mode("b"), mode("c"), mode("d")], [0o600, 0o660, 0o644, 0o640]);
}

/// `template` (rendered here, shipped like copy): check mode predicts the
/// change and writes nothing, `--diff` shows the rendered lines, a second run
/// is ok, a changed variable shows the old and new line.
#[test]
fn template_check_mode_diff_and_second_run() {
    let (dir, out_dir) = local_play(
        "t.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - template: { src: t.j2, dest: \"{{ out }}/t.conf\", mode: \"0640\" }\n",
    );
    std::fs::write(dir.path().join("t.j2"), "# {{ ansible_managed | default('managed') }}\nport={{ port }}\n").unwrap();
    let out_arg = format!("out={}", out_dir.display());
    let play = |port: &str, extra: &[&str]| {
        let port_arg = format!("port={port}");
        let mut args = vec!["playbook", "t.yml", "-i", "inventory.ini", "-e", &out_arg, "-e", &port_arg];
        args.extend_from_slice(extra);
        let out = dpctl(dir.path(), &args);
        (stdout(&out), out.status.code())
    };
    let dest = out_dir.join("t.conf");

    let (text, code) = play("9092", &["--check", "--diff"]);
    assert_eq!(
        (code, recap(&text, "localhost").as_str()),
        (Some(0), "ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0")
    );
    assert!(text.contains("+port=9092"), "the diff shows the rendered line:\n{text}");
    assert!(!dest.exists(), "check mode wrote the file");

    let (text, _) = play("9092", &[]);
    assert!(recap(&text, "localhost").contains("changed=1"), "{text}");
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "# Ansible managed\nport=9092\n");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o640);
    let (text, _) = play("9092", &["--diff"]);
    assert!(recap(&text, "localhost").contains("changed=0") && !text.contains("+port"), "second run is ok:\n{text}");

    let (text, _) = play("9093", &["--check", "--diff"]);
    assert!(text.contains("-port=9092") && text.contains("+port=9093") && recap(&text, "localhost").contains("changed=1"), "{text}");
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "# Ansible managed\nport=9092\n");
}

/// The executor-side modules refuse bad arguments when the task runs, as the
/// agent does for the others (messages and the failing set come from running
/// the same tasks under ansible-playbook 2.19), and `dpctl check` finds them first.
#[test]
fn executor_side_modules_refuse_bad_arguments() {
    let (dir, _out) = local_play(
        "bad.yml",
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - { name: t1, set_fact: {}, ignore_errors: true }
    - { name: t2, set_fact: { "1x": 1 }, ignore_errors: true }
    - { name: t3, debug: { msgg: 1 }, ignore_errors: true }
    - { name: t4, pause: { seconds: soon }, ignore_errors: true }
    - { name: t5, assert: {}, ignore_errors: true }
    - { name: t6, fail: { message: x }, ignore_errors: true }
    - { name: t7, include_vars: { fil: x }, ignore_errors: true }
    - { name: t9, template: { src: t.j2 }, ignore_errors: true }
    - { name: fine, debug: msg=hi verbosity=0 }
    - { name: also fine, pause: seconds=0 }
"#,
    );
    let out = dpctl(dir.path(), &["playbook", "bad.yml", "-i", "inventory.ini"]);
    let text = stdout(&out);
    assert_eq!(recap(&text, "localhost"), "ok=10 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=8", "{text}");
    for want in [
        "No key/value pairs provided, at least one is required for this action to succeed",
        "Invalid variable name '1x'",
        "unknown field `msgg`",
        r#"expected a non-negative integer, found \"soon\""#,
        "missing field `that`",
        "unknown field `message`",
        "unknown field `fil`",
        "missing field `dest`",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(text.contains("ok: [localhost] => {\n    \"msg\": \"hi\"\n}"), "debug prints its message as Ansible does:\n{text}");

    // An unknown meta action ends the whole run in Ansible (not ignorable): only `check` is shown it.
    std::fs::write(
        dir.path().join("bad.yml"),
        format!("{}    - meta: explode\n", std::fs::read_to_string(dir.path().join("bad.yml")).unwrap()),
    )
    .unwrap();
    let out = dpctl(dir.path(), &["check", "bad.yml", "-i", "inventory.ini"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for want in ["unknown argument `msgg` for module `debug`", "missing field `that`", "unknown variant `explode`", "missing field `dest`"]
    {
        assert!(err.contains(want), "check misses {want:?}:\n{err}");
    }
}

/// The executor-side modules do their work in check mode too (Ansible runs
/// them there): facts and included variables are set, assert and debug see
/// them, handlers flush, fail still fails (here rescued), nothing is changed.
#[test]
fn executor_side_modules_work_in_check_mode() {
    let (dir, out_dir) = local_play(
        "c.yml",
        r#"
- hosts: localhost
  gather_facts: false
  handlers:
    - { name: h, debug: msg=handled }
  tasks:
    - set_fact: { answer: 42 }
    - include_vars: { file: more.yml, name: more }
    - debug: var=answer
    - pause: seconds=0
    - assert: { that: ["answer == 42", "more.colour == 'blue'"] }
    - { copy: { content: "x\n", dest: "{{ out }}/x" }, notify: h }
    - meta: flush_handlers
    - block:
        - fail: msg=expected
      rescue:
        - assert: { that: ["ansible_failed_result.msg == 'expected'"] }
"#,
    );
    std::fs::write(dir.path().join("more.yml"), "colour: blue\n").unwrap();
    let out_arg = format!("out={}", out_dir.display());
    let out = dpctl(dir.path(), &["playbook", "c.yml", "-i", "inventory.ini", "-e", &out_arg, "--check"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(text.contains("RUNNING HANDLER [h]") && text.contains("\"answer\": 42"), "{text}");
    // ansible-playbook 2.19 --check on the same play: ok=8 changed=1 rescued=1 (meta tasks are not counted).
    assert_eq!(recap(&text, "localhost"), "ok=8 changed=1 unreachable=0 failed=0 skipped=0 rescued=1 ignored=0", "{text}");
    assert!(!out_dir.join("x").exists(), "check mode wrote nothing");
}
