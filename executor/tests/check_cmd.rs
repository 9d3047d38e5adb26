//! `dpctl check`: every problem of a playbook, with file:line, before any host is touched.

mod support;

use support::{dpctl, repo_root, stderr, stdout};

#[test]
fn reports_keyword_argument_variable_and_syntax_errors_together() {
    let dir = repo_root().join("tests/playbooks/errors");
    let out = dpctl(&dir, &["check", "four_errors.yml", "-i", "web1,web2,"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stdout:\n{}\nstderr:\n{err}", stdout(&out));
    assert!(err.contains("error: unknown task keyword `whn`") && err.contains("four_errors.yml:8:7"), "{err}");
    assert!(err.contains("did you mean `when`?"), "{err}");
    assert!(err.contains("error: unknown argument `colour` for module `debug`") && err.contains("four_errors.yml:13:9"), "{err}");
    assert!(err.contains("'no_such_variable' is undefined") && err.contains("four_errors.yml:16:7"), "{err}");
    assert!(err.contains("on hosts web1, web2"), "the undefined variable is found for every host: {err}");
    assert!(err.contains("YAML syntax error") && err.contains("broken.yml:2:"), "{err}");
    assert!(err.contains("check failed: 4 error(s)"), "{err}");
}

#[test]
fn a_clean_playbook_passes() {
    let dir = repo_root().join("tests/playbooks/local_run");
    let out = dpctl(&dir, &["check", "site.yml", "-i", "inventory.ini", "-e", "sandbox=/nonexistent"]);
    assert_eq!(out.status.code(), Some(0), "stdout:\n{}\nstderr:\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("check passed"), "{}", stdout(&out));
}

#[test]
fn render_writes_every_template_per_host() {
    let dir = repo_root().join("tests/playbooks/local_run");
    let out_dir = tempfile::tempdir().unwrap();
    let out = dpctl(&dir, &["render", "site.yml", "-i", "inventory.ini", "-e", "sandbox=/srv", "--out", out_dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let props = std::fs::read_to_string(out_dir.path().join("app1/srv/app1/etc/app.properties")).unwrap();
    assert_eq!(props, "# Ansible managed\napp.name=app1\napp.heap=512\ntopic.raw=4\ntopic.valid=8\n");
    assert_eq!(std::fs::read_to_string(out_dir.path().join("app3/srv/app3/etc/raw.topic")).unwrap(), "4\n");
    assert_eq!(std::fs::read_to_string(out_dir.path().join("app2/srv/app2/included")).unwrap(), "app2\n", "include_tasks is followed");
}

#[test]
fn inventory_list_prints_exactly_what_ansible_inventory_prints() {
    // expected-list.json is ansible-inventory's own output (tests/inventory/generate.sh)
    let case = repo_root().join("tests/inventory/depth_priority");
    let expected = std::fs::read_to_string(case.join("expected-list.json")).unwrap();
    let out = dpctl(&case, &["inventory", "-i", "hosts.ini", "-i", "prio.yml", "--list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim_end(), expected.trim_end());
}

#[test]
fn undefined_variable_in_a_template_file_names_variable_template_line_task_and_hosts() {
    let dir = repo_root().join("tests/playbooks/errors");
    let out = dpctl(&dir, &["check", "undefined_in_template.yml", "-i", "k1,k2,"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stdout:\n{}\nstderr:\n{err}", stdout(&out));
    assert!(err.contains("'kafka_port' is undefined"), "{err}");
    assert!(err.contains("(template templates/server.properties.j2, line 2)"), "{err}");
    assert!(err.contains("undefined_in_template.yml:7:7"), "{err}");
    assert!(err.contains("in task `server.properties` (on hosts k1, k2)"), "{err}");

    let out_dir = tempfile::tempdir().unwrap();
    let out = dpctl(&dir, &["render", "undefined_in_template.yml", "-i", "k1,", "--out", out_dir.path().to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("'kafka_port' is undefined (template templates/server.properties.j2, line 2)") && err.contains("on host k1"),
        "{err}"
    );
}

#[test]
fn inventory_host_graph_and_limited_list_print_what_ansible_inventory_prints() {
    let case = repo_root().join("tests/inventory/ini_basic");
    let read = |name: &str| std::fs::read_to_string(case.join(name)).unwrap();

    let out = dpctl(&case, &["inventory", "-i", "hosts.ini", "--host", "kafka1.example.com"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim_end(), read("expected-host-kafka1.example.com.json").trim_end());

    let out = dpctl(&case, &["inventory", "-i", "hosts.ini", "--graph", "pipeline", "--vars"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim_end(), read("expected-graph-pipeline-vars.txt").trim_end());

    // ansible-inventory --list --limit @limit.txt (tests/inventory/generate.sh)
    let limited: serde_json::Value = serde_json::from_str(&read("expected-list-limited.json")).unwrap();
    let expected = limited.as_array().unwrap().iter().find(|e| e["limit"] == "@limit.txt").unwrap()["list"].clone();
    let out = dpctl(&case, &["inventory", "-i", "hosts.ini", "--list", "--limit", "@limit.txt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap(), expected);

    let out = dpctl(&case, &["inventory", "-i", "hosts.ini", "--list", "--limit", "kafka[7]"]);
    assert_eq!(out.status.code(), Some(1), "an out-of-range subscript fails, as in ansible-inventory");
}

#[test]
fn render_limit_keeps_only_the_matching_hosts() {
    let dir = repo_root().join("tests/playbooks/local_run");
    let out_dir = tempfile::tempdir().unwrap();
    let out = dpctl(
        &dir,
        &["render", "site.yml", "-i", "inventory.ini", "-e", "sandbox=/srv", "-l", "app*:!app1", "--out", out_dir.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut hosts: Vec<String> =
        std::fs::read_dir(out_dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    hosts.sort();
    assert_eq!(hosts, ["app2", "app3"]);
    assert!(out_dir.path().join("app3/srv/app3/etc/app.properties").is_file());
}

#[test]
fn looped_include_tasks_see_their_item_in_render_and_in_a_run() {
    let dir = repo_root().join("tests/playbooks/include_loop");
    let rendered = tempfile::tempdir().unwrap();
    let out = dpctl(&dir, &["render", "site.yml", "-i", "h1,", "-e", "out=/o", "--out", rendered.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(rendered.path().join("h1/o/raw.conf")).unwrap(), "topic=raw\n");
    assert_eq!(std::fs::read_to_string(rendered.path().join("h1/o/valid.conf")).unwrap(), "topic=valid\n");

    let written = tempfile::tempdir().unwrap();
    let out_arg = format!("out={}", written.path().display());
    let out = dpctl(&dir, &["playbook", "site.yml", "-i", "localhost,", "-c", "local", "-e", &out_arg]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(std::fs::read_to_string(written.path().join("raw.conf")).unwrap(), "topic=raw\n");
    assert_eq!(std::fs::read_to_string(written.path().join("valid.conf")).unwrap(), "topic=valid\n");
}
