//! The committed `agent_request` fuzz inputs (corpus and crashes, `tests/fuzz/`) through the
//! decoder its fuzz target calls: each decodes or is refused with an error reply, never a panic.

use std::path::Path;

use modules::agent::decode_request;

#[test]
fn agent_request_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz");
    let mut count = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join("agent_request")) else { continue };
        for path in entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()) {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if let Err(reply) = decode_request(&data) {
                assert!(reply.failed, "{}: a refused request gets a failed reply", path.display());
                assert!(reply.outcome.msg.is_some(), "{}: the reply says why", path.display());
            }
            count += 1;
        }
    }
    assert!(count > 0, "no committed agent_request fuzz inputs");
}
