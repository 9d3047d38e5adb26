//! Variable precedence end to end: twelve levels, each variable defined at
//! levels 1..N so it must come out as level N; also group vars all < parent < child,
//! include_vars over task vars and under set_fact, and the `-e k=v` / `-e JSON` forms. The expected file was made by
//! ansible-playbook 2.19 (tests/playbooks/precedence/generate.sh).

mod support;

use support::{dpctl, repo_root, stderr};

/// `dpctl COMMAND site.yml` on the precedence fixture with every kind of extra vars
/// (`@file`, `k=v`, JSON) and `out_dir`, plus `more` arguments.
fn precedence_run(dir: &std::path::Path, command: &str, out_dir: &str, more: &[&str]) -> std::process::Output {
    let out_arg = format!("out_dir={out_dir}");
    let mut args = vec![command, "site.yml", "-i", "inventory/hosts.ini", "-e", "@extra.yml", "-e", &out_arg];
    args.extend(["-e", "e_kv=extra_kv", "-e", r#"{"e_json": "extra_json"}"#]);
    args.extend_from_slice(more);
    dpctl(dir, &args)
}

#[test]
fn twelve_levels_resolve_as_ansible() {
    let dir = repo_root().join("tests/playbooks/precedence");
    let out_dir = tempfile::tempdir().unwrap();
    let out = precedence_run(&dir, "render", "/out", &["--out", out_dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = std::fs::read_to_string(out_dir.path().join("w1/out/w1/prec.txt")).unwrap();
    let want = std::fs::read_to_string(dir.join("expected/w1/prec.txt")).unwrap();
    assert_eq!(got, want);
    insta::assert_snapshot!(got);
}

#[test]
fn levels_resolve_as_ansible_in_a_real_run_too() {
    let dir = repo_root().join("tests/playbooks/precedence");
    let out_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(out_dir.path().join("w1")).unwrap();
    let out = precedence_run(&dir, "playbook", &out_dir.path().display().to_string(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = std::fs::read_to_string(out_dir.path().join("w1/prec.txt")).unwrap();
    assert_eq!(got, std::fs::read_to_string(dir.join("expected/w1/prec.txt")).unwrap());
}

#[test]
fn unsafe_values_are_never_templated() {
    let dir = repo_root().join("tests/playbooks/unsafe");
    let out_dir = tempfile::tempdir().unwrap();
    let out = dpctl(&dir, &["render", "site.yml", "-i", "localhost,", "-e", "out=/o", "--out", out_dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(out_dir.path().join("localhost/o/unsafe.txt")).unwrap(), "{{ not_templated }}\n");
}
