//! The run-time form of a task list: shared (`Arc`) so that each host's
//! cursor can walk it, and so that lists included at run time
//! (`include_tasks`, `include_role`) live as long as a cursor needs them.

use std::sync::Arc;

use crate::playbook::{Block, Inherited, Item, Task, Vars};

/// What a block contributes to the tasks inside it: variables and keywords.
#[derive(Debug, Default)]
pub struct BlockCtx {
    pub vars: Vars,
    pub inherited: Inherited,
}

#[derive(Debug)]
pub struct RtBlock {
    pub ctx: Arc<BlockCtx>,
    pub block: Arc<Vec<RtItem>>,
    pub rescue: Arc<Vec<RtItem>>,
    pub always: Arc<Vec<RtItem>>,
}

#[derive(Debug, Clone)]
pub enum RtItem {
    Task(Arc<Task>),
    Block(Arc<RtBlock>),
}

/// The chain of blocks around a task, outermost first.
pub type Chain = Arc<Vec<Arc<BlockCtx>>>;

pub fn build(items: &[Item]) -> Arc<Vec<RtItem>> {
    Arc::new(items.iter().map(build_item).collect())
}

fn build_item(item: &Item) -> RtItem {
    match item {
        Item::Task(t) => RtItem::Task(Arc::new((**t).clone())),
        Item::Block(b) => RtItem::Block(Arc::new(build_block(b))),
    }
}

fn build_block(b: &Block) -> RtBlock {
    RtBlock {
        ctx: Arc::new(BlockCtx { vars: b.vars.clone(), inherited: b.inherited.clone() }),
        block: build(&b.block),
        rescue: build(&b.rescue),
        always: build(&b.always),
    }
}
