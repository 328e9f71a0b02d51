//! Renders ended spans as trees, one per root. Two styles: the waterfall the
//! console prints (aligned durations, a bar placed and sized by time, colour on a
//! terminal), and the plain tree `Captured::tree` returns (no timings, so tests can
//! compare it exactly).

use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};
use unicode_width::UnicodeWidthStr as _;

/// How spans are rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// One line per span: tree, name, status, attributes.
    #[cfg_attr(
        not(feature = "testing"),
        allow(dead_code, reason = "used by testing only")
    )]
    Plain,
    /// The console waterfall; `colour` adds ANSI colours.
    #[cfg_attr(
        not(feature = "console"),
        allow(dead_code, reason = "used by the console only")
    )]
    Waterfall { colour: bool },
}

/// Cells of the waterfall bar that stand for a whole trace's duration.
const BAR_WIDTH: usize = 32;

/// ANSI escapes used by the coloured waterfall.
const RED: &str = "\x1b[31m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Renders `spans` as trees: a span whose parent is not among them is a root. Roots,
/// and the children of each span, appear in start order.
pub(crate) fn render_trees(spans: &[SpanData], style: Style) -> String {
    let rows = rows(spans);
    match style {
        Style::Plain => rows.iter().fold(String::new(), |mut out, row| {
            out.push_str(&row.label());
            push_outcome(row.span, false, &mut out);
            // Linked ids are random: the plain tree, compared exactly in tests,
            // counts the links.
            let links = row.span.links.len() as u64 + u64::from(row.span.links.dropped_count);
            if links > 0 {
                let _ = write!(out, "  links: {links}");
            }
            out.push('\n');
            out
        }),
        Style::Waterfall { colour } => waterfall(&rows, colour),
    }
}

/// One line of a rendered tree: the span and the branch glyphs before its name.
struct Row<'a> {
    prefix: String,
    span: &'a SpanData,
}

impl Row<'_> {
    /// Tree glyphs, name and (when not internal) kind.
    fn label(&self) -> String {
        let mut label = format!("{}{}", self.prefix, printable(&self.span.name));
        if let Some(kind) = kind_label(&self.span.span_kind) {
            let _ = write!(label, " ({kind})");
        }
        label
    }
}

/// The rows of every tree in `spans`, in display order.
fn rows(spans: &[SpanData]) -> Vec<Row<'_>> {
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
    let mut rows = Vec::with_capacity(spans.len());
    for root in roots {
        push_tree(root, &children, &mut rows);
    }
    rows
}

/// Levels of nesting drawn as indentation; deeper spans keep that indentation and
/// say their depth, so a deep recursion renders in linear space.
const MAX_DRAWN_DEPTH: usize = 32;

/// Adds the tree under `root`, depth first, children in start order. Iterative: a
/// recursion thousands of calls deep renders without that many frames on the
/// export thread's stack.
fn push_tree<'a>(
    root: &'a SpanData,
    children: &HashMap<SpanId, Vec<&'a SpanData>>,
    rows: &mut Vec<Row<'a>>,
) {
    // A span to draw, the indent of its line, whether it is its parent's last
    // child (`None` for the root), and its depth.
    let mut stack: Vec<(&SpanData, String, Option<bool>, usize)> =
        vec![(root, String::new(), None, 0)];
    while let Some((span, indent, is_last, depth)) = stack.pop() {
        let branch = match is_last {
            None => "",
            Some(true) => "└─ ",
            Some(false) => "├─ ",
        };
        let (prefix, child_indent) = if depth <= MAX_DRAWN_DEPTH {
            let child_indent = match is_last {
                None => String::new(),
                Some(true) => format!("{indent}   "),
                Some(false) => format!("{indent}│  "),
            };
            (format!("{indent}{branch}"), child_indent)
        } else {
            (format!("{indent}{branch}[depth {depth}] "), indent.clone())
        };
        rows.push(Row { prefix, span });
        let own = children
            .get(&span.span_context.span_id())
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (index, child) in own.iter().enumerate().rev() {
            stack.push((
                child,
                child_indent.clone(),
                Some(index + 1 == own.len()),
                depth + 1,
            ));
        }
    }
}

