//! One host's position in a task list, with Ansible's block semantics:
//! a failure inside `block` runs `rescue` (the host is then rescued, not
//! failed), `always` runs in every case, and a failure that no rescue
//! handles fails the host after the `always` tasks ran.

use std::sync::Arc;

use super::rtree::{BlockCtx, Chain, RtBlock, RtItem};
use crate::playbook::Task;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Block,
    Rescue,
    Always,
}

enum Frame {
    /// A plain list (a section, or tasks included at run time).
    List { items: Arc<Vec<RtItem>>, idx: usize, chain: Chain },
    /// Inside a block; `pending_failure` when always runs after an unhandled failure.
    Block { block: Arc<RtBlock>, part: Part, idx: usize, chain: Chain, pending_failure: bool },
}

/// The next task for a host and the blocks around it.
#[derive(Clone)]
pub struct NextTask {
    pub task: Arc<Task>,
    pub chain: Chain,
}

/// What happened to a failure reported to the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    /// A `rescue:` section handles it: the host goes on.
    Rescued,
    /// No rescue: the host fails (after any `always:` tasks).
    Failed,
}

pub struct Cursor {
    stack: Vec<Frame>,
    /// Set once a failure reached the top: the host stops after pending `always` tasks.
    pub failed: bool,
}

impl Cursor {
    pub fn new(items: Arc<Vec<RtItem>>) -> Self {
        Cursor { stack: vec![Frame::List { items, idx: 0, chain: Arc::new(Vec::new()) }], failed: false }
    }

    /// Tasks included at run time run next, inside the including task's blocks plus `ctx`.
    pub fn push_included(&mut self, items: Arc<Vec<RtItem>>, chain: &Chain, ctx: Option<Arc<BlockCtx>>) {
        let mut chain = (**chain).clone();
        chain.extend(ctx);
        self.stack.push(Frame::List { items, idx: 0, chain: Arc::new(chain) });
    }

    pub fn next_task(&mut self) -> Option<NextTask> {
        loop {
            let top = self.stack.last_mut()?;
            let (list, idx, chain) = match top {
                Frame::List { items, idx, chain } => (items.clone(), idx, chain.clone()),
                Frame::Block { block, part, idx, chain, .. } => {
                    let list = match part {
                        Part::Block => block.block.clone(),
                        Part::Rescue => block.rescue.clone(),
                        Part::Always => block.always.clone(),
                    };
                    (list, idx, chain.clone())
                }
            };
            if *idx < list.len() {
                let item = list[*idx].clone();
                *idx += 1;
                match item {
                    RtItem::Task(task) => return Some(NextTask { task, chain }),
                    RtItem::Block(b) => {
                        let mut inner = (*chain).clone();
                        inner.push(b.ctx.clone());
                        self.stack.push(Frame::Block {
                            block: b,
                            part: Part::Block,
                            idx: 0,
                            chain: Arc::new(inner),
                            pending_failure: false,
                        });
                    }
                }
                continue;
            }
            // this list is done
            match self.stack.pop() {
                Some(Frame::Block { block, part: Part::Block | Part::Rescue, chain, pending_failure, .. }) => {
                    self.stack.push(Frame::Block { block, part: Part::Always, idx: 0, chain, pending_failure });
                }
                // `always` ran after an unhandled failure: the failure goes on outwards
                Some(Frame::Block { pending_failure: true, .. }) if self.unwind() == Unwind::Top => {
                    self.failed = true;
                    self.stack.clear();
                    return None;
                }
                _ => {}
            }
        }
    }

    /// The last task failed (and the failure is not ignored). `Rescued` when
    /// an enclosing block's `rescue:` will handle it (possibly after inner
    /// `always:` sections); the host is failed for good only when nothing does.
    pub fn task_failed(&mut self) -> FailureOutcome {
        let rescuable = self.stack.iter().any(|f| matches!(f, Frame::Block { part: Part::Block, block, .. } if !block.rescue.is_empty()));
        if self.unwind() == Unwind::Top {
            self.failed = true;
            self.stack.clear();
        }
        if rescuable {
            FailureOutcome::Rescued
        } else {
            FailureOutcome::Failed
        }
    }

