//! Running playbooks on hosts: plays in order, `serial` batches, the
//! `linear` and `free` strategies, handlers, and the PLAY RECAP.
//!
//! Every task is a request on the host's one persistent agent channel (see
//! `crate::connection`); many hosts run at once, up to `forks`.

mod async_task;
pub mod controller;
pub mod cursor;
pub mod exec;
pub mod host;
pub mod keywords;
pub mod result;
pub mod rtree;
pub mod serial;
mod transfer;
mod vars_dir;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::stream::{self, StreamExt};
use serde_json::Value;

use crate::connection::{ConnOptions, Pool};
use crate::diag::{Diagnostic, Diagnostics};
use crate::engine::hosts::play_hosts;
use crate::engine::scope::HostvarsTable;
use crate::engine::static_walk::load_vars_files;
use crate::engine::{PlayScope, RunConfig};
use crate::output::Output;
use crate::output::Progress;
use crate::playbook::{LoadOptions, Loader, Play, Playbook, Task};
use cursor::{Cursor, FailureOutcome, NextTask};
use exec::{Effect, Exec};
use host::HostRun;
use result::{HostResult, HostStats, Status};
use rtree::RtItem;

/// What the scheduler shares with every task execution.
pub struct Shared {
    pub pool: Pool,
    pub conn: ConnOptions,
    pub load: LoadOptions,
    /// `-c`: the connection for hosts whose variables do not set `ansible_connection`.
    pub default_connection: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub forks: usize,
    pub limit: Option<String>,
    pub force_handlers: bool,
    pub load: LoadOptions,
    pub conn: ConnOptions,
    /// `-c`/`--connection` (`local` or `ssh`).
    pub default_connection: Option<String>,
    /// Draw the live progress line on stderr (text output on a terminal).
    pub live_progress: bool,
    /// `--start-at-task`: skip every task before the first one with this name (a glob).
    pub start_at_task: Option<String>,
}

/// The end of a run.
#[derive(Debug, Default)]
pub struct RunSummary {
    pub stats: BTreeMap<String, HostStats>,
}

impl RunSummary {
    /// ansible-playbook's exit codes: 0 ok, 2 a host failed, 4 a host unreachable.
    pub fn exit_code(&self) -> u8 {
        if self.stats.values().any(|s| s.unreachable > 0) {
            4
        } else if self.stats.values().any(|s| s.failed > 0) {
            2
        } else {
            0
        }
    }
}

/// Load every playbook first: nothing touches a host unless all of them load cleanly.
pub fn load_all(playbooks: &[PathBuf], load: &LoadOptions) -> Result<Vec<Playbook>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut out = Vec::new();
    for p in playbooks {
        let mut loader = Loader::new(load.clone());
        let pb = loader.load_playbook(p);
        diags.extend(loader.diags);
        out.push(pb);
    }
    diags.into_result(out)
}

pub struct Runner {
    config: Arc<RunConfig>,
    opts: RunOptions,
    shared: Shared,
    output: Mutex<Box<dyn Output>>,
    stats: Mutex<BTreeMap<String, HostStats>>,
    /// Hosts that failed or were unreachable: later plays skip them, as Ansible.
    dead: Mutex<HashSet<String>>,
    /// `--start-at-task` until its task is reached; then `None`.
    start_at: Mutex<Option<StartAt>>,
}

impl Runner {
    pub fn new(config: RunConfig, opts: RunOptions, output: Box<dyn Output>) -> Self {
        let shared = Shared {
            pool: Pool::new(opts.conn.clone()),
            conn: opts.conn.clone(),
            load: opts.load.clone(),
            default_connection: opts.default_connection.clone(),
        };
        let start_at = Mutex::new(opts.start_at_task.as_deref().map(StartAt::new));
        Runner {
            config: Arc::new(config),
            opts,
            shared,
            output: Mutex::new(output),
            stats: Mutex::new(BTreeMap::new()),
            dead: Mutex::new(HashSet::new()),
            start_at,
        }
    }

    /// Whether `next` runs at all: `--tags`/`--skip-tags`, and `--start-at-task`
    /// (matched against the task's name, with or without its role prefix, as a glob).
    fn selected(&self, ps: &PlayScope<'_>, next: &NextTask) -> bool {
        let mut start_at = self.start_at.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(wanted) = start_at.as_ref() {
            let task = &next.task;
            if !wanted.matches(&task.display_name()) && !wanted.matches(task.name.as_deref().unwrap_or_default()) {
                return false;
            }
            *start_at = None;
        }
        let tags = keywords::tags(ps.play, &next.chain, &next.task);
        keywords::selected(&tags, &self.config.tags, &self.config.skip_tags)
    }