/// Columns labels are padded to at most: a longer one (a span named at run time
/// from a request's path) overflows its own line rather than pad every other.
const MAX_LABEL_COLUMNS: usize = 100;

/// The waterfall: labels padded to one width, durations right-aligned, and a bar
/// whose offset and length are the span's start and duration relative to its tree.
/// Widths are the terminal's columns: a CJK character takes two.
fn waterfall(rows: &[Row<'_>], colour: bool) -> String {
    let width = rows
        .iter()
        .map(|row| row.label().width())
        .max()
        .unwrap_or(0)
        .min(MAX_LABEL_COLUMNS);
    let mut out = String::new();
    let mut window = (SystemTime::UNIX_EPOCH, Duration::ZERO);
    for row in rows {
        if row.prefix.is_empty() {
            window = (row.span.start_time, elapsed(row.span));
        }
        let failed = matches!(row.span.status, Status::Error { .. });
        let label = row.label();
        let padding = " ".repeat(width.saturating_sub(label.width()));
        let duration = format!("{:>10}", format_duration(elapsed(row.span)));
        let bar = bar(row.span, window);
        let line_start = out.len();
        if colour {
            let bar_colour = if failed { RED } else { CYAN };
            let name_colour = if failed { RED } else { BOLD };
            let _ = write!(
                out,
                "{name_colour}{label}{RESET}{padding}  {DIM}{duration}{RESET}  {bar_colour}{bar}{RESET}"
            );
        } else {
            let _ = write!(out, "{label}{padding}  {duration}  {bar}");
        }
        push_outcome(row.span, colour, &mut out);
        push_links(row.span, colour, &mut out);
        // The bar's blank tail is trailing space on a line with nothing after it.
        let line_end = line_start + out[line_start..].trim_end().len();
        out.truncate(line_end);
        out.push('\n');
    }
    out
}

/// `BAR_WIDTH` cells: blank before the span starts, filled while it runs (at least
/// one cell, so every span shows).
fn bar(span: &SpanData, (start, total): (SystemTime, Duration)) -> String {
    let total = total.as_secs_f64();
    let fraction = |duration: Duration| {
        if total > 0.0 {
            duration.as_secs_f64() / total
        } else {
            0.0
        }
    };
    let offset = span.start_time.duration_since(start).unwrap_or_default();
    let lead = ((fraction(offset) * BAR_WIDTH as f64) as usize).min(BAR_WIDTH - 1);
    let filled =
        ((fraction(elapsed(span)) * BAR_WIDTH as f64).round() as usize).clamp(1, BAR_WIDTH - lead);
    format!(
        "{}{}{}",
        " ".repeat(lead),
        "█".repeat(filled),
        " ".repeat(BAR_WIDTH - lead - filled)
    )
}

fn elapsed(span: &SpanData) -> Duration {
    span.end_time
        .duration_since(span.start_time)
        .unwrap_or_default()
}

/// Status and the span's own attributes (the `code.*` ones are left out: they
/// repeat what the name says).
fn push_outcome(span: &SpanData, colour: bool, out: &mut String) {
    match &span.status {
        Status::Unset => {}
        Status::Ok => out.push_str("  [ok]"),
        Status::Error { description } => {
            let text = if description.is_empty() {
                "[error]".to_owned()
            } else {
                format!("[error: {}]", printable(description))
            };
            if colour {
                let _ = write!(out, "  {RED}{text}{RESET}");
            } else {
                let _ = write!(out, "  {text}");
            }
        }
    }
    let shown: Vec<&KeyValue> = span
        .attributes
        .iter()
        .filter(|kv| !kv.key.as_str().starts_with("code."))
        .collect();
    if !shown.is_empty() {
        out.push_str(if colour { "  \x1b[2m{" } else { "  {" });
        for (index, kv) in shown.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}=", printable(kv.key.as_str()));
            write_value(&kv.value, out);
        }
        out.push('}');
        if colour {
            out.push_str(RESET);
        }
    }
}

