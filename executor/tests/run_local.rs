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
    # Slow enough that the stat below runs before it finishes, even on a loaded machine.
    - name: fire and forget
      shell: sleep 5; touch {{ out }}/fired
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
      retries: 30
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

/// A looped task prints one line per item, and its `when` is evaluated per
/// item (it may use `item`); includes print `included: … for host` and count
/// once per included file. Every expected line and the recap are what
/// ansible-playbook 2.19 printed for this playbook (its `[ERROR]` banner and
/// the failed item's JSON, which carries times, aside).
#[test]
fn loop_items_print_a_line_each_and_when_sees_the_item() {
    let (dir, _) = local_play(
        "items.yml",
        r#"
- hosts: localhost
  gather_facts: false
  tasks:
    - command: "true"
      loop: [a, b]
      when: item == 'a'
    - command: "true"
      loop: [a]
      when: item == 'z'
    - command: "{{ item.cmd }}"
      loop: [{cmd: "true", n: 1, b: true, x: null, s: "it's"}, {cmd: "false", l: [1, "a"]}]
      ignore_errors: true
    - debug: msg=hi
      loop: [1]
      loop_control: {label: "lab {{ item }}"}
    - command: "true"
      loop: []
    - include_tasks: inc.yml
      loop: [a, b, c]
      when: item != 'c'
    - include_role: {name: r}
"#,
    );
    std::fs::write(dir.path().join("inc.yml"), "- debug: msg=\"in {{ item }}\"\n").unwrap();
    std::fs::create_dir_all(dir.path().join("roles/r/tasks")).unwrap();
    std::fs::write(dir.path().join("roles/r/tasks/main.yml"), "- debug: msg=role\n").unwrap();
    support::ensure_agent();
    let out = dpctl(dir.path(), &["playbook", "items.yml", "-i", "inventory.ini"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    let inc = std::path::absolute(dir.path().join("inc.yml")).unwrap();
    let inc = inc.display();
    let expected = [
        "changed: [localhost] => (item=a)".to_string(),
        "skipping: [localhost] => (item=b) ".into(),
        "skipping: [localhost] => (item=a) ".into(),
        "skipping: [localhost]".into(),
        r#"changed: [localhost] => (item={'cmd': 'true', 'n': 1, 'b': True, 'x': None, 's': "it's"})"#.into(),
        "failed: [localhost] (item={'cmd': 'false', 'l': [1, 'a']}) => {".into(),
        "...ignoring".into(),
        "ok: [localhost] => (item=lab 1) => {".into(),
        "    \"msg\": \"hi\"".into(),
        "skipping: [localhost]".into(),
        "skipping: [localhost] => (item=c) ".into(),
        format!("included: {inc} for localhost => (item=a)"),
        format!("included: {inc} for localhost => (item=b)"),
        "TASK [include_role : r] ********************************************************".into(),
        "included: r for localhost".into(),
    ];
    let mut rest = text.lines();
    for want in &expected {
        assert!(rest.any(|l| l == want || want.ends_with('{') && l.starts_with(want.as_str())), "no line {want:?} in order in:\n{text}");
    }
    assert_eq!(recap(&text, "localhost"), "ok=9 changed=2 unreachable=0 failed=0 skipped=2 rescued=0 ignored=1", "{text}");
    // `dpctl check` evaluates the conditions per item too (it reported `item` as undefined).
    let check = dpctl(dir.path(), &["check", "items.yml", "-i", "inventory.ini"]);
    assert_eq!(check.status.code(), Some(0), "{}{}", stdout(&check), stderr(&check));
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

/// The address `tests/servers/<name>.sh ensure` prints (it reuses a running server; CI starts
/// them before the tests), or `$env_var` when set.
fn real_server(name: &str, env_var: &str) -> String {
    if let Some(addr) = std::env::var(env_var).ok().filter(|a| !a.trim().is_empty()) {
        return addr.trim().to_string();
    }
    let script = repo_root().join(format!("tests/servers/{name}.sh"));
    let out = std::process::Command::new("bash").arg(&script).arg("ensure").output().unwrap();
    assert!(out.status.success(), "{name}.sh ensure failed:\n{}", stderr(&out));
    stdout(&out).lines().last().unwrap_or_default().trim().to_string()
}

/// `dpctl run localhost -i inventories/local -m MODULE -a ARGS` from the repository root: the
/// status word of `localhost | STATUS => {…}` and the result.
fn ad_hoc(module: &str, args: &str) -> (String, serde_json::Value) {
    let out = dpctl(&repo_root(), &["run", "localhost", "-i", "inventories/local", "-m", module, "-a", args]);
    let text = stdout(&out);
    let (head, json) = text.split_once(" => ").unwrap_or_else(|| panic!("no result in:\n{text}\n{}", stderr(&out)));
    let status = head.trim_start_matches("localhost |").trim().to_string();
    (status, serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}")))
}

/// The issue's ad hoc commands against the real Kafka 4 broker and PostgreSQL 15: changed
/// once, ok after, as key=value strings (every value a string). Names carry the process id
/// so a rerun against the same long-lived servers starts from nothing.
#[test]
fn ad_hoc_kafka_topic_and_postgres_db_against_the_real_servers() {
    let kafka = real_server("kafka", "DPCTL_TEST_KAFKA");
    let topic = format!("dev.telemetry.raw.adhoc{}", std::process::id());
    let create = format!("name={topic} partitions=4 replication_factor=1 bootstrap_servers={kafka}");
    let (status, r) = ad_hoc("kafka_topic", &create);
    assert_eq!(status, "CHANGED", "{r}");
    assert_eq!(r["topics"][0]["actions"], serde_json::json!(["create (partitions 4, replication_factor 1)"]));
    let (status, r) = ad_hoc("kafka_topic", &create);
    assert_eq!((status.as_str(), &r["changed"]), ("SUCCESS", &serde_json::json!(false)), "{r}");
    assert_eq!(r["topics"][0]["partitions"], 4);
    // Lowering partitions is refused; deleting needs state=absent.
    let (status, r) = ad_hoc("kafka_topic", &format!("name={topic} partitions=2 bootstrap_servers={kafka}"));
    assert_eq!(status, "FAILED!", "{r}");
    assert!(r["msg"].as_str().unwrap_or_default().contains("cannot lower partitions from 4 to 2"), "{r}");
    assert_eq!(ad_hoc("kafka_topic", &format!("name={topic} state=absent bootstrap_servers={kafka}")).0, "CHANGED");

    let postgres = real_server("postgres", "DPCTL_TEST_POSTGRES");
    let (host, port) = postgres.rsplit_once(':').unwrap();
    let db = format!("analytics_adhoc{}", std::process::id());
    let login = format!("login_host={host} login_port={port} login_user=postgres");
    let (status, r) = ad_hoc("postgres_db", &format!("name={db} owner=postgres {login}"));
    assert_eq!(status, "CHANGED", "{r}");
    assert_eq!(r["queries"], serde_json::json!([format!("CREATE DATABASE \"{db}\" OWNER \"postgres\"")]));
    let (status, r) = ad_hoc("postgres_db", &format!("name={db} owner=postgres {login}"));
    assert_eq!((status.as_str(), &r["changed"]), ("SUCCESS", &serde_json::json!(false)), "{r}");
    assert_eq!(ad_hoc("postgres_db", &format!("name={db} state=absent {login}")).0, "CHANGED");
}

/// `dpctl playbook <repo playbook> -i inventories/local -e dp_root=<sandbox> …` from the repository root.
fn repo_local_play(sandbox: &Path, playbook: &str, extra: &[&str]) -> (String, i32) {
    let root_arg = format!("dp_root={}", sandbox.display());
    let mut args = vec!["playbook", playbook, "-i", "inventories/local", "-e", &root_arg];
    args.extend_from_slice(extra);
    let out = dpctl(&repo_root(), &args);
    (format!("{}{}", stdout(&out), stderr(&out)), out.status.code().unwrap_or(-1))
}

/// The README's main command: site.yml on the built-in inventory, in a fresh sandbox, twice.
#[test]
fn site_playbook_on_the_local_inventory_writes_its_sandbox_then_changes_nothing() {
    let sandbox = tempfile::tempdir().unwrap();
    let (out, code) = repo_local_play(sandbox.path(), "playbooks/site.yml", &[]);
    assert_eq!(code, 0, "{out}");
    let first = recap(&out, "localhost");
    assert!(first.contains(" failed=0 ") && first.contains(" unreachable=0 ") && !first.contains(" changed=0 "), "{first}\n{out}");
    for file in [
        "etc/kafka/server.properties",
        "etc/zookeeper/conf/zoo.cfg",
        "usr/local/hadoop/etc/hadoop/yarn-site.xml",
        "mount/raw-telemetry-backup/secor.properties",
        "mount/data/analytics/scripts/model-config.json",
    ] {
        assert!(sandbox.path().join(file).is_file(), "{file} not written under the sandbox:\n{out}");
    }
    let (out, code) = repo_local_play(sandbox.path(), "playbooks/site.yml", &[]);
    assert_eq!(code, 0, "{out}");
    let second = recap(&out, "localhost");
    assert!(second.contains(" changed=0 ") && second.contains(" failed=0 "), "{second}\n{out}");
}

/// The on-demand jobs check their parameters with `assert` and say what to pass.
#[test]
fn job_parameters_are_checked_with_a_clear_message() {
    let sandbox = tempfile::tempdir().unwrap();
    let replay = "playbooks/deploy/analytics_replay_jobs.yml";
    let dates = ["-e", "job_id=wfs", "-e", "start_date=2020-01-01", "-e", "end_date=2020-01-07"];
    let refused: &[(&str, Vec<&str>, &str)] = &[
        (replay, vec![], "pass -e job_type=replay|run|metrics|submit -e job_id=<id>"),
        (replay, [&["-e", "job_type=bogus"][..], &dates].concat(), "pass -e job_type="),
        (
            replay,
            vec!["-e", "job_type=run", "-e", "job_id=wfs", "-e", "start_date=2020-02-01", "-e", "end_date=2020-01-07"],
            "start_date <= end_date",
        ),
        (
            "playbooks/deploy/analytics_populate_psql_consumer_channel_mapping.yml",
            vec!["-e", "channel=c1"],
            "pass -e consumer_id=<id> -e channel=<channel>",
        ),
        (
            "playbooks/deploy/yarn.yml",
            vec!["-e", r#"{"samza_jobs_selected": ["DeDuplication_1"]}"#],
            "samza_jobs_selected must be 'all' or a list of job names",
        ),
        ("playbooks/deploy/analytics_submit_jobs.yml", vec!["-e", "submit_job_ids=wfs"], "submit_job_ids must be a list of job ids"),
        (
            "playbooks/deploy/samza_telemetry_schemas.yml",
            vec!["-e", "telemetry_schema_version=latest"],
            "pass -e telemetry_schema_version=<x.y>",
        ),
    ];
    for (playbook, extra, message) in refused {
        let (out, code) = repo_local_play(sandbox.path(), playbook, extra);
        assert_ne!(code, 0, "{playbook} {extra:?} was accepted:\n{out}");
        assert!(out.contains(message), "{playbook} {extra:?}: no `{message}` in:\n{out}");
    }
    let accepted: &[(&str, Vec<&str>)] = &[
        (replay, [&["-e", "job_type=metrics"][..], &dates].concat()),
        ("playbooks/deploy/analytics_populate_psql_consumer_channel_mapping.yml", vec!["-e", "consumer_id=c1", "-e", "channel=ch1"]),
        ("playbooks/deploy/yarn.yml", vec!["-e", r#"{"samza_jobs_selected": ["DeDuplication", "TelemetryRouter"]}"#]),
        ("playbooks/deploy/analytics_submit_jobs.yml", vec!["-e", r#"{"submit_job_ids": ["wfs"]}"#]),
    ];
    for (playbook, extra) in accepted {
        let (out, code) = repo_local_play(sandbox.path(), playbook, extra);
        assert_eq!(code, 0, "{playbook} {extra:?}:\n{out}");
        assert!(recap(&out, "localhost").contains(" failed=0 "), "{out}");
    }
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
