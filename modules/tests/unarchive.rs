//! `unarchive` through the agent, with archives made by the system's `tar`
//! and by the zip crate: extraction, idempotence by comparing the listing with dest,
//! check mode, creates, list_files, attributes.
use crate::common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use common::Agent;
use serde_json::json;

fn msg(r: &modules::protocol::Reply) -> String {
    r.outcome.msg.clone().unwrap_or_default()
}

/// kafka/{bin/start.sh (0755), config/server.properties, libs -> link}
fn payload(root: &Path) {
    let k = root.join("kafka");
    fs::create_dir_all(k.join("bin")).unwrap();
    fs::create_dir_all(k.join("config")).unwrap();
    fs::write(k.join("bin/start.sh"), "#!/bin/sh\necho start\n").unwrap();
    fs::set_permissions(k.join("bin/start.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(k.join("config/server.properties"), "broker.id=0\n").unwrap();
    std::os::unix::fs::symlink("config", k.join("conf")).unwrap();
}

fn make(tool: &[&str], cwd: &Path) {
    let st = Command::new(tool[0]).args(&tool[1..]).current_dir(cwd).output().unwrap();
    assert!(st.status.success(), "{tool:?}: {}", String::from_utf8_lossy(&st.stderr));
}

fn cycle(archive: &Path, handler: &str) {
    let t = tempfile::tempdir().unwrap();
    let dest = t.path().join("opt");
    fs::create_dir(&dest).unwrap();
    let mut agent = Agent::start();
    let args = json!({"src": archive, "dest": dest, "list_files": true, "remote_src": true});

    let c = agent.check("unarchive", args.clone());
    assert!(!c.failed && c.outcome.changed, "{}", msg(&c));
    assert!(!dest.join("kafka").exists(), "check mode extracted");
    assert!(c.outcome.diff[0].after.contains("kafka/bin/start.sh"), "{:?}", c.outcome.diff);

    let r = agent.run("unarchive", args.clone());
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(r.outcome.values["handler"], handler);
    assert_eq!(fs::read_to_string(dest.join("kafka/config/server.properties")).unwrap(), "broker.id=0\n");
    assert_eq!(fs::metadata(dest.join("kafka/bin/start.sh")).unwrap().permissions().mode() & 0o777, 0o755);
    assert_eq!(fs::read_link(dest.join("kafka/conf")).unwrap(), Path::new("config"));
    let files: Vec<&str> = r.outcome.values["files"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(files.iter().any(|f| f.ends_with("kafka/bin/start.sh")), "{files:?}");

    let again = agent.run("unarchive", args.clone());
    assert!(!again.failed && !again.outcome.changed, "{:?}", again.outcome);
    assert!(!agent.check("unarchive", args.clone()).outcome.changed);

    // A file changed in dest: the listing differs, so it is extracted again.
    fs::write(dest.join("kafka/config/server.properties"), "broker.id=7\n").unwrap();
    assert!(agent.check("unarchive", args.clone()).outcome.changed);
    let r = agent.run("unarchive", args.clone());
    assert!(r.outcome.changed);
    assert_eq!(fs::read_to_string(dest.join("kafka/config/server.properties")).unwrap(), "broker.id=0\n");

    // Owner and mode for everything extracted.
    let with_attrs = json!({"src": archive, "dest": dest, "owner": "nobody", "mode": "u=rwX,g=rX,o="});
    let r = agent.run("unarchive", with_attrs.clone());
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert_eq!(fs::metadata(dest.join("kafka/config/server.properties")).unwrap().uid(), 65534);
    assert_eq!(fs::metadata(dest.join("kafka/config/server.properties")).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(fs::metadata(dest.join("kafka/bin/start.sh")).unwrap().permissions().mode() & 0o777, 0o750);
    assert!(!agent.run("unarchive", with_attrs).outcome.changed);

    let r = agent.run("unarchive", json!({"src": archive, "dest": dest, "creates": dest.join("kafka")}));
    assert!(!r.failed && !r.outcome.changed && r.outcome.skipped && msg(&r).contains("skipped, since"));
}

#[test]
fn tar_gz_cycle() {
    let t = tempfile::tempdir().unwrap();
    payload(t.path());
    make(&["tar", "czf", "k.tgz", "kafka"], t.path());
    cycle(&t.path().join("k.tgz"), "TgzArchive");
}

#[test]
fn plain_tar_cycle() {
    let t = tempfile::tempdir().unwrap();
    payload(t.path());
    make(&["tar", "cf", "k.tar", "kafka"], t.path());
    cycle(&t.path().join("k.tar"), "TarArchive");
}

/// The same payload as a zip, written with the zip crate (the `zip` program may not be installed).
fn zip_payload(path: &Path) {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(fs::File::create(path).unwrap());
    let opts = |mode: u32| zip::write::SimpleFileOptions::default().unix_permissions(mode);
    z.add_directory("kafka/", opts(0o755)).unwrap();
    z.add_directory("kafka/bin/", opts(0o755)).unwrap();
    z.start_file("kafka/bin/start.sh", opts(0o755)).unwrap();
    z.write_all(b"#!/bin/sh\necho start\n").unwrap();
    z.add_directory("kafka/config/", opts(0o755)).unwrap();
    z.start_file("kafka/config/server.properties", opts(0o644)).unwrap();
    z.write_all(b"broker.id=0\n").unwrap();
    z.add_symlink("kafka/conf", "config", opts(0o777)).unwrap();
    z.finish().unwrap();
}

#[test]
fn zip_cycle() {
    let t = tempfile::tempdir().unwrap();
    zip_payload(&t.path().join("k.zip"));
    cycle(&t.path().join("k.zip"), "ZipArchive");
}

#[test]
fn strip_components_and_excludes() {
    let t = tempfile::tempdir().unwrap();
    payload(t.path());
    make(&["tar", "czf", "k.tgz", "kafka"], t.path());
    let dest = t.path().join("opt-kafka");
    fs::create_dir(&dest).unwrap();
    let mut agent = Agent::start();
    let args = json!({"src": t.path().join("k.tgz"), "dest": dest, "extra_opts": ["--strip-components=1"], "exclude": ["*.sh"]});
    let r = agent.run("unarchive", args.clone());
    assert!(!r.failed && r.outcome.changed, "{}", msg(&r));
    assert!(dest.join("config/server.properties").is_file() && !dest.join("kafka").exists());
    assert!(dest.join("bin").is_dir() && !dest.join("bin/start.sh").exists(), "excluded");
    assert!(!agent.run("unarchive", args).outcome.changed);
}

#[test]
fn a_member_behind_a_planted_symlink_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let outside = t.path().join("outside");
    fs::create_dir(&outside).unwrap();
    let a = t.path().join("a");
    fs::create_dir(&a).unwrap();
    std::os::unix::fs::symlink(&outside, a.join("evil")).unwrap();
    make(&["tar", "cf", "../evil.tar", "evil"], &a);
    let b = t.path().join("b");
    fs::create_dir_all(b.join("evil")).unwrap();
    fs::write(b.join("evil/owned"), "x").unwrap();
    make(&["tar", "rf", "../evil.tar", "evil/owned"], &b);
    let dest = t.path().join("dest");
    fs::create_dir(&dest).unwrap();
    let mut agent = Agent::start();
    let r = agent.run("unarchive", json!({"src": t.path().join("evil.tar"), "dest": dest}));
    assert!(r.failed && msg(&r).contains("through the symlink"), "{}", msg(&r));
    assert!(!outside.join("owned").exists());
}

#[test]
fn bad_arguments_and_bad_sources() {
    let t = tempfile::tempdir().unwrap();
    let mut agent = Agent::start();
    let junk = t.path().join("junk.tgz");
    fs::write(&junk, "not an archive at all").unwrap();
    for (args, want) in [
        (json!({"src": junk, "dest": t.path(), "extra_opt": ["-v"]}), "unknown field `extra_opt`"),
        (json!({"src": junk, "dest": t.path(), "extra_opts": ["-v"]}), "is not supported"),
        (json!({"src": junk, "dest": t.path(), "extra_opts": ["--strip-components=x"]}), "bad --strip-components"),
        (json!({"src": junk, "dest": t.path(), "list_files": "sure"}), "boolean"),
        (json!({"src": junk, "dest": t.path(), "mode": "abc"}), "bad symbolic permission"),
        (json!({"src": junk, "dest": t.path()}), "Failed to find handler"),
        (json!({"src": t.path().join("none.tgz"), "dest": t.path()}), "does not exist"),
        (json!({"src": junk, "dest": t.path().join("nodir")}), "must be an existing dir"),
    ] {
        let r = agent.run("unarchive", args.clone());
        assert!(r.failed && msg(&r).contains(want), "{args}: {}", msg(&r));
    }
}
