//! Keywords that inherit from play to block to task: the innermost value wins.

use serde_json::Value;

use super::rtree::Chain;
use crate::playbook::{Inherited, Play, Task};

/// The effective value of an inherited keyword for `task`.
pub fn resolve<'a>(
    play: &'a Play,
    chain: &'a Chain,
    task: &'a Task,
    pick: impl Fn(&'a Inherited) -> Option<&'a Value>,
) -> Option<&'a Value> {
    pick(&task.inherited).or_else(|| chain.iter().rev().find_map(|b| pick(&b.inherited))).or_else(|| pick(&play.inherited))
}

/// Tags of a task: its own plus every enclosing block's and the play's.
pub fn tags(play: &Play, chain: &Chain, task: &Task) -> Vec<String> {
    let mut t: Vec<String> = play.inherited.tags.clone();
    for b in chain.iter() {
        t.extend(b.inherited.tags.iter().cloned());
    }
    t.extend(task.inherited.tags.iter().cloned());
    t
}

/// Ansible's tag selection: `always` runs unless skipped by name, `never`
/// only when asked for, `all` selects everything not `never`, `tagged`/`untagged`.
pub fn selected(task_tags: &[String], only: &[String], skip: &[String]) -> bool {
    let has = |t: &str| task_tags.iter().any(|x| x == t);
    let skip_hit = skip.iter().any(|s| {
        has(s) || (s == "all" && !has("always")) || (s == "tagged" && !task_tags.is_empty()) || (s == "untagged" && task_tags.is_empty())
    });
    if skip_hit {
        return false;
    }
    if only.is_empty() || only.iter().any(|o| o == "all") {
        return !has("never") || only.iter().any(|o| has(o) && o != "all");
    }
    if has("always") {
        return true;
    }
    only.iter().any(|o| has(o) || (o == "tagged" && !task_tags.is_empty()) || (o == "untagged" && task_tags.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::selected;

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tag_selection_as_ansible() {
        assert!(selected(&v(&["a"]), &[], &[]));
        assert!(!selected(&v(&["never"]), &[], &[]));
        assert!(selected(&v(&["never", "debug"]), &v(&["debug"]), &[]));
        assert!(selected(&v(&["always"]), &v(&["x"]), &[]));
        assert!(!selected(&v(&["always"]), &v(&["x"]), &v(&["always"])));
        assert!(!selected(&v(&["a"]), &v(&["b"]), &[]));
        assert!(!selected(&v(&["a", "b"]), &[], &v(&["b"])));
        assert!(selected(&v(&[]), &v(&["untagged"]), &[]));
    }
}
