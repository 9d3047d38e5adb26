//! Service tests never touch the machine's own services: they install a
//! throwaway init script `/etc/init.d/dpctltest-svc` (a sleep-loop daemon whose
//! pid file lives in a temp dir) or, where PID 1 is systemd, a throwaway unit
//! `dpctltest-svc.service`; both are removed at the end. Needs root.
use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::Agent;
use serde_json::json;

const NAME: &str = "dpctltest-svc";

fn require_root() {
    let uid = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    assert_eq!(uid.trim(), "0", "service tests install an init script and must run as root");
}

fn systemd_is_init() -> bool {
    modules::util::services::systemd_is_init()
}

/// The throwaway init script; removed (daemon stopped, rc links gone) on drop.
struct InitScript {
    dir: tempfile::TempDir,
    script: PathBuf,
}

impl InitScript {
    fn install() -> InitScript {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let script = PathBuf::from(format!("/etc/init.d/{NAME}"));
        let text = format!(
            r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          {NAME}
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: dpctl test daemon (throwaway)
### END INIT INFO
PIDFILE={d}/pid
LOG={d}/log
running() {{ [ -f $PIDFILE ] && kill -0 "$(cat $PIDFILE)" 2>/dev/null; }}
case "$1" in
  start) running && exit 0
         (exec >/dev/null 2>&1 </dev/null; while :; do sleep 1; done) &
         echo $! > $PIDFILE; echo start >> $LOG ;;
  stop)  running && kill "$(cat $PIDFILE)"; rm -f $PIDFILE; echo stop >> $LOG ;;
  restart) "$0" stop; "$0" start; echo restart >> $LOG ;;
  reload) echo reload >> $LOG ;;
  status) if running; then echo "{NAME} is running"; exit 0; else echo "{NAME} is not running"; exit 3; fi ;;
  *) echo "Usage: $0 {{start|stop|restart|reload|status}}"; exit 2 ;;
esac
"#
        );
        std::fs::write(&script, text).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        InitScript { dir, script }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    fn running(&self) -> bool {
        Command::new(&self.script).arg("status").output().unwrap().status.success()
    }
}

impl Drop for InitScript {
    fn drop(&mut self) {
        let _ = Command::new(&self.script).arg("stop").output();
        let _ = Command::new("update-rc.d").args(["-f", NAME, "remove"]).output();
        let _ = std::fs::remove_file(&self.script);
    }
}

fn rc_links(kind: char) -> usize {
    (0..=6)
        .filter(|rl| {
            std::fs::read_dir(format!("/etc/rc{rl}.d"))
                .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy() == format!("{kind}01{NAME}")))
                .unwrap_or(false)
        })
        .count()
}

