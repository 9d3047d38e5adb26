//! Unified diffs for `--diff`.

use similar::TextDiff;

/// A unified diff of before/after with Ansible-like headers.
pub fn unified(before: &str, after: &str, before_header: &str, after_header: &str) -> String {
    TextDiff::from_lines(before, after).unified_diff().context_radius(3).header(before_header, after_header).to_string()
}