    /// A play name as Ansible prints it: templated with the play's vars and
    /// the extra vars; as written when that fails.
    fn shown_play_name(&self, play: &Play) -> String {
        let name = play.display_name();
        if !name.contains("{{") {
            return name;
        }
        let scope = crate::engine::hosts::play_level_scope(play, &self.config.extra_vars);
        self.config.templar.render_str(&name, &scope).unwrap_or(name)
    }

    /// A task name as ansible-core 2.19 prints it: templated with the first
    /// host's variables (role params and defaults, group vars, play vars…);
    /// as written when that fails.
    fn shown_task_name(&self, ps: &PlayScope<'_>, next: &NextTask, host: Option<&HostRun>) -> String {
        let name = next.task.display_name();
        let Some(hr) = host.filter(|_| name.contains("{{")) else { return name };
        let block_vars: Vec<&crate::vars::Vars> = next.chain.iter().map(|b| &b.vars).collect();
        let scope = ps.scope(&hr.name, &hr.state, Some(&next.task), &block_vars, &hr.inventory_vars, &serde_json::Map::new());
        self.config.templar.render_str(&name, &scope).unwrap_or(name)
    }

    fn out(&self) -> std::sync::MutexGuard<'_, Box<dyn Output>> {
        self.output.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, r: &HostResult) {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        stats.entry(r.host.clone()).or_default().record(r);
    }

    pub async fn run(&self, playbooks: &[Playbook]) -> RunSummary {
        let start = Instant::now();
        for pb in playbooks {
            for play in &pb.plays {
                if self.run_play(play).await == PlayEnd::Abort {
                    break;
                }
            }
        }
        self.shared.pool.close_all().await;
        let stats = self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone();
        self.out().recap(&stats, start.elapsed());
        RunSummary { stats }
    }

    async fn run_play(&self, play: &Play) -> PlayEnd {
        let shown = self.shown_play_name(play);
        self.out().play_start(&shown);
        let hosts =
            match play_hosts(play, &self.config.inventory, &self.config.templar, &self.config.extra_vars, self.opts.limit.as_deref()) {
                Ok(h) => h,
                Err(d) => {
                    self.out().warning(&d.message);
                    return PlayEnd::Continue;
                }
            };
        let dead = self.dead.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let hosts: Vec<String> = hosts.into_iter().filter(|h| !dead.contains(h)).collect();
        if hosts.is_empty() {
            self.out().warning("Could not match supplied host pattern, ignoring: no hosts matched");
            return PlayEnd::Continue;
        }
        for h in &hosts {
            self.stats.lock().unwrap_or_else(|e| e.into_inner()).entry(h.clone()).or_default();
        }
        let batches = match serial::batches(&hosts, play.serial.as_ref()) {
            Ok(b) => b,
            Err(msg) => {
                self.out().warning(&msg);
                return PlayEnd::Abort;
            }
        };
        let hostvars = HostvarsTable::new(self.config.inventory.clone());
        for batch in batches {
            let ps = PlayScope::new(play, &self.config, batch.clone(), hostvars.clone());
            if self.run_batch(&ps, &batch).await == PlayEnd::Abort {
                return PlayEnd::Abort;
            }
        }
        PlayEnd::Continue
    }

    async fn run_batch(&self, ps: &PlayScope<'_>, batch: &[String]) -> PlayEnd {
        let play = ps.play;
        let mut hosts: BTreeMap<String, HostRun> = BTreeMap::new();
        let order: Vec<String> = batch.to_vec();
        for name in batch {
            let mut hr = HostRun::new(name, self.config.inventory.host_vars(name));
            for loaded in load_vars_files(ps, name, &hr.inventory_vars, &hr.state) {
                match loaded {
                    Ok(v) => hr.state.vars_files.extend(v),
                    Err(d) => {
                        let mut m = serde_json::Map::new();
                        m.insert("failed".into(), true.into());
                        m.insert("msg".into(), d.to_string().into());
                        let r = HostResult::new(name, Status::Failed, m);
                        self.record(&r);
                        self.out().host_result(&r);
                        hr.failed = true;
                    }
                }
            }
            hosts.insert(name.clone(), hr);
        }
        let mut handlers = rtree::build(&play.handlers);
        let mut role_tasks = Vec::new();
        for r in &play.roles {
            role_tasks.extend(r.tasks.iter().cloned());
        }
        role_tasks.extend(play.tasks.iter().cloned());
        let sections = [rtree::build(&play.pre_tasks), rtree::build(&role_tasks), rtree::build(&play.post_tasks)];
        let strategy = play.strategy.as_ref().and_then(Value::as_str).unwrap_or("linear").to_string();
        for items in sections {
            let end = self.run_section(ps, &mut hosts, &order, items, &mut handlers, &strategy).await;
            let end2 = self.flush_handlers(ps, &mut hosts, &order, &handlers).await;
            if end == PlayEnd::Abort || end2 == PlayEnd::Abort {
                self.mark_dead(&hosts);
                return PlayEnd::Abort;
            }
            if end == PlayEnd::EndPlay {
                break;
            }
        }
        self.mark_dead(&hosts);
        // A batch in which every host failed ends the playbook, as ansible-playbook does.
        if !hosts.is_empty() && hosts.values().all(|h| h.failed || h.unreachable) {
            return PlayEnd::Abort;
        }
        PlayEnd::Continue
    }

    fn mark_dead(&self, hosts: &BTreeMap<String, HostRun>) {
        let mut dead = self.dead.lock().unwrap_or_else(|e| e.into_inner());
        for h in hosts.values().filter(|h| h.failed || h.unreachable) {
            dead.insert(h.name.clone());
        }
    }

    /// Run one section (pre_tasks, roles + tasks, post_tasks) on every active host.
    async fn run_section(
        &self,
        ps: &PlayScope<'_>,
        hosts: &mut BTreeMap<String, HostRun>,
        order: &[String],
        items: Arc<Vec<RtItem>>,
        handlers: &mut Arc<Vec<RtItem>>,
        strategy: &str,
    ) -> PlayEnd {
        let mut cursors: HashMap<String, Cursor> =
            order.iter().filter(|h| hosts.get(*h).is_some_and(HostRun::active)).map(|h| (h.clone(), Cursor::new(items.clone()))).collect();
        let free = strategy == "free";
        loop {
            // each active host's next task; hosts at the same task run it together
            let mut groups: Vec<(NextTask, Vec<String>)> = Vec::new();
            for name in order {
                let Some(cursor) = cursors.get_mut(name) else { continue };
                if !hosts.get(name).is_some_and(HostRun::active) {
                    continue;
                }
                let Some(next) = cursor.next_task() else {
                    if cursor.failed {
                        if let Some(hr) = hosts.get_mut(name) {
                            hr.failed = true;
                        }
                    }
                    continue;
                };
                match groups.iter_mut().find(|(t, _)| !free && same_task(t, &next)) {
                    Some((_, hs)) => hs.push(name.clone()),
                    None => groups.push((next, vec![name.clone()])),
                }
            }
            if groups.is_empty() {
                return PlayEnd::Continue;
            }
            // Tasks not selected are passed over (their cursors have moved on).
            groups.retain(|(next, _)| self.selected(ps, next));
            if groups.is_empty() {
                continue;
            }
            if free {
                // free: every host's next task at once, no lock-step between hosts
                let end = self.run_groups_free(ps, hosts, &mut cursors, groups, handlers).await;
                if end != PlayEnd::Continue {
                    return end;
                }
                continue;
            }
            for (next, group) in groups {
                let (end, flush) = self.run_group(ps, hosts, &mut cursors, &next, &group, handlers, false).await;
                if flush {
                    // meta: flush_handlers
                    let e = self.flush_handlers(ps, hosts, order, handlers).await;
                    if e != PlayEnd::Continue {
                        return e;
                    }
                }
                if end != PlayEnd::Continue {
                    return end;
                }
            }
        }
    }

    async fn run_groups_free(
        &self,
        ps: &PlayScope<'_>,
        hosts: &mut BTreeMap<String, HostRun>,
        cursors: &mut HashMap<String, Cursor>,
        groups: Vec<(NextTask, Vec<String>)>,
        handlers: &mut Arc<Vec<RtItem>>,
    ) -> PlayEnd {
        let exec = Exec { ps, shared: &self.shared, output: &self.output };
        let mut taken: Vec<(NextTask, HostRun)> = Vec::new();
        for (next, group) in groups {
            for h in group {
                if let Some(hr) = hosts.remove(&h) {
                    taken.push((next.clone(), hr));
                }
            }
        }
        let results: Vec<(NextTask, HostRun, exec::TaskOutcome)> = stream::iter(taken.into_iter().map(|(next, mut hr)| {
            let exec = &exec;
            async move {
                let out = exec.run(&mut hr, &next.task, &next.chain).await;
                (next, hr, out)
            }
        }))
        .buffer_unordered(self.opts.forks.max(1))
        .collect()
        .await;
        let mut end = PlayEnd::Continue;
        for (next, mut hr, outcome) in results {
            let shown = self.shown_task_name(ps, &next, Some(&hr));
            self.out().task_start(&shown, false);
            let e = self.settle(&mut hr, &next.task, cursors, outcome, handlers);
            if e != PlayEnd::Continue {
                end = e;
            }
            hosts.insert(hr.name.clone(), hr);
        }
        end
    }

    /// Run one task on a group of hosts, concurrently.
    #[allow(clippy::too_many_arguments)]
    async fn run_group(
        &self,
        ps: &PlayScope<'_>,
        hosts: &mut BTreeMap<String, HostRun>,
        cursors: &mut HashMap<String, Cursor>,
        next: &NextTask,
        group: &[String],
        handlers: &mut Arc<Vec<RtItem>>,
        is_handler: bool,
    ) -> (PlayEnd, bool) {
        let task = &next.task;
        let shown = self.shown_task_name(ps, next, group.first().and_then(|h| hosts.get(h)));
        self.out().task_start(&shown, is_handler);
        let exec = Exec { ps, shared: &self.shared, output: &self.output };
        let run_once = keywords::resolve(ps.play, &next.chain, task, |i| i.run_once.as_ref())
            .is_some_and(|v| matches!(v, Value::Bool(true)) || v.as_str().and_then(modules::args::ansible_bool) == Some(true));
        let runners: Vec<String> = if run_once { group.iter().take(1).cloned().collect() } else { group.to_vec() };
        let mut taken: Vec<HostRun> = runners.iter().filter_map(|h| hosts.remove(h)).collect();
        // Only drawn on a terminal; otherwise no per-host bookkeeping at all.
        let progress = self.opts.live_progress.then(|| Progress::new(&runners));
        let line = progress.as_ref().map(Progress::draw);
        let mut outcomes: Vec<(HostRun, exec::TaskOutcome)> = stream::iter(taken.drain(..).map(|mut hr| {
            let exec = &exec;
            let progress = progress.as_ref();
            async move {
                let out = exec.run(&mut hr, task, &next.chain).await;
                if let Some(p) = progress {
                    p.done(&hr.name);
                }
                (hr, out)
            }
        }))
        .buffer_unordered(self.opts.forks.max(1))
        .collect()
        .await;
        drop(line);
        // report in inventory order, as a linear run reads best
        outcomes.sort_by_key(|(hr, _)| group.iter().position(|g| *g == hr.name));
        if run_once {
            // the other hosts get the same result (and registered value), as Ansible
            let copies: Vec<(String, exec::TaskOutcome)> = outcomes
                .first()
                .map(|(_, first)| {
                    group
                        .iter()
                        .skip(1)
                        .map(|other| {
                            let mut r = first.result.clone();
                            r.host = other.clone();
                            (other.clone(), exec::TaskOutcome { result: r, effect: first.effect.clone() })
                        })
                        .collect()
                })
                .unwrap_or_default();
            for (other, outcome) in copies {
                if let Some(mut hr) = hosts.remove(&other) {
                    if let Some(reg) = &task.register {
                        hr.state.facts.insert(reg.clone(), Value::Object(outcome.result.result.clone()));
                    }
                    if outcome.result.status == Status::Changed {
                        for n in &task.notify {
                            hr.notify(n);
                        }
                    }
                    outcomes.push((hr, outcome));
                }
            }
        }
        share_included_files(&mut outcomes);
        let mut end = PlayEnd::Continue;
        let mut failed_now = 0usize;
        let mut flush = false;
        for (mut hr, outcome) in outcomes {
            let was_active = hr.active();
            if matches!(outcome.effect, Effect::FlushHandlers) {
                flush = true;
            }
            let e = self.settle(&mut hr, task, cursors, outcome, handlers);
            if e != PlayEnd::Continue {
                end = e;
            }
            if was_active && !hr.active() && !hr.ended {
                failed_now += 1;
            }
            hosts.insert(hr.name.clone(), hr);
        }
        if failed_now > 0 && end == PlayEnd::Continue {
            end = self.check_fail_limits(ps, &next.chain, task, hosts);
        }
        (end, flush && !is_handler)
    }

    /// Record a result, move the host's cursor, apply the task's effect.
    fn settle(
        &self,
        hr: &mut HostRun,
        task: &Task,
        cursors: &mut HashMap<String, Cursor>,
        mut outcome: exec::TaskOutcome,
        handlers: &mut Arc<Vec<RtItem>>,
    ) -> PlayEnd {
        let r = &mut outcome.result;
        let failing = matches!(r.status, Status::Failed | Status::Unreachable) && !r.ignored;
        if failing {
            let cursor = cursors.get_mut(&hr.name);
            let fate = match (r.status, cursor) {
                (Status::Unreachable, _) => None,
                (_, Some(c)) => Some((c.task_failed(), c.failed)),
                (_, None) => Some((FailureOutcome::Failed, true)),
            };
            match fate {
                None => hr.unreachable = true,
                Some((outcome, final_failure)) => {
                    r.rescued = outcome == FailureOutcome::Rescued;
                    if r.rescued {
                        // what the rescue section sees, as in Ansible
                        hr.state.facts.insert("ansible_failed_result".into(), Value::Object(r.result.clone()));
                        let failed_task = serde_json::json!({
                            "name": task.name.clone().unwrap_or_default(),
                            "action": task.action.module,
                            "args": task.action.args,
                        });
                        hr.state.facts.insert("ansible_failed_task".into(), failed_task);
                    }
                    // a failed host still runs its pending `always:` tasks
                    hr.failed = final_failure;
                }
            }
        }
        if !r.silent {
            self.record(r);
            self.out().host_result(r);
        }
        match outcome.effect {
            Effect::Include { items, ctx, handlers: extra, .. } => {
                if let Some(c) = cursors.get_mut(&hr.name) {
                    c.push_included(items, &Arc::new(Vec::new()), ctx);
                }
                if !extra.is_empty() {
                    let mut all = (**handlers).clone();
                    all.extend(extra.iter().cloned());
                    *handlers = Arc::new(all);
                }
                PlayEnd::Continue
            }
            Effect::EndHost => {
                hr.ended = true;
                PlayEnd::Continue
            }
            Effect::EndPlay => PlayEnd::EndPlay,
            Effect::EndBatch => PlayEnd::EndPlay,
            Effect::None | Effect::FlushHandlers => PlayEnd::Continue,
        }
    }

    /// `any_errors_fatal` and `max_fail_percentage` after a task.
    fn check_fail_limits(
        &self,
        ps: &PlayScope<'_>,
        chain: &rtree::Chain,
        task: &crate::playbook::Task,
        hosts: &BTreeMap<String, HostRun>,
    ) -> PlayEnd {
        let fatal = keywords::resolve(ps.play, chain, task, |i| i.any_errors_fatal.as_ref())
            .is_some_and(|v| v == &Value::Bool(true) || v.as_str().and_then(modules::args::ansible_bool) == Some(true));
        if fatal {
            self.out().warning("any_errors_fatal: a host failed, stopping the play for every host");
            return PlayEnd::Abort;
        }
        if let Some(pct) =
            ps.play.max_fail_percentage.as_ref().and_then(|v| v.as_f64().or_else(|| v.as_str()?.trim_end_matches('%').parse().ok()))
        {
            let total = hosts.len().max(1) as f64;
            let failed = hosts.values().filter(|h| h.failed || h.unreachable).count() as f64;
            if failed / total * 100.0 > pct {
                self.out().warning(&format!("max_fail_percentage {pct}% exceeded: stopping the play"));
                return PlayEnd::Abort;
            }
        }
        PlayEnd::Continue
    }

    /// Run notified handlers, each once per host that notified it, in the order they are defined.
    async fn flush_handlers(
        &self,
        ps: &PlayScope<'_>,
        hosts: &mut BTreeMap<String, HostRun>,
        order: &[String],
        handlers: &Arc<Vec<RtItem>>,
    ) -> PlayEnd {
        let mut cursor_all = Cursor::new(handlers.clone());
        let mut list = Vec::new();
        while let Some(n) = cursor_all.next_task() {
            list.push(n);
        }
        let mut consumed: HashMap<String, std::collections::HashSet<String>> = HashMap::new();
        // The same handler listed twice (a role included once per loop item) runs once per host.
        let mut ran: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
        for next in list {
            let task = &next.task;
            let at = task.action.span.to_string();
            let mut names = vec![task.name.clone().unwrap_or_default()];
            if let Some(role) = &task.role {
                names.push(format!("{} : {}", role.name, task.name.clone().unwrap_or_default()));
            }
            names.extend(task.listen.iter().cloned());
            let group: Vec<String> = order
                .iter()
                .filter(|h| {
                    hosts.get(*h).is_some_and(|hr| {
                        (hr.active() || (self.opts.force_handlers && !hr.unreachable)) && hr.notified.iter().any(|n| names.contains(n))
                    }) && !ran.contains(&((*h).clone(), at.clone()))
                })
                .cloned()
                .collect();
            if group.is_empty() {
                continue;
            }
            // A notification stays pending until the flush ends: every handler with that name or `listen` topic runs.
            for h in &group {
                if let Some(hr) = hosts.get(h) {
                    let matched = hr.notified.iter().filter(|n| names.contains(n)).cloned();
                    consumed.entry(h.clone()).or_default().extend(matched);
                }
                ran.insert((h.clone(), at.clone()));
            }
            let mut cursors: HashMap<String, Cursor> = HashMap::new();
            let mut no_more = handlers.clone();
            let (end, _) = self.run_group(ps, hosts, &mut cursors, &next, &group, &mut no_more, true).await;
            if end != PlayEnd::Continue {
                return end;
            }
        }
        for (h, names) in consumed {
            if let Some(hr) = hosts.get_mut(&h) {
                hr.notified.retain(|n| !names.contains(n));
            }
        }
        PlayEnd::Continue
    }
}