/// The links a waterfall line shows by their ids; it counts the others.
const SHOWN_LINKS: usize = 3;

/// The spans `span` links to (a message's producer, a batch's messages), as
/// `trace/span` ids that find them in the console's other trees or a backend.
fn push_links(span: &SpanData, colour: bool, out: &mut String) {
    let (links, dropped) = (&span.links.links, span.links.dropped_count);
    if links.is_empty() && dropped == 0 {
        return;
    }
    out.push_str(if colour {
        "  \x1b[2mlinks:"
    } else {
        "  links:"
    });
    for (index, link) in links.iter().take(SHOWN_LINKS).enumerate() {
        out.push_str(if index > 0 { ", " } else { " " });
        let context = &link.span_context;
        let _ = write!(out, "{}/{}", context.trace_id(), context.span_id());
    }
    let more = links.len().saturating_sub(SHOWN_LINKS) as u64 + u64::from(dropped);
    if more > 0 {
        let _ = write!(out, " (+{more} more)");
    }
    if colour {
        out.push_str(RESET);
    }
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`): a span name, key or
/// status description may come from a peer (a gRPC status message), and must
/// neither break the tree's lines nor reach the terminal as escape sequences.
fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unprintable) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unprintable(c) {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

/// Control characters, and the format characters that break a line or reorder
/// what follows on a terminal (line and paragraph separators, bidirectional marks,
/// overrides and isolates): a peer's text could use them to disguise a line.
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
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

/// µs below a millisecond, ms below a second, s above; the unit is chosen on the
/// rounded figure, so 999.7 µs reads `1.00 ms`, not `1000 µs`.
pub(crate) fn format_duration(elapsed: Duration) -> String {
    let micros = elapsed.as_secs_f64() * 1e6;
    let millis = micros / 1e3;
    if micros.round() < 1_000.0 {
        format!("{micros:.0} µs")
    } else if (millis * 100.0).round() < 100_000.0 {
        format!("{millis:.2} ms")
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{
        MAX_DRAWN_DEPTH, MAX_LABEL_COLUMNS, Style, format_duration, printable, render_trees,
    };
    use opentelemetry::InstrumentationScope;
    use opentelemetry::trace::{
        SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
    };
    use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
    use std::time::{Duration, SystemTime};
    use unicode_width::UnicodeWidthStr as _;

    /// A span of trace `trace` named `name`, with its ids; no times, no attributes.
    pub(crate) fn span(trace: u128, id: u64, parent: u64, name: &'static str) -> SpanData {
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(trace),
                SpanId::from(id),
                TraceFlags::SAMPLED,
                false,
                TraceState::NONE,
            ),
            parent_span_id: SpanId::from(parent),
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: name.into(),
            start_time: SystemTime::UNIX_EPOCH,
            end_time: SystemTime::UNIX_EPOCH,
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: InstrumentationScope::builder("test").build(),
        }
    }

    #[test]
    fn a_deep_recursion_renders_in_linear_space_without_deep_frames() {
        // Deep enough that a recursive walk would overflow a thread's stack.
        // Span `id`, the child of span `id - 1` (0: none, the root).
        let spans: Vec<SpanData> = (1..=200_000)
            .map(|id| span(1, id, id - 1, "recurse"))
            .collect();
        let text = render_trees(&spans, Style::Plain);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 200_000);
        let widest = lines.iter().map(|line| line.chars().count()).max().unwrap();
        assert!(widest < 3 * MAX_DRAWN_DEPTH + 40, "{widest} characters");
        assert!(
            lines[199_999].ends_with("[depth 199999] recurse"),
            "{}",
            lines[199_999]
        );
    }

    #[test]
    fn the_waterfall_shows_three_links_by_their_ids_then_how_many_more() {
        let linked = |trace: u128, id: u64| {
            opentelemetry::trace::Link::with_context(span(trace, id, 0, "producer").span_context)
        };
        let mut batch = span(9, 1, 0, "process orders");
        batch.links.links = (1..=4).map(|id| linked(0xabc, id)).collect();
        batch.links.dropped_count = 2;
        let mut single = span(9, 2, 0, "process orders");
        single.links.links.push(linked(0xdef, 0x10));
        let mut dropped = span(9, 3, 0, "process orders");
        dropped.links.dropped_count = 1;
        let spans = [batch, single, dropped];
        let waterfall = render_trees(&spans, Style::Waterfall { colour: false });
        let trace = "00000000000000000000000000000abc";
        let shown: Vec<&str> = waterfall
            .lines()
            .map(|line| line.split_once("  links: ").expect("links").1)
            .collect();
        assert_eq!(
            shown,
            [
                format!(
                    "{trace}/0000000000000001, {trace}/0000000000000002, \
                     {trace}/0000000000000003 (+3 more)"
                )
                .as_str(),
                "00000000000000000000000000000def/0000000000000010",
                "(+1 more)",
            ]
        );
        assert_eq!(
            render_trees(&spans, Style::Plain),
            "process orders  links: 6\nprocess orders  links: 1\nprocess orders  links: 1\n",
            "the plain tree counts them: its ids would differ every run"
        );
    }

    #[test]
    fn wide_characters_keep_the_waterfall_aligned() {
        let root = span(1, 1, 0, "下单");
        let child = span(1, 2, 1, "check");
        let text = render_trees(&[root, child], Style::Waterfall { colour: false });
        let columns: Vec<usize> = text
            .lines()
            .map(|line| {
                let unit_at = line.find(" µs").expect("a duration after the label");
                line[..unit_at].width()
            })
            .collect();
        assert_eq!(columns.len(), 2, "{text}");
        assert_eq!(
            columns[0], columns[1],
            "labels padded to one width:\n{text}"
        );
    }

    #[test]
    fn characters_that_reorder_or_break_a_line_are_escaped() {
        let spoofed = "pay\u{202e}gnp.exe\u{2028}ok\u{061c}";
        assert_eq!(printable(spoofed), "pay\\u{202e}gnp.exe\\u{2028}ok\\u{61c}");
        assert_eq!(printable("订单 ✓"), "订单 ✓", "other text is kept as it is");
    }

    #[test]
    fn durations_take_the_unit_of_their_rounded_figure() {
        assert_eq!(format_duration(Duration::from_nanos(999_400)), "999 µs");
        assert_eq!(format_duration(Duration::from_nanos(999_700)), "1.00 ms");
        assert_eq!(format_duration(Duration::from_micros(25_000)), "25.00 ms");
        assert_eq!(format_duration(Duration::from_micros(999_996)), "1.00 s");
        assert_eq!(format_duration(Duration::from_millis(2_500)), "2.50 s");
    }

    #[test]
    fn a_very_long_name_pads_no_other_line() {
        let long: &'static str = Box::leak("x".repeat(100_000).into_boxed_str());
        let mut spans = vec![span(1, 1, 0, long)];
        spans.extend((2..1_002).map(|id| span(1, id, 1, "child")));
        let text = render_trees(&spans, Style::Waterfall { colour: false });
        let widest_other = text.lines().skip(1).map(str::len).max().unwrap_or(0);
        assert!(
            widest_other < MAX_LABEL_COLUMNS + 80,
            "{widest_other} bytes on a child's line"
        );
        assert!(text.lines().next().is_some_and(|line| line.contains(long)));
    }
}
