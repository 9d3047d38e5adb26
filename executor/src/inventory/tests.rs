//! The public API on small inventories written on the fly.

use std::path::Path;

use serde_json::json;

use super::*;

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn load(dir: &Path, files: &[&str]) -> Inventory {
    let sources: Vec<String> = files.iter().map(|f| dir.join(f).display().to_string()).collect();
    Inventory::load(&sources).unwrap_or_else(|d| panic!("{d}"))
}

#[test]
fn magic_inventory_values() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "inv/hosts", "[kafka]\nk1\nk2\n[zk]\nz1\nk1\n[pipeline:children]\nkafka\nzk\n");
    let inv = load(tmp.path(), &["inv/hosts"]);
    assert_eq!(inv.group_names("k1"), ["kafka", "pipeline", "zk"]);
    assert_eq!(inv.group_names("nope"), Vec::<String>::new());
    let groups = inv.groups_var();
    assert_eq!(
        json!(groups),
        json!({"all": ["k1", "k2", "z1"], "ungrouped": [], "kafka": ["k1", "k2"], "zk": ["z1", "k1"], "pipeline": ["k1", "k2", "z1"]})
    );
    assert_eq!(inv.inventory_dir("k1").unwrap(), tmp.path().join("inv"));
    assert_eq!(inv.inventory_file("z1").unwrap(), tmp.path().join("inv/hosts"));
    assert_eq!(inv.group_hosts("zk"), ["z1", "k1"]);
    assert_eq!(inv.group_children("all"), ["ungrouped", "pipeline"]);
    assert_eq!(inv.group_children("pipeline"), ["kafka", "zk"]);
}

#[test]
fn playbook_dir_vars_rank_above_inventory_dir_vars() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(d, "inv/hosts", "[web]\nw1 v=inline\n");
    write(d, "inv/group_vars/all.yml", "a: inv_all\nb: inv_all\n");
    write(d, "inv/group_vars/web.yml", "b: inv_web\nc: inv_web\n");
    write(d, "inv/host_vars/w1.yml", "v: inv_host\nh: inv_host\n");
    write(d, "pb/group_vars/all.yml", "a: pb_all\nb: pb_all\n");
    write(d, "pb/group_vars/web.yml", "c: pb_web\n");
    write(d, "pb/host_vars/w1.yml", "h: pb_host\n");
    let inv = load(d, &["inv/hosts"]);
    assert_eq!(json!(inv.host_vars("w1")), json!({"a": "inv_all", "b": "inv_web", "c": "inv_web", "v": "inv_host", "h": "inv_host"}));
    let pb = inv.load_vars_dir(&d.join("pb")).unwrap();
    // all from the playbook beats all from the inventory, but not the inventory's group files.
    assert_eq!(
        json!(inv.host_vars_with("w1", &[pb])),
        json!({"a": "pb_all", "b": "inv_web", "c": "pb_web", "v": "inv_host", "h": "pb_host"})
    );
}

#[test]
fn implicit_localhost() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "hosts", "[web]\nw1\n[all:vars]\nshared=1\n");
    write(tmp.path(), "host_vars/localhost.yml", "lv: 2\n");
    let inv = load(tmp.path(), &["hosts"]);
    assert!(inv.is_implicit_localhost("localhost"));
    assert_eq!(inv.select("localhost").unwrap(), ["localhost"]);
    assert_eq!(inv.select("all").unwrap(), ["w1"]);
    assert_eq!(json!(inv.host_vars("localhost")), json!({"shared": 1, "ansible_connection": "local", "lv": 2}));
    assert_eq!(inv.to_host_json("ghost"), None);
    assert!(inv.host_vars("ghost").is_empty());
}

#[test]
fn explicit_localhost_answers_for_its_aliases() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "hosts", "localhost ansible_connection=local\n");
    let inv = load(tmp.path(), &["hosts"]);
    assert!(!inv.is_implicit_localhost("localhost"));
    assert_eq!(inv.select("127.0.0.1").unwrap(), ["localhost"]);
}

#[test]
fn unmatched_patterns_warn() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "hosts", "[web]\nw1\n");
    let inv = load(tmp.path(), &["hosts"]);
    let sel = inv.select_limited("web:nosuch", Some("w*")).unwrap();
    assert_eq!(sel.hosts, ["w1"]);
    assert_eq!(sel.warnings, ["Could not match supplied host pattern, ignoring: nosuch"]);
    assert!(inv.select("~(").is_err());
    assert!(inv.select_limited("all", Some("@/nonexistent/limit")).is_err());
}

