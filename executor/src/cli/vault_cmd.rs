//! `dpctl vault encrypt|decrypt|view|edit|encrypt_string|rekey`: ansible-vault's
//! commands, options and output, on the same file format.

use std::io::{IsTerminal, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::vault_args::VaultArgs;
use crate::vault::password::{Source, VaultIdSpec};
use crate::vault::{self, VaultError, VaultSecret, DEFAULT_ID};

#[derive(Debug, Args)]
pub struct VaultCmdArgs {
    #[command(subcommand)]
    pub action: VaultAction,
}

#[derive(Debug, Subcommand)]
pub enum VaultAction {
    /// Encrypt files (in place, or to --output; `-` or nothing reads stdin).
    Encrypt(EncryptArgs),
    /// Decrypt files (in place, or to --output; `-` or nothing reads stdin).
    Decrypt(FileArgs),
    /// Print the plaintext of vaulted files.
    View(FileArgs),
    /// Decrypt a file into $EDITOR (on a 0600 temporary file) and encrypt it again.
    Edit(FileArgs),
    /// Encrypt strings into `!vault |` YAML blocks to paste into vars.
    #[command(name = "encrypt_string", alias = "encrypt-string")]
    EncryptString(EncryptStringArgs),
    /// Encrypt vaulted files again with a new password.
    Rekey(RekeyArgs),
}

#[derive(Debug, Args)]
pub struct FileArgs {
    /// Files (`-` for stdin).
    pub files: Vec<String>,
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Write the result here instead (`-` for stdout).
    #[arg(long = "output", value_name = "FILE")]
    pub output: Option<String>,
}

#[derive(Debug, Args)]
pub struct EncryptArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The vault-id (label) whose secret encrypts.
    #[arg(long = "encrypt-vault-id", value_name = "ID")]
    pub encrypt_vault_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct EncryptStringArgs {
    /// Strings to encrypt (`-` reads stdin).
    pub strings: Vec<String>,
    /// Variable names for the strings, in order (repeatable).
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub names: Vec<String>,
    /// Variable name for the string read from stdin.
    #[arg(long = "stdin-name", value_name = "NAME")]
    pub stdin_name: Option<String>,
    /// Ask for the string on the terminal.
    #[arg(short = 'p', long = "prompt")]
    pub prompt: bool,
    #[command(flatten)]
    pub vault: VaultArgs,
    #[arg(long = "encrypt-vault-id", value_name = "ID")]
    pub encrypt_vault_id: Option<String>,
    #[arg(long = "output", value_name = "FILE")]
    pub output: Option<String>,
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The new vault identity `label@source`.
    #[arg(long = "new-vault-id", value_name = "ID")]
    pub new_vault_id: Option<String>,
    /// The new vault password file.
    #[arg(long = "new-vault-password-file", value_name = "FILE")]
    pub new_vault_password_file: Option<PathBuf>,
}

pub fn run(a: VaultCmdArgs) -> anyhow::Result<ExitCode> {
    let cfg = crate::config::load();
    let result = match a.action {
        VaultAction::Encrypt(e) => encrypt(&e, &cfg),
        VaultAction::Decrypt(f) => decrypt(&f, &cfg),
        VaultAction::View(f) => view(&f, &cfg),
        VaultAction::Edit(f) => edit(&f, &cfg),
        VaultAction::EncryptString(e) => encrypt_string(&e, &cfg),
        VaultAction::Rekey(r) => rekey(&r, &cfg),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("ERROR! {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// The secrets, prompting when none is named (as ansible-vault does).
fn secrets(args: &VaultArgs, cfg: &crate::config::Config, new_password: bool) -> Result<Vec<VaultSecret>, VaultError> {
    let mut specs = args.specs(cfg);
    if specs.is_empty() {
        specs.push(VaultIdSpec { label: DEFAULT_ID.into(), source: Source::Prompt { classic: true } });
    }
    specs.iter().map(|s| s.load(new_password)).collect()
}

/// The secret that encrypts: the one named by --encrypt-vault-id, else the first.
fn encrypt_secret(all: &[VaultSecret], id: Option<&str>) -> Result<VaultSecret, VaultError> {
    match id {
        Some(id) => all.iter().find(|s| s.id == id).cloned().ok_or_else(|| {
            let known: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
            VaultError::Usage(format!("Did not find a match for --encrypt-vault-id={id} in the known vault-ids {known:?}"))
        }),
        None => all.first().cloned().ok_or_else(|| VaultError::Usage("no vault secret to encrypt with".into())),
    }
}

fn read_input(name: &str) -> Result<Vec<u8>, VaultError> {
    if name == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(|error| VaultError::Io { path: "<stdin>".into(), error })?;
        return Ok(buf);
    }
    std::fs::read(name).map_err(|error| VaultError::Io { path: name.into(), error })
}

/// Write to stdout (`-`), over an existing file (keeping its mode), or to a new 0600 file.
fn write_output(name: &str, data: &[u8]) -> Result<(), VaultError> {
    if name == "-" {
        let mut out = std::io::stdout().lock();
        return out.write_all(data).and_then(|_| out.flush()).map_err(|error| VaultError::Io { path: "<stdout>".into(), error });
    }
    let path = Path::new(name);
    let io = |error| VaultError::Io { path: path.to_path_buf(), error };
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path).map_err(io)?;
    f.write_all(data).map_err(io)
}

/// Each input and where its result goes: in place for files, stdout for stdin.
fn targets(f: &FileArgs) -> Vec<(String, String)> {
    let inputs = if f.files.is_empty() { vec!["-".to_string()] } else { f.files.clone() };
    inputs.into_iter().map(|i| (i.clone(), f.output.clone().unwrap_or(i))).collect()
}

fn encrypt(a: &EncryptArgs, cfg: &crate::config::Config) -> Result<(), VaultError> {
    let secret = encrypt_secret(&secrets(&a.file.vault, cfg, true)?, a.encrypt_vault_id.as_deref())?;
    for (input, output) in targets(&a.file) {
        let data = read_input(&input)?;
        if vault::is_vaulted(&data) {
            return Err(VaultError::Usage(format!("input is already encrypted: {input}")));
        }
        write_output(&output, encrypt_data(&data, &secret)?.as_bytes())?;
    }
    if std::io::stdout().is_terminal() {
        eprintln!("Encryption successful");
    }
    Ok(())
}

fn decrypt_named(data: &[u8], name: &str, all: &[VaultSecret]) -> Result<vault::Decrypted, VaultError> {
    if !vault::is_vaulted(data) {
        return Err(VaultError::Usage(format!("input is not vault encrypted data: {name} is not a vault encrypted file")));
    }
    vault::decrypt(data, all).map_err(|e| e.in_file(name))
}

fn decrypt(a: &FileArgs, cfg: &crate::config::Config) -> Result<(), VaultError> {
    let all = secrets(&a.vault, cfg, false)?;
    for (input, output) in targets(a) {
        let d = decrypt_named(&read_input(&input)?, &input, &all)?;
        write_output(&output, d.plaintext.expose())?;
    }
    if std::io::stdout().is_terminal() {
        eprintln!("Decryption successful");
    }
    Ok(())
}

fn view(a: &FileArgs, cfg: &crate::config::Config) -> Result<(), VaultError> {
    let all = secrets(&a.vault, cfg, false)?;
    for input in &a.files {
        let d = decrypt_named(&read_input(input)?, input, &all)?;
        write_output("-", String::from_utf8_lossy(d.plaintext.expose()).as_bytes())?;
    }
    Ok(())
}

/// A 0600 temporary file only this user can read, removed (after being
/// overwritten) when dropped.
struct PrivateTemp(PathBuf);

impl PrivateTemp {
    fn create(data: &[u8], suffix: &str) -> Result<PrivateTemp, VaultError> {
        let mut rnd = [0u8; 8];
        getrandom::fill(&mut rnd).map_err(|e| VaultError::Usage(format!("no random numbers: {e}")))?;
        let path = std::env::temp_dir().join(format!("dpctl-vault-{}{suffix}", data_encoding::HEXLOWER.encode(&rnd)));
        let io = |error| VaultError::Io { path: path.clone(), error };
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(io)?;
        f.write_all(data).map_err(io)?;
        Ok(PrivateTemp(path))
    }
}

impl Drop for PrivateTemp {
    fn drop(&mut self) {
        if let Ok(len) = std::fs::metadata(&self.0).map(|m| m.len()) {
            let _ = std::fs::write(&self.0, vec![0u8; len as usize]);
        }
        let _ = std::fs::remove_file(&self.0);
    }
}

fn edit(a: &FileArgs, cfg: &crate::config::Config) -> Result<(), VaultError> {
    let all = secrets(&a.vault, cfg, false)?;
    for input in &a.files {
        let d = decrypt_named(&read_input(input)?, input, &all)?;
        let suffix = Path::new(input).extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
        let tmp = PrivateTemp::create(d.plaintext.expose(), &suffix)?;
        let editor = std::env::var("EDITOR").ok().filter(|e| !e.trim().is_empty()).unwrap_or_else(|| "vi".into());
        let mut words = editor.split_whitespace();
        let program = words.next().unwrap_or("vi");
        let status = std::process::Command::new(program)
            .args(words)
            .arg(&tmp.0)
            .status()
            .map_err(|e| VaultError::Usage(format!("cannot run the editor `{editor}`: {e}")))?;
        if !status.success() {
            return Err(VaultError::Usage(format!("the editor `{editor}` exited with {status}; {input} is unchanged")));
        }
        let edited = std::fs::read(&tmp.0).map_err(|error| VaultError::Io { path: tmp.0.clone(), error })?;
        if edited == *d.plaintext.expose() {
            continue;
        }
        let secret = all.iter().find(|s| s.id == d.vault_id).cloned().unwrap_or_else(|| all[0].clone());
        write_output(input, encrypt_data(&edited, &secret)?.as_bytes())?;
    }
    Ok(())
}

fn encrypt_string(a: &EncryptStringArgs, cfg: &crate::config::Config) -> Result<(), VaultError> {
    let secret = encrypt_secret(&secrets(&a.vault, cfg, true)?, a.encrypt_vault_id.as_deref())?;
    // (plaintext, where it came from, name)
    let mut items: Vec<(Vec<u8>, &str, Option<String>)> = Vec::new();
    if a.prompt {
        let name = rpassword::prompt_password("Variable name (enter for no name): ")
            .map_err(|e| VaultError::Password(format!("cannot read from the terminal: {e}")))?;
        let text = rpassword::prompt_password("String to encrypt (hidden): ")
            .map_err(|e| VaultError::Password(format!("cannot read from the terminal: {e}")))?;
        if text.is_empty() {
            return Err(VaultError::Usage("The plaintext provided from the prompt was empty, not encrypting".into()));
        }
        items.push((text.into_bytes(), "the interactive prompt", Some(name).filter(|n| !n.is_empty())));
    }
    let args: Vec<&String> = a.strings.iter().filter(|s| *s != "-").collect();
    if a.stdin_name.is_some() || a.strings.iter().any(|s| s == "-") || (args.is_empty() && !a.prompt) {
        let text = read_input("-")?;
        if text.is_empty() {
            return Err(VaultError::Usage("stdin was empty, not encrypting".into()));
        }
        items.push((text, "stdin", a.stdin_name.clone()));
    }
    if args.len() > a.names.len() && !a.names.is_empty() {
        eprintln!("The number of --name options do not match the number of args.");
        eprintln!("The last named variable will be \"{}\". The rest will not have names.", a.names[a.names.len() - 1]);
    }
    for (i, text) in args.iter().enumerate() {
        if text.is_empty() {
            return Err(VaultError::Usage("The plaintext provided from the command line args was empty, not encrypting".into()));
        }
        items.push((text.as_bytes().to_vec(), "the command line args", a.names.get(i).cloned()));
    }
    let many = items.len() > 1;
    let mut blocks = Vec::new();
    for (i, (text, from, name)) in items.iter().enumerate() {
        if many {
            match name {
                Some(n) => eprintln!("# The encrypted version of variable (\"{n}\", the string #{} from {from}).", i + 1),
                None => eprintln!("# The encrypted version of the string #{} from {from}.)", i + 1),
            }
        }
        blocks.push(yaml_block(&encrypt_data(text, &secret)?, name.as_deref()));
    }
    blocks.push(String::new());
    write_output(a.output.as_deref().unwrap_or("-"), blocks.join("\n").as_bytes())?;
    if std::io::stdout().is_terminal() {
        eprintln!("Encryption successful");
    }
    Ok(())
}

/// Encrypt with a random salt, or with `ANSIBLE_VAULT_ENCRYPT_SALT` when set
/// (ansible-vault's setting for reproducible output: same salt, same bytes).
fn encrypt_data(data: &[u8], secret: &VaultSecret) -> Result<String, VaultError> {
    match std::env::var("ANSIBLE_VAULT_ENCRYPT_SALT").ok().filter(|s| !s.is_empty()) {
        Some(salt) => Ok(vault::encrypt_with_salt(data, secret, salt.as_bytes())),
        None => vault::encrypt(data, secret),
    }
}

/// `name: !vault |` and the envelope indented by 10, as ansible-vault prints it.
pub fn yaml_block(envelope: &str, name: Option<&str>) -> String {
    let mut lines = vec![match name {
        Some(n) => format!("{n}: !vault |"),
        None => "!vault |".to_string(),
    }];
    lines.extend(envelope.lines().map(|l| format!("{:10}{l}", "")));
    lines.join("\n")
}

fn rekey(a: &RekeyArgs, cfg: &crate::config::Config) -> Result<(), VaultError> {
    let old = secrets(&a.file.vault, cfg, false)?;
    let new_spec = match (&a.new_vault_id, &a.new_vault_password_file) {
        (Some(id), _) => VaultIdSpec::parse(id),
        (None, Some(file)) => VaultIdSpec { label: DEFAULT_ID.into(), source: Source::File(file.clone()) },
        (None, None) => VaultIdSpec { label: DEFAULT_ID.into(), source: Source::Prompt { classic: true } },
    };
    let new = new_spec.load(true)?;
    for input in &a.file.files {
        let d = decrypt_named(&read_input(input)?, input, &old)?;
        write_output(input, encrypt_data(d.plaintext.expose(), &new)?.as_bytes())?;
    }
    eprintln!("Rekey successful");
    Ok(())
}
