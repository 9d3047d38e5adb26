//! Variable precedence end to end: twelve levels, each variable defined at
//! levels 1..N so it must come out as level N. The expected file was made by
//! ansible-playbook 2.19 (tests/playbooks/precedence/generate.sh).

mod support;

use support::{dpctl, repo_root, stderr};

#[test]
fn twelve_levels_resolve_as_ansible() {
    let dir = repo_root().join("tests/playbooks/precedence");
    let out_dir = tempfile::tempdir().unwrap();
    let out = dpctl(
        &dir,
        &[
            "render",
            "site.yml",
            "-i",
            "inventory/hosts.ini",
            "-e",
            "@extra.yml",
            "-e",
            "out_dir=/out",
            "--out",
            out_dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let got = std::fs::read_to_string(out_dir.path().join("w1/out/w1/prec.txt")).unwrap();
    let want = std::fs::read_to_string(dir.join("expected/w1/prec.txt")).unwrap();
    assert_eq!(got, want);
    insta::assert_snapshot!(got);
}