#[test]
fn sysv_init_script_lifecycle_and_facts() {
    require_root();
    if systemd_is_init() {
        // The init-script path is only what `service` uses when PID 1 is not systemd;
        // systemd hosts are covered by `systemd_unit_lifecycle`.
        return systemd_unit_lifecycle();
    }
    let svc = InitScript::install();
    let mut agent = Agent::start();

    let r = agent.check("service", json!({"name": NAME, "state": "started"}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(!svc.running(), "check mode started nothing");

    let r = agent.run("service", json!({"name": NAME, "state": "started"}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(svc.running());
    assert_eq!((r.outcome.values["name"].clone(), r.outcome.values["state"].clone()), (json!(NAME), json!("started")));
    let r = agent.run("service", json!({"name": NAME, "state": "started"}));
    assert!(!r.failed && !r.outcome.changed, "running already: ok");

    let r = agent.check("service", json!({"name": NAME, "enabled": true}));
    assert!(r.outcome.changed && rc_links('S') == 0);
    let r = agent.run("service", json!({"name": NAME, "enabled": "yes"}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(rc_links('S') >= 4, "S links in runlevels 2-5");
    assert!(!agent.run("service", json!({"name": NAME, "enabled": true})).outcome.changed);

    assert!(agent.run("service", json!({"name": NAME, "state": "restarted"})).outcome.changed);
    assert!(agent.run("service", json!({"name": NAME, "state": "reloaded"})).outcome.changed);
    assert!(svc.log().contains("restart\n") && svc.log().ends_with("reload\n"), "{}", svc.log());

    let r = agent.run("service_facts", json!({}));
    assert!(!r.failed && !r.outcome.changed, "{r:?}");
    assert_eq!(r.outcome.values["ansible_facts"]["services"][NAME], json!({"name": NAME, "state": "running", "source": "sysv"}));
    let c = agent.check("service_facts", json!({}));
    assert!(!c.failed && !c.outcome.changed, "{c:?}");
    assert_eq!(
        c.outcome.values["ansible_facts"]["services"][NAME], r.outcome.values["ansible_facts"]["services"][NAME],
        "check mode reads facts too"
    );

    // pattern decides "running" from the process table instead of `status`.
    let r = agent.check("service", json!({"name": NAME, "state": "started", "pattern": "dpctl-no-such-process-xyz"}));
    assert!(r.outcome.changed);

    // systemd falls back to the init script when PID 1 is not systemd.
    let r = agent.check("systemd", json!({"name": NAME, "state": "stopped", "enabled": false}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(svc.running() && rc_links('S') >= 4, "check mode stopped or disabled nothing");
    let r = agent.run("systemd", json!({"name": NAME, "state": "stopped", "enabled": false, "daemon_reload": true}));
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(!svc.running() && rc_links('S') == 0 && rc_links('K') > 0);
    assert!(!agent.run("systemd_service", json!({"name": NAME, "state": "stopped", "enabled": false})).outcome.changed);
    let r = agent.run("service_facts", json!({}));
    assert_eq!(r.outcome.values["ansible_facts"]["services"][NAME]["state"], "stopped");
    let r = agent.run("systemd", json!({"name": NAME, "masked": true}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("not systemd"));
}

#[test]
fn bad_arguments_and_unknown_services() {
    let mut agent = Agent::start();
    let r = agent.run("service", json!({"name": "dpctltest-no-such-svc", "state": "started"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("Could not find the requested service dpctltest-no-such-svc"));
    let r = agent.run("service", json!({"name": NAME}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("Neither argument state nor enabled are set"));
    let r = agent.run("service", json!({"name": NAME, "state": "running"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown variant"));
    let r = agent.run("systemd", json!({"state": "started"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("name is required"));
    let r = agent.run("service_facts", json!({"x": 1}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown field `x`"));
    let r = agent.run("systemd", json!({"name": NAME, "state": "started", "restart_on": "boot"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("unknown field `restart_on`"));
}

/// Only where PID 1 is systemd: a throwaway unit, never the host's own.
fn systemd_unit_lifecycle() {
    let unit = Path::new("/etc/systemd/system").join(format!("{NAME}.service"));
    struct Unit(PathBuf);
    impl Drop for Unit {
        fn drop(&mut self) {
            let _ = Command::new("systemctl").args(["disable", "--now", NAME]).output();
            let _ = Command::new("systemctl").args(["unmask", NAME]).output();
            let _ = std::fs::remove_file(&self.0);
            let _ = Command::new("systemctl").arg("daemon-reload").output();
        }
    }
    std::fs::write(
        &unit,
        "[Unit]\nDescription=dpctl throwaway test unit\n[Service]\nExecStart=/bin/sleep 100000\n[Install]\nWantedBy=multi-user.target\n",
    )
    .unwrap();
    let _guard = Unit(unit);
    let mut agent = Agent::start();
    let args = json!({"name": NAME, "state": "started", "enabled": true, "daemon_reload": true});
    assert!(agent.check("systemd", args.clone()).outcome.changed);
    let r = agent.run("systemd", args.clone());
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert_eq!(r.outcome.values["status"]["ActiveState"], "active");
    assert!(!agent.run("systemd", args).outcome.changed);
    let r = agent.run("service_facts", json!({}));
    assert_eq!(r.outcome.values["ansible_facts"]["services"][format!("{NAME}.service")]["state"], "running");
    assert!(agent.run("systemd", json!({"name": NAME, "state": "stopped", "enabled": false})).outcome.changed);
    assert!(agent.run("systemd", json!({"name": NAME, "masked": true})).outcome.changed);
    assert!(!agent.run("systemd", json!({"name": NAME, "masked": true})).outcome.changed);
}

#[test]
fn option_like_names_are_refused() {
    let mut agent = Agent::start();
    let r = agent.run("service", json!({"name": "--all", "state": "stopped"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("invalid service name"));
    let r = agent.run("user", json!({"name": "-r"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("invalid user name"));
    let r = agent.run("group", json!({"name": "-f"}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("invalid group name"));
}
