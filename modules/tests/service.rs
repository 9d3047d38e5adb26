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
    let r = agent.run(
        "systemd",
        json!({"name": NAME, "state": "stopped", "enabled": false, "daemon_reload": true, "daemon_reexec": true, "no_block": true, "force": true}),
    );
    assert!(!r.failed && r.outcome.changed, "{r:?}");
    assert!(!svc.running() && rc_links('S') == 0 && rc_links('K') > 0);
    assert!(!agent.run("systemd_service", json!({"name": NAME, "state": "stopped", "enabled": false})).outcome.changed);
    let r = agent.run("service_facts", json!({}));
    assert_eq!(r.outcome.values["ansible_facts"]["services"][NAME]["state"], "stopped");
    let r = agent.run("systemd", json!({"name": NAME, "masked": true}));
    assert!(r.failed && r.outcome.msg.unwrap().contains("not systemd"));
    // No systemd to reach with --user: an error, not a silent fall back to the init script.
    let r = agent.run("systemd", json!({"name": NAME, "state": "started", "scope": "user"}));
    assert!(r.failed && r.outcome.msg.clone().unwrap().contains("scope user/global needs systemd"), "{r:?}");
    assert!(!svc.running());
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
    let r = agent.run("systemd", json!({"name": NAME, "state": "started", "scope": "session"}));
    assert!(r.failed && r.outcome.msg.clone().unwrap().contains("unknown variant `session`"), "{r:?}");
    let r = agent.run("systemd", json!({"name": NAME, "no_block": "maybe"}));
    assert!(r.failed, "{r:?}");
    // daemon_reexec alone is a complete task (a no-op where PID 1 is not systemd).
    if !systemd_is_init() {
        let r = agent.run("systemd", json!({"daemon_reexec": true}));
        assert!(!r.failed && !r.outcome.changed, "{r:?}");
    }
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

/// The systemd path on a host whose PID 1 is not systemd: a fake `systemctl` on the
/// task's PATH records every argv, so the switches (`--user`, `--no-block`, `--force`)
/// are seen on each call the module makes, in order.
#[test]
fn systemctl_switches_on_every_call() {
    use modules::core::service::{Request, ServiceState};
    use modules::util::command::with_task_env;
    use modules::util::services::{Backend, Scope, Systemctl};

    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("argv.log");
    let fake = dir.path().join("systemctl");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho \"$*\" >> {}\ncase \"$*\" in *is-active*) echo inactive; exit 3;; *is-enabled*) echo disabled; exit 1;; esac\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap());
    let ctl = Systemctl { scope: Scope::User, no_block: true, force: true };
    let ctx = modules::Context { check_mode: false, diff: false };
    let r = with_task_env(vec![("PATH".into(), path.clone())], || {
        ctl.daemon("daemon-reexec")?;
        Request {
            backend: Backend::Systemd(ctl),
            name: "x.service",
            state: Some(ServiceState::Started),
            enabled: Some(true),
            pattern: None,
            sleep: None,
        }
        .apply(&ctx)
    })
    .unwrap();
    assert!(r.changed);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "--user --no-block --force daemon-reexec\n\
         --user --no-block --force show x.service --property=LoadState\n\
         --user --no-block --force is-enabled x.service\n\
         --user --no-block --force enable x.service\n\
         --user --no-block --force is-active x.service\n\
         --user --no-block --force start x.service\n"
    );
    // The default (system scope, blocking, no force) adds no switch at all.
    assert_eq!(Systemctl::default().argv(&["start", "x"]), ["systemctl", "start", "x"]);
    assert_eq!(Systemctl { scope: Scope::Global, ..Default::default() }.argv(&["enable", "x"]), ["systemctl", "--global", "enable", "x"]);
}
