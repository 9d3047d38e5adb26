//! The keywords Ansible accepts at each level. Anything else on a play is an
//! error; anything else on a task must be the task's one module.

/// Keywords shared by plays, roles, blocks and tasks (Ansible's `Base`,
/// `Become`, `Conditional`, `Taggable`, `CollectionSearch`).
pub const COMMON: &[&str] = &[
    "name",
    "any_errors_fatal",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "check_mode",
    "collections",
    "connection",
    "debugger",
    "diff",
    "environment",
    "ignore_errors",
    "ignore_unreachable",
    "module_defaults",
    "no_log",
    "port",
    "remote_user",
    "run_once",
    "tags",
    "throttle",
    "timeout",
    "vars",
];

pub const PLAY: &[&str] = &[
    "hosts",
    "fact_path",
    "force_handlers",
    "gather_facts",
    "gather_subset",
    "gather_timeout",
    "handlers",
    "max_fail_percentage",
    "order",
    "post_tasks",
    "pre_tasks",
    "roles",
    "serial",
    "strategy",
    "tasks",
    "vars_files",
    "vars_prompt",
];

/// Task-only keywords (besides [`COMMON`] and the module key).
pub const TASK: &[&str] = &[
    "action",
    "args",
    "async",
    "changed_when",
    "delay",
    "delegate_facts",
    "delegate_to",
    "failed_when",
    "listen",
    "local_action",
    "loop",
    "loop_control",
    "notify",
    "poll",
    "register",
    "retries",
    "until",
    "when",
];

pub const BLOCK: &[&str] = &["block", "rescue", "always", "when", "delegate_to", "delegate_facts", "notify"];

/// Keys of a role entry in a play's `roles:` list or in `meta/main.yml` dependencies.
pub const ROLE_ENTRY: &[&str] = &["role", "name", "when", "delegate_to", "delegate_facts"];

pub const LOOP_CONTROL: &[&str] = &["loop_var", "index_var", "label", "pause", "extended", "extended_allitems", "break_when"];

/// `with_<lookup>` loops we support.
pub const WITH_LOOKUPS: &[&str] = &[
    "items",
    "list",
    "dict",
    "nested",
    "cartesian",
    "together",
    "fileglob",
    "indexed_items",
    "sequence",
    "subelements",
    "flattened",
    "random_choice",
    "lines",
];

pub fn is_play_keyword(k: &str) -> bool {
    COMMON.contains(&k) || PLAY.contains(&k)
}

pub fn is_task_keyword(k: &str) -> bool {
    COMMON.contains(&k) || TASK.contains(&k) || k.strip_prefix("with_").is_some_and(|l| WITH_LOOKUPS.contains(&l))
}

pub fn is_block_keyword(k: &str) -> bool {
    COMMON.contains(&k) || BLOCK.contains(&k)
}

/// All keywords a task may carry, for "did you mean" hints.
pub fn task_keywords() -> impl Iterator<Item = &'static str> {
    COMMON.iter().chain(TASK.iter()).copied()
}
