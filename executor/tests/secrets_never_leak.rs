//! Issue 7's acceptance: a playbook that uses vaulted passwords (an inline
//! `!vault` scalar and a vaulted vars file) in a template, a command argument
//! and failing tasks prints the plaintext nowhere — text output at -vvv with
//! --diff, JSON events, error messages — while the file it renders on disk
//! does contain it (templating saw the real value). And `no_log: true`
//! (task, block, play) hides results and failure messages in every channel.

mod support;

use std::path::Path;

use dpctl::vault::{self, VaultSecret};
use support::{dpctl, stderr, stdout};

const FILE_SECRET: &str = "S3cr3t-From-Vaulted-File-42";
const INLINE_SECRET: &str = "Inline-Vault-Secret-7731";
const PASSWORD: &str = "acceptance-vault-password";

fn indent(text: &str, by: usize) -> String {
    text.lines().map(|l| format!("{:by$}{l}\n", "")).collect()
}

/// A project in `d`: inventory, vaulted secrets.yml, a template, the playbook.
fn project(d: &Path) {
    let secret = VaultSecret::new("default", PASSWORD.as_bytes().to_vec());
    std::fs::write(d.join("vault-pass"), format!("{PASSWORD}\n")).unwrap();
    std::fs::write(d.join("inventory.ini"), "target ansible_connection=local\n").unwrap();
    let vars = format!("db_password: \"{FILE_SECRET}\"\ndb_user: app\n");
    std::fs::write(d.join("secrets.yml"), vault::encrypt(vars.as_bytes(), &secret).unwrap()).unwrap();
    std::fs::create_dir_all(d.join("templates")).unwrap();
    std::fs::write(d.join("templates/app.conf.j2"), "user={{ db_user }}\npassword={{ db_password }}\ninline={{ inline_password }}\n")
        .unwrap();
    let inline = indent(&vault::encrypt(INLINE_SECRET.as_bytes(), &secret).unwrap(), 8);
    let out = d.join("out");
    let play = format!(
        r#"- hosts: target
  gather_facts: false
  vars_files:
    - secrets.yml
  vars:
    out_dir: "{out}"
    inline_password: !vault |
{inline}  tasks:
    - file: path={{{{ out_dir }}}} state=directory
    - name: render the config with both secrets
      template: src=templates/app.conf.j2 dest={{{{ out_dir }}}}/app.conf
    - name: the secret as a command argument
      command: echo {{{{ db_password }}}}
      register: echoed
    - debug: var=echoed
    - debug:
        msg: "inline is {{{{ inline_password }}}}"
    - name: a command that fails printing the secret
      command: sh -c "echo {{{{ inline_password }}}}; echo {{{{ db_password }}}} >&2; exit 3"
      ignore_errors: true
    - name: a failure message with the secret
      fail:
        msg: "cannot log in with {{{{ db_password }}}} / {{{{ inline_password }}}}"
"#,
        out = out.display()
    );
    std::fs::write(d.join("play.yml"), play).unwrap();
}

fn assert_no_plaintext(what: &str, text: &str) {
    for s in [FILE_SECRET, INLINE_SECRET] {
        assert!(!text.contains(s), "{what} shows the secret {s}:\n{text}");
    }
}

#[test]
fn vaulted_secrets_appear_in_no_output_channel() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    project(d);
    let base = ["playbook", "play.yml", "-i", "inventory.ini", "--vault-password-file", "vault-pass", "--diff", "-vvv"];

    let text = dpctl(d, &base);
    let (out, err) = (stdout(&text), stderr(&text));
    assert_eq!(text.status.code(), Some(2), "the fail task fails the run\nstdout:\n{out}\nstderr:\n{err}");
    assert_no_plaintext("text stdout", &out);
    assert_no_plaintext("text stderr", &err);
    assert!(out.contains("cannot log in with ******** / ********"), "the failure message is shown, redacted:\n{out}");
    assert!(out.contains("+password=********"), "the --diff of the template is shown, redacted:\n{out}");
    assert!(out.contains("\"msg\": \"inline is ********\"") || out.contains("inline is ********"), "{out}");

    let rendered = std::fs::read_to_string(d.join("out/app.conf")).unwrap();
    assert_eq!(rendered, format!("user=app\npassword={FILE_SECRET}\ninline={INLINE_SECRET}\n"), "templating saw the plaintext");

    std::fs::remove_dir_all(d.join("out")).unwrap();
    let mut json_args = base.to_vec();
    json_args.extend(["--output", "json"]);
    let json = dpctl(d, &json_args);
    let (out, err) = (stdout(&json), stderr(&json));
    assert_eq!(json.status.code(), Some(2), "stdout:\n{out}\nstderr:\n{err}");
    assert_no_plaintext("JSON events", &out);
    assert_no_plaintext("JSON run stderr", &err);
    let events: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("one JSON event per line")).collect();
    let results: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "result").collect();
    assert!(results.iter().any(|e| e["result"]["stdout"] == "********"), "the command's echo is redacted: {out}");
    assert!(
        results.iter().any(|e| e["status"] == "failed" && e["result"]["msg"].as_str().is_some_and(|m| m.contains("********"))),
        "{out}"
    );
    assert!(std::fs::read_to_string(d.join("out/app.conf")).unwrap().contains(FILE_SECRET));
}

