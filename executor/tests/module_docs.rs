//! docs/modules/ is generated from the modules' argument types
//! (`dpctl modules --markdown docs/modules`); this test fails when a
//! module's arguments changed and the pages were not regenerated.

mod support;

use support::{dpctl, repo_root, stderr};

#[test]
fn committed_module_pages_match_the_code() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = dpctl(&repo_root(), &["modules", "--markdown", out_dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let committed = repo_root().join("docs/modules");
    let mut names: Vec<String> =
        std::fs::read_dir(out_dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert!(names.len() > 40, "every module gets a page: {names:?}");
    for name in names {
        let fresh = std::fs::read_to_string(out_dir.path().join(&name)).unwrap();
        let old = std::fs::read_to_string(committed.join(&name)).unwrap_or_default();
        assert_eq!(old, fresh, "docs/modules/{name} is stale: run `cargo run -p dpctl -- modules --markdown docs/modules`");
    }
}
