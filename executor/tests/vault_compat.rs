//! Ansible Vault compatibility: dpctl reads what ansible-vault wrote (the
//! committed fixtures, made by fixtures/vault/generate.sh) and writes what
//! ansible-vault reads (byte-identical with a fixed salt; with a random salt,
//! checked live when ansible-vault is installed and recorded in
//! fixtures/vault/dpctl-made/VERIFIED).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dpctl::vault::{self, VaultError, VaultSecret};
use support::{dpctl_bin, repo_root, stderr, stdout};

fn fixtures() -> PathBuf {
    repo_root().join("executor/tests/fixtures/vault")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn password(name: &str) -> Vec<u8> {
    String::from_utf8(fixture(name)).unwrap().trim().as_bytes().to_vec()
}

fn default_secret() -> VaultSecret {
    VaultSecret::new("default", password("pw-default.txt"))
}

fn prod_secret() -> VaultSecret {
    VaultSecret::new("prod", password("pw-prod.txt"))
}

/// `dpctl ARGS` in `dir` with no vault settings from the environment.
fn dpctl_vault(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(dpctl_bin());
    cmd.args(args).current_dir(dir);
    for var in ["ANSIBLE_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_IDENTITY_LIST", "ANSIBLE_VAULT_ENCRYPT_SALT", "ANSIBLE_CONFIG"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("run dpctl");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or_default()).unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn ok(o: &Output) -> &Output {
    assert!(o.status.success(), "exit {:?}\nstdout:\n{}\nstderr:\n{}", o.status.code(), stdout(o), stderr(o));
    o
}

#[test]
fn decrypts_every_ansible_vault_fixture_to_its_plaintext() {
    let both = [default_secret(), prod_secret()];
    for (file, plain) in [
        ("v11.txt", "plain.txt"),
        ("v12-prod.txt", "plain.txt"),
        ("vars.vault.yml", "vars-plain.yml"),
        ("binary.bin.vault", "binary.bin"),
        ("dpctl-made/v11.txt", "plain.txt"),
        ("dpctl-made/v12-prod.txt", "plain.txt"),
        ("dpctl-made/binary.bin.vault", "binary.bin"),
    ] {
        let got = vault::decrypt(&fixture(file), &both).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(got.plaintext.expose(), &fixture(plain), "{file}");
    }
    let v12 = vault::decrypt(&fixture("v12-prod.txt"), &both).unwrap();
    assert_eq!((v12.envelope_id.as_deref(), v12.vault_id.as_str()), (Some("prod"), "prod"), "the matching vault-id is tried first");
}

#[test]
fn cli_decrypt_and_view_match_the_plaintext() {
    let dir = fixtures();
    let o = dpctl_vault(&dir, &["vault", "decrypt", "--vault-id", "prod@pw-prod.txt", "--output", "-", "v12-prod.txt"], &[], None);
    assert_eq!(ok(&o).stdout, fixture("plain.txt"));
    let o =
        dpctl_vault(&dir, &["vault", "decrypt", "--vault-password-file", "pw-default.txt", "--output", "-", "binary.bin.vault"], &[], None);
    assert_eq!(ok(&o).stdout, fixture("binary.bin"));
    let o = dpctl_vault(&dir, &["vault", "view", "--vault-password-file", "pw-default.txt", "vars.vault.yml"], &[], None);
    assert_eq!(ok(&o).stdout, fixture("vars-plain.yml"));
    // stdin to stdout, password file from the environment
    let o = dpctl_vault(&dir, &["vault", "decrypt"], &[("ANSIBLE_VAULT_PASSWORD_FILE", "pw-default.txt")], Some(&fixture("v11.txt")));
    assert_eq!(ok(&o).stdout, fixture("plain.txt"));
}

#[test]
fn inline_vault_strings_load_as_their_plaintext() {
    vault::keyring::install(vec![default_secret(), prod_secret()]);
    for file in ["string.yml", "dpctl-made/string.yml"] {
        let (_, node) = dpctl::yaml::load_file(&fixtures().join(file)).unwrap();
        assert_eq!(node.unwrap().to_value(), serde_json::json!({"db_password": "inline-fixture-secret"}), "{file}");
    }
    let (_, node) = dpctl::yaml::load_file(&fixtures().join("string-prod-noname.yml")).unwrap();
    assert_eq!(node.unwrap().to_value(), serde_json::json!("inline-fixture-secret"));
    // a whole vaulted vars file loads like its plaintext, every type intact
    let (_, node) = dpctl::yaml::load_file(&fixtures().join("vars.vault.yml")).unwrap();
    let v = node.unwrap().to_value();
    assert_eq!(v["db_port"], 5432);
    assert_eq!(v["replicas"], 3.5);
    assert_eq!(v["enabled"], true);
    assert_eq!(v["admins"], serde_json::json!(["alice", "bob"]));
    assert_eq!(v["nested"]["multi"], "line one of the multi-line secret\nline two of the multi-line secret\n");
    assert_eq!(dpctl::secrets::redact("key=vault-fixture-api-key"), "key=********", "every value of a vaulted file is secret");
}

#[test]
fn encrypts_byte_for_byte_like_ansible_vault_with_a_fixed_salt() {
    let dir = fixtures();
    let salt = [("ANSIBLE_VAULT_ENCRYPT_SALT", "fixed-salt-for-fixtures")];
    let o = dpctl_vault(&dir, &["vault", "encrypt", "--vault-password-file", "pw-default.txt", "--output", "-", "plain.txt"], &salt, None);
    assert_eq!(String::from_utf8_lossy(&ok(&o).stdout), String::from_utf8(fixture("salted-v11.txt")).unwrap());
    let o = dpctl_vault(&dir, &["vault", "encrypt", "--vault-id", "prod@pw-prod.txt", "--output", "-", "plain.txt"], &salt, None);
    assert_eq!(String::from_utf8_lossy(&ok(&o).stdout), String::from_utf8(fixture("salted-v12-prod.txt")).unwrap());
    let args = ["vault", "encrypt_string", "--vault-password-file", "pw-default.txt", "--name", "a", "--name", "b", "one", "two"];
    let o = dpctl_vault(&dir, &args, &salt, None);
    assert_eq!(String::from_utf8_lossy(&ok(&o).stdout), String::from_utf8(fixture("salted-strings.yml")).unwrap());
    assert!(stderr(&o).contains("# The encrypted version of variable (\"a\", the string #1 from the command line args)."));
    // the library call gives the same bytes
    let lib = vault::encrypt_with_salt(&fixture("plain.txt"), &default_secret(), b"fixed-salt-for-fixtures");
    assert_eq!(lib.as_bytes(), fixture("salted-v11.txt"));
}

#[test]
fn the_dpctl_made_fixtures_are_the_ones_ansible_vault_verified() {
    use sha2::Digest;
    let record = String::from_utf8(fixture("dpctl-made/VERIFIED")).unwrap();
    let mut checked = 0;
    for line in record.lines().filter(|l| !l.starts_with('#') && l.contains("  ")) {
        let (digest, name) = line.split_once("  ").unwrap();
        let got = format!("{:x}", sha2::Sha256::digest(fixture(&format!("dpctl-made/{name}"))));
        assert_eq!(got, digest, "dpctl-made/{name} changed since generate.sh verified it with ansible-vault");
        checked += 1;
    }
    assert_eq!(checked, 4, "{record}");
}

/// Files dpctl encrypts now are decrypted by the real ansible-vault (when installed).
#[test]
fn ansible_vault_decrypts_what_dpctl_encrypts_when_installed() {
    let av = std::env::var("ANSIBLE_VAULT").unwrap_or_else(|_| "/opt/ansible-venv/bin/ansible-vault".into());
    if !Path::new(&av).exists() {
        eprintln!("skipped: {av} is not installed (the committed dpctl-made fixtures were verified by generate.sh)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for f in ["plain.txt", "binary.bin", "pw-prod.txt"] {
        std::fs::copy(fixtures().join(f), tmp.path().join(f)).unwrap();
    }
    for (file, args) in
        [("plain.txt", vec!["--vault-id", "prod@pw-prod.txt"]), ("binary.bin", vec!["--vault-password-file", "pw-prod.txt"])]
    {
        let mut all = vec!["vault", "encrypt"];
        all.extend(&args);
        all.extend(["--output", "enc", file]);
        ok(&dpctl_vault(tmp.path(), &all, &[], None));
        let o = Command::new(&av).args(["decrypt", "--output", "-"]).args(&args).arg("enc").current_dir(tmp.path()).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(o.stdout, fixture(file), "{file}");
    }
}

#[test]
fn round_trip_in_place_and_rekey() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::copy(fixtures().join("plain.txt"), d.join("f.txt")).unwrap();
    std::fs::write(d.join("old"), "old-password\n").unwrap();
    std::fs::write(d.join("new"), "new-password\n").unwrap();
    ok(&dpctl_vault(d, &["vault", "encrypt", "--vault-password-file", "old", "f.txt"], &[], None));
    let enc = std::fs::read(d.join("f.txt")).unwrap();
    assert!(enc.starts_with(b"$ANSIBLE_VAULT;1.1;AES256\n") && enc.ends_with(b"\n"));
    assert!(String::from_utf8(enc).unwrap().lines().all(|l| l.len() <= 80));
    let o = dpctl_vault(d, &["vault", "encrypt", "--vault-password-file", "old", "f.txt"], &[], None);
    assert!(!o.status.success() && stderr(&o).contains("already encrypted"), "{}", stderr(&o));
    ok(&dpctl_vault(d, &["vault", "rekey", "--vault-password-file", "old", "--new-vault-id", "ops@new", "f.txt"], &[], None));
    assert!(std::fs::read(d.join("f.txt")).unwrap().starts_with(b"$ANSIBLE_VAULT;1.2;AES256;ops\n"));
    let o = dpctl_vault(d, &["vault", "view", "--vault-password-file", "old", "f.txt"], &[], None);
    assert!(!o.status.success(), "the old password no longer opens it");
    ok(&dpctl_vault(d, &["vault", "decrypt", "--vault-id", "ops@new", "f.txt"], &[], None));
    assert_eq!(std::fs::read(d.join("f.txt")).unwrap(), fixture("plain.txt"));
}

#[test]
fn wrong_password_names_the_file_and_the_vault_id() {
    let dir = fixtures();
    let o = dpctl_vault(&dir, &["vault", "view", "--vault-id", "prod@pw-default.txt", "v12-prod.txt"], &[], None);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("v12-prod.txt") && err.contains("vault-id `prod`") && err.contains("HMAC verification failed"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn tampered_data_fails_the_hmac_check() {
    // one bit of the ciphertext flipped, the envelope otherwise intact
    let mut env = vault::envelope::parse(&fixture("v11.txt")).unwrap();
    env.ciphertext[0] ^= 1;
    let tampered = vault::envelope::format(&env.salt, &env.hmac, &env.ciphertext, None);
    match vault::decrypt(tampered.as_bytes(), &[default_secret()]) {
        Err(VaultError::Decrypt { vault_id, .. }) => assert_eq!(vault_id, "default"),
        other => panic!("tampered data must fail the HMAC check, got {other:?}"),
    }
    let bad = vault::decrypt(b"$ANSIBLE_VAULT;1.1;AES256\n61zz\n", &[default_secret()]).unwrap_err();
    assert!(bad.to_string().contains("line 2"), "{bad}");
}

#[test]
fn edit_uses_a_private_temp_file_and_reencrypts_with_the_same_vault_id() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::copy(fixtures().join("v12-prod.txt"), d.join("f.txt")).unwrap();
    std::fs::copy(fixtures().join("pw-prod.txt"), d.join("pw")).unwrap();
    let editor = d.join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\nstat -c %a \"$1\" > \"$(dirname \"$0\")/mode\"\necho 'added by the editor' >> \"$1\"\n").unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    ok(&dpctl_vault(d, &["vault", "edit", "--vault-id", "prod@pw", "f.txt"], &[("EDITOR", editor.to_str().unwrap())], None));
    assert_eq!(std::fs::read_to_string(d.join("mode")).unwrap().trim(), "600");
    let enc = std::fs::read(d.join("f.txt")).unwrap();
    assert!(enc.starts_with(b"$ANSIBLE_VAULT;1.2;AES256;prod\n"));
    let plain = vault::decrypt(&enc, &[prod_secret()]).unwrap();
    let want = format!("{}added by the editor\n", String::from_utf8(fixture("plain.txt")).unwrap());
    assert_eq!(String::from_utf8_lossy(plain.plaintext.expose()), want);
}

#[test]
fn a_vaulted_vars_file_without_secrets_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::copy(fixtures().join("vars.vault.yml"), d.join("secrets.yml")).unwrap();
    std::fs::write(
        d.join("play.yml"),
        "- hosts: all\n  gather_facts: false\n  vars_files: [secrets.yml]\n  tasks:\n    - debug: msg={{ db_password }}\n",
    )
    .unwrap();
    let o = dpctl_vault(d, &["check", "play.yml", "-i", "h1,"], &[], None);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(err.contains("Attempting to decrypt but no vault secrets found") && err.contains("secrets.yml"), "{err}");
    let pw = fixtures().join("pw-default.txt");
    let o = dpctl_vault(d, &["check", "play.yml", "-i", "h1,", "--vault-password-file", pw.to_str().unwrap()], &[], None);
    ok(&o);
}

#[test]
fn an_error_in_a_vaulted_file_shows_no_excerpt_of_it() {
    vault::keyring::install(vec![default_secret()]);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("broken.yml");
    let plain = "user: x\npassword: [excerpt-would-leak-this\n";
    std::fs::write(&path, vault::encrypt(plain.as_bytes(), &default_secret()).unwrap()).unwrap();
    let err = dpctl::yaml::load_file(&path).unwrap_err().to_string();
    assert!(err.contains("YAML syntax error") && err.contains("broken.yml"), "{err}");
    assert!(err.contains("no excerpt: the file is vault-encrypted") && !err.contains("excerpt-would-leak-this"), "{err}");
}
