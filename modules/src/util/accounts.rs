//! Reading the local account databases (`/etc/passwd`, `/etc/group`,
//! `/etc/shadow`) so `user`/`group` can query before they act.

use crate::error::ModuleError;

/// One `/etc/passwd` line.
#[derive(Debug, Clone, PartialEq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
}

/// One `/etc/group` line.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupEntry {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

fn read(path: &str) -> Result<String, ModuleError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(ModuleError::io(format!("reading {path}"), e)),
    }
}

pub fn users() -> Result<Vec<PasswdEntry>, ModuleError> {
    Ok(read("/etc/passwd")?
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 7).then(|| PasswdEntry {
                name: f[0].into(),
                uid: f[2].parse().unwrap_or(u32::MAX),
                gid: f[3].parse().unwrap_or(u32::MAX),
                gecos: f[4].into(),
                home: f[5].into(),
                shell: f[6].into(),
            })
        })
        .collect())
}

pub fn groups() -> Result<Vec<GroupEntry>, ModuleError> {
    Ok(read("/etc/group")?
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 4).then(|| GroupEntry {
                name: f[0].into(),
                gid: f[2].parse().unwrap_or(u32::MAX),
                members: f[3].split(',').filter(|m| !m.is_empty()).map(str::to_string).collect(),
            })
        })
        .collect())
}

pub fn user(name: &str) -> Result<Option<PasswdEntry>, ModuleError> {
    Ok(users()?.into_iter().find(|u| u.name == name))
}

/// A group by name, or by number when `name_or_gid` is all digits and no group has that name.
pub fn group(name_or_gid: &str) -> Result<Option<GroupEntry>, ModuleError> {
    let all = groups()?;
    if let Some(g) = all.iter().find(|g| g.name == name_or_gid) {
        return Ok(Some(g.clone()));
    }
    Ok(name_or_gid.parse::<u32>().ok().and_then(|gid| all.into_iter().find(|g| g.gid == gid)))
}

/// The password hash field from `/etc/shadow` (`None` when unreadable or absent).
pub fn shadow_hash(name: &str) -> Option<String> {
    std::fs::read_to_string("/etc/shadow").ok()?.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next() == Some(name)).then(|| f.next().unwrap_or("").to_string())
    })
}

/// The account expiry field of `/etc/shadow` in days since 1970-01-01; `-1` when
/// unset (as Python's `spwd` reports it), `None` when unreadable or absent.
pub fn shadow_expire(name: &str) -> Option<i64> {
    std::fs::read_to_string("/etc/shadow").ok()?.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&name)).then(|| f.get(7).and_then(|e| e.trim().parse().ok()).unwrap_or(-1))
    })
}