#[test]
fn check_render_and_inventory_redact_too() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    project(d);
    // a play whose only problem quotes the secret in an error message
    std::fs::write(
        d.join("bad.yml"),
        "- hosts: target\n  gather_facts: false\n  vars_files: [secrets.yml]\n  tasks:\n    - copy: src={{ db_password }} dest=/x\n",
    )
    .unwrap();
    let o = dpctl(d, &["check", "bad.yml", "-i", "inventory.ini", "--vault-password-file", "vault-pass"]);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert_no_plaintext("check", &all);
    assert!(all.contains("source file `********` not found"), "the diagnostic quoting the secret is redacted:\n{all}");
    std::fs::write(d.join("inventory.ini"), "target ansible_connection=local\n").unwrap();
    std::fs::create_dir_all(d.join("host_vars")).unwrap();
    std::fs::copy(d.join("secrets.yml"), d.join("host_vars/target.yml")).unwrap();
    let o = dpctl(d, &["inventory", "-i", "inventory.ini", "--vault-password-file", "vault-pass", "--host", "target"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_no_plaintext("inventory --host", &stdout(&o));
    assert!(stdout(&o).contains("\"db_password\": \"********\""), "{}", stdout(&o));
}

#[test]
fn no_log_hides_results_and_failures_in_every_channel() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("inventory.ini"), "target ansible_connection=local\n").unwrap();
    // not a vault value: only no_log hides it
    let play = r#"- hosts: target
  gather_facts: false
  vars:
    token: "plain-token-hidden-by-no-log"
  tasks:
    - name: task-level no_log
      command: echo {{ token }}
      no_log: true
    - block:
        - name: inherited from the block
          debug: msg="{{ token }}"
      no_log: true
    - name: a failing no_log task
      fail: msg="failed with {{ token }}"
      no_log: true
"#;
    std::fs::write(d.join("play.yml"), play).unwrap();
    for extra in [&[][..], &["--output", "json"][..]] {
        let mut args = vec!["playbook", "play.yml", "-i", "inventory.ini", "-vvv", "--diff"];
        args.extend(extra);
        let o = dpctl(d, &args);
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(2), "{all}");
        assert!(!all.contains("plain-token-hidden-by-no-log"), "{extra:?}:\n{all}");
        let censored = all.matches("the output has been hidden due to the fact that 'no_log: true' was specified for this result").count();
        assert_eq!(censored, 3, "every no_log result is censored in Ansible's words ({extra:?}):\n{all}");
    }
}

/// `copy src=`, `include_vars`, role defaults and group_vars read vaulted files
/// (decrypted on the controller); their content reaches the host, not the output.
#[test]
fn vaulted_files_are_decrypted_wherever_ansible_reads_them() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let secret = VaultSecret::new("ops", PASSWORD.as_bytes().to_vec());
    let enc = |text: &str| vault::encrypt(text.as_bytes(), &secret).unwrap();
    std::fs::write(d.join("vault-pass"), PASSWORD).unwrap();
    std::fs::write(d.join("inventory.ini"), "target ansible_connection=local\n").unwrap();
    std::fs::create_dir_all(d.join("group_vars")).unwrap();
    std::fs::write(d.join("group_vars/all.yml"), enc("from_group_vars: group-vars-vaulted-value\n")).unwrap();
    std::fs::create_dir_all(d.join("files")).unwrap();
    std::fs::write(d.join("files/key.pem"), enc("-----BEGIN KEY-----\nvaulted-key-material-0042\n-----END KEY-----\n")).unwrap();
    std::fs::write(d.join("more.yml"), enc("from_include_vars: include-vars-vaulted-value\n")).unwrap();
    std::fs::create_dir_all(d.join("roles/r/defaults")).unwrap();
    std::fs::create_dir_all(d.join("roles/r/tasks")).unwrap();
    std::fs::write(d.join("roles/r/defaults/main.yml"), enc("from_role_defaults: role-defaults-vaulted-value\n")).unwrap();
    std::fs::write(
        d.join("roles/r/tasks/main.yml"),
        "- copy:\n    dest: \"{{ out }}/all.txt\"\n    content: \"{{ from_group_vars }} {{ from_include_vars }} {{ from_role_defaults }}\\n\"\n",
    )
    .unwrap();
    let out = d.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let play = format!(
        "- hosts: target\n  gather_facts: false\n  vars:\n    out: \"{}\"\n  tasks:\n    - copy: src=files/key.pem dest={{{{ out }}}}/key.pem mode=0600\n    - include_vars: more.yml\n    - include_role: name=r\n    - debug: msg=\"{{{{ from_include_vars }}}}\"\n",
        out.display()
    );
    std::fs::write(d.join("play.yml"), play).unwrap();
    let o = dpctl(d, &["playbook", "play.yml", "-i", "inventory.ini", "--vault-id", "ops@vault-pass", "--diff", "-vvv"]);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(0), "{all}");
    for s in ["group-vars-vaulted-value", "include-vars-vaulted-value", "role-defaults-vaulted-value", "vaulted-key-material-0042"] {
        assert!(!all.contains(s), "{s} printed:\n{all}");
    }
    assert_eq!(
        std::fs::read_to_string(out.join("key.pem")).unwrap(),
        "-----BEGIN KEY-----\nvaulted-key-material-0042\n-----END KEY-----\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("all.txt")).unwrap(),
        "group-vars-vaulted-value include-vars-vaulted-value role-defaults-vaulted-value\n"
    );
}
