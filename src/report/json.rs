//! The versioned JSON report (`--format json`): one document, keys sorted.

use serde_json::{Value, json};

use crate::plan::Plan;

/// Report version. Fields may be added; existing ones keep their meaning.
pub const VERSION: u64 = 1;

/// The report for `diff`, `apply` and `check`.
pub fn report(plan: &Plan) -> String {
    let v = json!({
        "version": VERSION,
        "changes": plan.changes,
        "builds": plan.builds,
        "diagnostics": plan.diagnostics,
        "summary": plan.summary,
    });
    finish(v)
}

/// The report for `triggers`.
pub fn triggers(plan: &Plan) -> String {
    let v = json!({
        "version": VERSION,
        "triggers": plan.rows,
        "diagnostics": plan.diagnostics,
        "summary": plan.summary,
    });
    finish(v)
}

/// A report document: keys sorted, pretty, with a final newline.
pub fn document(v: Value) -> String {
    finish(v)
}

fn finish(v: Value) -> String {
    // serde_json's map is ordered by key, so a round trip through `Value` sorts
    // every object's keys.
    let sorted: Value = serde_json::from_str(&v.to_string()).unwrap_or(v);
    let mut s = serde_json::to_string_pretty(&sorted).unwrap_or_default();
    s.push('\n');
    s
}
