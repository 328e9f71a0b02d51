//! Renders ended spans as indented trees, one per root: the console exporter prints
//! them with durations, `Captured::tree` returns them without (so tests can compare
//! them exactly).

use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::Duration;

/// Renders `spans` as trees: a span whose parent is not among them is a root. Roots,
/// and the children of each span, appear in start order. `with_timings` adds each
/// span's duration (left out where the text must be deterministic).
pub(crate) fn render_trees(spans: &[SpanData], with_timings: bool) -> String {
    let present: HashSet<SpanId> = spans.iter().map(|s| s.span_context.span_id()).collect();
    let mut children: HashMap<SpanId, Vec<&SpanData>> = HashMap::new();
    let mut roots = Vec::new();
    for span in spans {
        if present.contains(&span.parent_span_id) {
            children.entry(span.parent_span_id).or_default().push(span);
        } else {
            roots.push(span);
        }
    }
    for siblings in children.values_mut() {
        siblings.sort_by_key(|span| span.start_time);
    }
    roots.sort_by_key(|span| span.start_time);
    let tree = Tree {
        children,
        with_timings,
    };
    let mut out = String::new();
    for root in roots {
        tree.render(root, "", None, &mut out);
    }
    out
}

struct Tree<'a> {
    children: HashMap<SpanId, Vec<&'a SpanData>>,
    with_timings: bool,
}

impl Tree<'_> {
    /// `is_last` is `None` for a root, otherwise whether the span is its parent's
    /// last child (which decides the branch glyph and the indent of its children).
    fn render(&self, span: &SpanData, indent: &str, is_last: Option<bool>, out: &mut String) {
        let (branch, child_indent) = match is_last {
            None => ("", String::new()),
            Some(true) => ("└─ ", format!("{indent}   ")),
            Some(false) => ("├─ ", format!("{indent}│  ")),
        };
        out.push_str(indent);
        out.push_str(branch);
        describe(span, self.with_timings, out);
        out.push('\n');
        let children = self
            .children
            .get(&span.span_context.span_id())
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (index, child) in children.iter().enumerate() {
            let last = index + 1 == children.len();
            self.render(child, &child_indent, Some(last), out);
        }
    }
}

/// One span's line: name, kind, duration, status and its own attributes (the
/// `code.*` ones are left out: they repeat what the name says).
fn describe(span: &SpanData, with_timings: bool, out: &mut String) {
    out.push_str(&span.name);
    if let Some(kind) = kind_label(&span.span_kind) {
        let _ = write!(out, " ({kind})");
    }
    if with_timings {
        let elapsed = span
            .end_time
            .duration_since(span.start_time)
            .unwrap_or_default();
        let _ = write!(out, "  {}", format_duration(elapsed));
    }
    match &span.status {
        Status::Unset => {}
        Status::Ok => out.push_str("  [ok]"),
        Status::Error { description } if description.is_empty() => out.push_str("  [error]"),
        Status::Error { description } => {
            let _ = write!(out, "  [error: {description}]");
        }
    }
    let shown: Vec<&KeyValue> = span
        .attributes
        .iter()
        .filter(|kv| !kv.key.as_str().starts_with("code."))
        .collect();
    if !shown.is_empty() {
        out.push_str("  {");
        for (index, kv) in shown.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}=", kv.key);
            write_value(&kv.value, out);
        }
        out.push('}');
    }
}

fn kind_label(kind: &SpanKind) -> Option<&'static str> {
    match kind {
        SpanKind::Internal => None,
        SpanKind::Server => Some("server"),
        SpanKind::Client => Some("client"),
        SpanKind::Producer => Some("producer"),
        SpanKind::Consumer => Some("consumer"),
    }
}

/// Strings are quoted so that `"42"` and `42` read differently.
fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::String(text) => {
            let _ = write!(out, "{:?}", text.as_str());
        }
        Value::Array(Array::String(items)) => {
            let quoted: Vec<String> = items.iter().map(|s| format!("{:?}", s.as_str())).collect();
            let _ = write!(out, "[{}]", quoted.join(", "));
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

pub(crate) fn format_duration(elapsed: Duration) -> String {
    let micros = elapsed.as_secs_f64() * 1e6;
    if micros < 1_000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1_000_000.0 {
        format!("{:.2} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}