/// Hosts that included the same file (or role) from the same task get the
/// very same task list, so that they run its tasks together, as Ansible's
/// linear strategy does. A looped include stays per host.
fn share_included_files(outcomes: &mut [(HostRun, exec::TaskOutcome)]) {
    type Included = (String, Arc<Vec<RtItem>>, Option<Arc<rtree::BlockCtx>>);
    let mut first: Vec<Included> = Vec::new();
    for (_, outcome) in outcomes.iter_mut() {
        let Effect::Include { items, ctx, label, .. } = &mut outcome.effect else { continue };
        if label.is_empty() {
            continue;
        }
        match first.iter().find(|(l, ..)| l == label) {
            Some((_, i, c)) => {
                *items = i.clone();
                *ctx = c.clone();
            }
            None => first.push((label.clone(), items.clone(), ctx.clone())),
        }
    }
}

/// The same task inside the same blocks (each host's cursor has its own chain list).
/// `--start-at-task`: a task name, matched as is or as a glob (compiled once).
struct StartAt {
    name: String,
    glob: Option<glob::Pattern>,
}

impl StartAt {
    fn new(name: &str) -> StartAt {
        StartAt { name: name.to_string(), glob: glob::Pattern::new(name).ok() }
    }

    fn matches(&self, task_name: &str) -> bool {
        task_name == self.name || self.glob.as_ref().is_some_and(|g| g.matches(task_name))
    }
}

fn same_task(a: &NextTask, b: &NextTask) -> bool {
    Arc::ptr_eq(&a.task, &b.task) && a.chain.len() == b.chain.len() && a.chain.iter().zip(b.chain.iter()).all(|(x, y)| Arc::ptr_eq(x, y))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PlayEnd {
    Continue,
    EndPlay,
    Abort,
}

/// Run playbooks: load, then execute, printing to `output`.
pub async fn run_playbooks(
    playbooks: &[PathBuf],
    config: RunConfig,
    opts: RunOptions,
    output: Box<dyn Output>,
) -> Result<RunSummary, Diagnostics> {
    let loaded = load_all(playbooks, &opts.load)?;
    if loaded.iter().all(|pb| pb.plays.is_empty()) {
        return Err(Diagnostic::error("no plays to run").into());
    }
    let runner = Runner::new(config, opts, output);
    Ok(runner.run(&loaded).await)
}