#[test]
fn yaml_keys_ansible_skips_are_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "inv.yml", "web:\n  hosts:\n    w1:\n  host:\n    w2:\n  retries: 3\nnot_a_group: [1]\n");
    let inv = load(tmp.path(), &["inv.yml"]);
    let messages: Vec<&str> = inv.warnings().iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].contains("unexpected key 'host'"));
    assert!(messages[1].contains("'retries'"));
    assert!(messages[2].contains("'not_a_group'"));
    assert_eq!(inv.select("all").unwrap(), ["w1"]);
}

#[test]
fn graph_of_unknown_group_is_empty() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "hosts", "[web]\nw1\n");
    let inv = load(tmp.path(), &["hosts"]);
    assert_eq!(inv.to_graph("nosuch", false), "");
    assert_eq!(inv.to_graph("web", false), "@web:\n  |--w1");
}

#[test]
fn host_list_source_has_no_inventory_dir() {
    let inv = Inventory::load(&["a,b:2222,".to_string()]).unwrap();
    assert_eq!(inv.select("ungrouped").unwrap(), ["a", "b"]);
    assert_eq!(inv.host_vars("b"), json!({"ansible_port": 2222}).as_object().unwrap().clone());
    assert_eq!(inv.inventory_dir("a"), None);
}

/// Random bytes from a small alphabet of meaningful characters: nothing may panic.
#[test]
fn arbitrary_input_never_panics() {
    let alphabet: Vec<char> = "[]:,=!&~*?.-_ \t\n\"'\\#;{}()01a9zé:vars:children".chars().collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let tmp = tempfile::tempdir().unwrap();
    for i in 0..3000 {
        let len = (next() % 40) as usize;
        let text: String = (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect();
        let _ = literal_eval(&text);
        let _ = expand_host_pattern(&text);
        let _ = ini::shlex_split(&text);
        let mut data = data::Data::new();
        let _ = ini::parse(&crate::source::Source::new("fuzz.ini", text.clone()), &mut data);
        if i % 50 == 0 {
            write(tmp.path(), "f.ini", &format!("[g]\nh1\n{text}\n"));
            if let Ok(inv) = Inventory::load(&[tmp.path().join("f.ini").display().to_string()]) {
                let _ = inv.select(&text);
                let _ = inv.select_limited("all", Some(&text));
                let _ = inv.to_list_json();
                let _ = inv.to_graph("all", true);
            }
        }
    }
}

#[test]
fn host_and_group_with_one_name_warns_and_the_host_wins() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "hosts", "[web]\nweb\nweb2\n");
    let inv = load(tmp.path(), &["hosts"]);
    assert!(inv.warnings().iter().any(|d| d.message == "found both a group and a host named 'web'"));
    assert_eq!(inv.select("web").unwrap(), ["web"]);
    assert_eq!(inv.select("web*").unwrap(), ["web", "web2"]);
}

#[test]
fn from_text_reads_ini_and_yaml_without_a_file() {
    let ini = "web[1:3]\nweb[1:3]\n[db]\nweb2\ndb1 ansible_port=2222\n";
    let inv = Inventory::from_text(Path::new("/nowhere/hosts"), ini, InventoryFormat::Ini).unwrap();
    // Listed twice, each host is in `ungrouped` once; web2 left it when it joined `db`.
    assert_eq!(inv.group_hosts("ungrouped"), ["web1", "web3"]);
    assert_eq!(inv.group_hosts("db"), ["web2", "db1"]);
    assert_eq!(inv.host_vars("db1")["ansible_port"], json!(2222));
    assert_eq!(inv.inventory_file("db1"), Some(Path::new("/nowhere/hosts").to_path_buf()));

    let yaml = "all:\n  children:\n    kafka:\n      hosts:\n        k[1:2]:\n          broker: yes\n";
    let inv = Inventory::from_text(Path::new("/nowhere/hosts.yml"), yaml, InventoryFormat::Yaml).unwrap();
    assert_eq!(inv.group_hosts("kafka"), ["k1", "k2"]);
    assert_eq!(inv.host_vars("k2")["broker"], json!(true));

    let err = Inventory::from_text(Path::new("/nowhere/hosts"), "[g:nope]\n", InventoryFormat::Ini).unwrap_err();
    assert!(err.to_string().contains("/nowhere/hosts:1:1"), "{err}");
}
