//! A play's tasks in the order they run, each with the blocks around it.

use crate::playbook::{Block, Item, Play, Task};

/// Which part of a play a task is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    PreTasks,
    Roles,
    Tasks,
    PostTasks,
    Handlers,
}

/// Where a task sits inside blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockPart {
    Block,
    Rescue,
    Always,
}

/// A task with the chain of blocks that contain it (outermost first).
#[derive(Debug, Clone)]
pub struct FlatTask<'a> {
    pub task: &'a Task,
    pub blocks: Vec<(&'a Block, BlockPart)>,
    pub section: Section,
}

impl FlatTask<'_> {
    /// The `vars:` of the enclosing blocks, outermost first.
    pub fn block_vars(&self) -> Vec<&crate::playbook::Vars> {
        self.blocks.iter().map(|(b, _)| &b.vars).collect()
    }
}

/// Flatten items depth-first: block, then rescue, then always.
pub fn flatten<'a>(items: &'a [Item], section: Section, blocks: &mut Vec<(&'a Block, BlockPart)>, out: &mut Vec<FlatTask<'a>>) {
    for item in items {
        match item {
            Item::Task(t) => out.push(FlatTask { task: t, blocks: blocks.clone(), section }),
            Item::Block(b) => {
                for (part, list) in [(BlockPart::Block, &b.block), (BlockPart::Rescue, &b.rescue), (BlockPart::Always, &b.always)] {
                    blocks.push((b, part));
                    flatten(list, section, blocks, out);
                    blocks.pop();
                }
            }
        }
    }
}

/// Every task of a play in run order (handlers last).
pub fn play_tasks(play: &Play, with_handlers: bool) -> Vec<FlatTask<'_>> {
    let mut out = Vec::new();
    let mut stack = Vec::new();
    flatten(&play.pre_tasks, Section::PreTasks, &mut stack, &mut out);
    for role in &play.roles {
        flatten(&role.tasks, Section::Roles, &mut stack, &mut out);
    }
    flatten(&play.tasks, Section::Tasks, &mut stack, &mut out);
    flatten(&play.post_tasks, Section::PostTasks, &mut stack, &mut out);
    if with_handlers {
        flatten(&play.handlers, Section::Handlers, &mut stack, &mut out);
    }
    out
}
