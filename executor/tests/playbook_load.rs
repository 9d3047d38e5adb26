//! Loading playbooks and roles: structure, imports, and positioned errors.

use std::path::PathBuf;

use dpctl::playbook::{load_playbook, Item, LoadOptions};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/playbooks").join(rel)
}

fn task_names(items: &[Item], out: &mut Vec<String>) {
    for item in items {
        match item {
            Item::Task(t) => out.push(t.display_name()),
            Item::Block(b) => {
                task_names(&b.block, out);
                task_names(&b.rescue, out);
                task_names(&b.always, out);
            }
        }
    }
}

#[test]
fn loads_roles_dependencies_imports_blocks_and_handlers() {
    let pb = load_playbook(&fixture("loader/site.yml"), &LoadOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(pb.plays.len(), 1);
    let play = &pb.plays[0];
    let roles: Vec<&str> = play.roles.iter().map(|r| r.context.name.as_str()).collect();
    assert_eq!(roles, ["base", "app"], "the dependency comes first");
    assert_eq!(play.roles[1].context.params["app_port"], 8080);
    assert_eq!(play.roles[1].context.vars["app_user"], "app");
    assert_eq!(play.roles[0].context.defaults["base_port"], 1);

    let mut names = Vec::new();
    task_names(&play.tasks, &mut names);
    assert_eq!(names, ["from extra", "inner", "debug", "always", "loop"]);

    let mut handlers = Vec::new();
    task_names(&play.handlers, &mut handlers);
    assert_eq!(handlers, ["base : base handler", "restart"]);

    // `command: echo … creates=…` is split into the free-form command and its option
    let Item::Block(b) = &play.tasks[1] else { panic!("block expected") };
    let Item::Task(inner) = &b.block[0] else { panic!("task expected") };
    assert_eq!(inner.action.args["_raw_params"], "echo {{ greeting }}");
    assert_eq!(inner.action.args["creates"], "/tmp/x");
    assert_eq!(inner.register.as_deref(), Some("out"));

    // import_tasks keeps its `when` on a block around the imported tasks
    let Item::Block(imported) = &play.tasks[0] else { panic!("import block expected") };
    assert_eq!(imported.inherited.when[0].value, "greeting == 'hello'");

    let Item::Task(looped) = &play.tasks[2] else { panic!("task expected") };
    assert_eq!(looped.loop_.as_ref().and_then(|l| l.lookup.as_deref()), Some("items"));
    assert_eq!(looped.notify, ["restart"]);
}

/// A readable outline of a play: sections, blocks, tasks with their module and arguments.
fn outline(items: &[Item], depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    for item in items {
        match item {
            Item::Task(t) => {
                let args = serde_json::to_string(&t.action.args).unwrap();
                out.push_str(&format!("{pad}- {} [{}] {args}", t.display_name(), t.action.module));
                if let Some(l) = &t.loop_ {
                    out.push_str(&format!(" loop({})={}", l.lookup.as_deref().unwrap_or("loop"), l.items));
                }
                if !t.inherited.when.is_empty() {
                    out.push_str(&format!(" when={:?}", t.inherited.when.iter().map(|w| w.value.to_string()).collect::<Vec<_>>()));
                }
                out.push('\n');
            }
            Item::Block(b) => {
                let when: Vec<String> = b.inherited.when.iter().map(|w| w.value.to_string()).collect();
                out.push_str(&format!(
                    "{pad}- block {} vars={} when={when:?}\n",
                    b.name.as_deref().unwrap_or(""),
                    serde_json::to_string(&b.vars).unwrap()
                ));
                outline(&b.block, depth + 1, out);
                if !b.rescue.is_empty() {
                    out.push_str(&format!("{pad}  rescue:\n"));
                    outline(&b.rescue, depth + 2, out);
                }
                if !b.always.is_empty() {
                    out.push_str(&format!("{pad}  always:\n"));
                    outline(&b.always, depth + 2, out);
                }
            }
        }
    }
}

#[test]
fn loader_outline_snapshot() {
    let pb = load_playbook(&fixture("loader/site.yml"), &LoadOptions::default()).unwrap_or_else(|d| panic!("{d}"));
    let play = &pb.plays[0];
    let mut out = format!("play: {} hosts={} vars={}\n", play.display_name(), play.hosts, serde_json::to_string(&play.vars).unwrap());
    for (title, items) in [("pre_tasks", &play.pre_tasks), ("tasks", &play.tasks), ("handlers", &play.handlers)] {
        out.push_str(&format!("{title}:\n"));
        outline(items, 1, &mut out);
    }
    for r in &play.roles {
        out.push_str(&format!(
            "role {}: defaults={} vars={} params={}\n",
            r.context.name,
            serde_json::to_string(&r.context.defaults).unwrap(),
            serde_json::to_string(&r.context.vars).unwrap(),
            serde_json::to_string(&r.context.params).unwrap()
        ));
        outline(&r.tasks, 1, &mut out);
    }
    insta::assert_snapshot!(out);
}

#[test]
fn misspelled_keyword_is_reported_with_position() {
    let err = load_playbook(&fixture("errors/four_errors.yml"), &LoadOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("unknown task keyword `whn`"), "{text}");
    assert!(text.contains("four_errors.yml:8:7"), "{text}");
    assert!(text.contains("did you mean `when`?"), "{text}");
}

#[test]
fn yaml_syntax_error_is_reported_with_position() {
    let err = load_playbook(&fixture("errors/syntax.yml"), &LoadOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("YAML syntax error"), "{text}");
    assert!(text.contains("syntax.yml:"), "{text}");
}

#[test]
fn unknown_play_keyword_and_missing_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pb.yml");
    std::fs::write(&p, "- name: x\n  hots: all\n  tasks: []\n").unwrap();
    let text = load_playbook(&p, &LoadOptions::default()).unwrap_err().to_string();
    assert!(text.contains("unknown play keyword `hots`"), "{text}");
    assert!(text.contains("did you mean `hosts`?"), "{text}");
    assert!(text.contains("a play needs `hosts`"), "{text}");
}

#[test]
fn unknown_module_and_two_modules() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pb.yml");
    std::fs::write(&p, "- hosts: all\n  tasks:\n    - debugg: msg=x\n    - debug: msg=x\n      fail: msg=y\n").unwrap();
    let text = load_playbook(&p, &LoadOptions::default()).unwrap_err().to_string();
    assert!(text.contains("unknown module or task keyword `debugg`"), "{text}");
    assert!(text.contains("did you mean the module `debug`?"), "{text}");
    assert!(text.contains("a task runs one module, this one names debug, fail"), "{text}");
}