    /// Route a failure to the innermost block: its rescue, else its always
    /// (with the failure pending), else outwards; `Top` when no block is left.
    fn unwind(&mut self) -> Unwind {
        while let Some(frame) = self.stack.pop() {
            match frame {
                Frame::List { .. } => continue,
                Frame::Block { block, part: Part::Block, chain, .. } if !block.rescue.is_empty() => {
                    self.stack.push(Frame::Block { block, part: Part::Rescue, idx: 0, chain, pending_failure: false });
                    return Unwind::Rescue;
                }
                Frame::Block { block, part: Part::Block | Part::Rescue, chain, .. } => {
                    self.stack.push(Frame::Block { block, part: Part::Always, idx: 0, chain, pending_failure: true });
                    return Unwind::Always;
                }
                Frame::Block { part: Part::Always, .. } => continue,
            }
        }
        Unwind::Top
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unwind {
    Rescue,
    Always,
    Top,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::{Block, Item};

    fn task(name: &str) -> Item {
        let src = crate::source::Source::new("t.yml", "x");
        let span = crate::source::Span::file(src);
        Item::Task(Box::new(Task {
            name: Some(name.into()),
            action: crate::playbook::Action { module: "debug".into(), args: Default::default(), arg_spans: vec![], span: span.clone() },
            span,
            inherited: Default::default(),
            vars: Default::default(),
            loop_: None,
            loop_control: Default::default(),
            register: None,
            notify: vec![],
            listen: vec![],
            changed_when: vec![],
            failed_when: vec![],
            until: vec![],
            retries: None,
            delay: None,
            delegate_facts: None,
            async_: None,
            poll: None,
            role: None,
        }))
    }

    fn block(b: Vec<Item>, r: Vec<Item>, a: Vec<Item>) -> Item {
        let src = crate::source::Source::new("t.yml", "x");
        Item::Block(Box::new(Block {
            name: None,
            span: crate::source::Span::file(src),
            vars: Default::default(),
            block: b,
            rescue: r,
            always: a,
            inherited: Default::default(),
        }))
    }

    /// Run a cursor, failing the tasks named in `fail`; returns (names run, host failed).
    fn run(items: Vec<Item>, fail: &[&str]) -> (Vec<String>, bool) {
        let mut c = Cursor::new(super::super::rtree::build(&items));
        let mut seen = Vec::new();
        while let Some(n) = c.next_task() {
            let name = n.task.name.clone().unwrap_or_default();
            seen.push(name.clone());
            if fail.contains(&name.as_str()) {
                c.task_failed();
            }
        }
        (seen, c.failed)
    }

    #[test]
    fn rescue_handles_a_failure_and_always_runs() {
        let items = vec![block(vec![task("a"), task("b"), task("c")], vec![task("r")], vec![task("al")]), task("after")];
        assert_eq!(run(items, &["b"]), (vec!["a", "b", "r", "al", "after"].into_iter().map(String::from).collect(), false));
    }

    #[test]
    fn without_rescue_always_runs_then_the_host_fails() {
        let items = vec![block(vec![task("a"), task("b")], vec![], vec![task("al")]), task("after")];
        assert_eq!(run(items, &["a"]), (vec!["a".to_string(), "al".into()], true));
    }

    #[test]
    fn failure_in_rescue_fails_after_always() {
        let items = vec![block(vec![task("a")], vec![task("r")], vec![task("al")]), task("after")];
        assert_eq!(run(items, &["a", "r"]), (vec!["a".to_string(), "r".into(), "al".into()], true));
    }

    #[test]
    fn nested_block_failure_goes_to_outer_rescue() {
        let inner = block(vec![task("i1"), task("i2")], vec![], vec![task("ial")]);
        let items = vec![block(vec![inner, task("o2")], vec![task("or")], vec![]), task("after")];
        assert_eq!(run(items, &["i1"]), (vec!["i1", "ial", "or", "after"].into_iter().map(String::from).collect(), false));
    }

    #[test]
    fn plain_failure_stops_the_host() {
        assert_eq!(run(vec![task("a"), task("b")], &["a"]), (vec!["a".to_string()], true));
    }
}
