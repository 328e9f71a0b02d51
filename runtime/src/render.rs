//! Renders ended spans as trees, one per root. Two styles: the waterfall the
//! console prints (aligned durations, a bar placed and sized by time, colour on a
//! terminal), and the plain tree `Captured::tree` returns (no timings, so tests can
//! compare it exactly).

use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId};
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
        let mut label = format!("{}{}", self.prefix, printable(&cut(&self.span.name)));
        if let Some(kind) = kind_label(&self.span.span_kind) {
            let _ = write!(label, " ({kind})");
        }
        label
    }
}

/// A span's place in the trees: its trace and its own id, or its parent's. (Of
/// several traces, as a capture holds, a span id one reuses in another names no
/// parent there.)
type Place = (TraceId, SpanId);

fn place_of(span: &SpanData) -> Place {
    (span.span_context.trace_id(), span.span_context.span_id())
}

fn parent_place(span: &SpanData) -> Place {
    (span.span_context.trace_id(), span.parent_span_id)
}

/// The rows of every tree in `spans`, in display order.
fn rows(spans: &[SpanData]) -> Vec<Row<'_>> {
    let present: HashSet<Place> = spans.iter().map(place_of).collect();
    let mut children: HashMap<Place, Vec<&SpanData>> = HashMap::new();
    let mut roots = Vec::new();
    for span in spans {
        if present.contains(&parent_place(span)) {
            children.entry(parent_place(span)).or_default().push(span);
        } else {
            roots.push(span);
        }
    }
    for siblings in children.values_mut() {
        siblings.sort_by_key(|span| span.start_time);
    }
    roots.sort_by_key(|span| span.start_time);
    let mut rows = Vec::with_capacity(spans.len());
    let mut drawn = HashSet::with_capacity(spans.len());
    for root in roots {
        push_tree(root, &children, &mut drawn, &mut rows);
    }
    // Spans whose parents form a loop (ids a buggy or hostile peer chose) have no
    // root: each is drawn as one, once.
    for span in spans {
        if !drawn.contains(&std::ptr::from_ref(span)) {
            push_tree(span, &children, &mut drawn, &mut rows);
        }
    }
    rows
}

/// Levels of nesting drawn as indentation; deeper spans keep that indentation and
/// say their depth, so a deep recursion renders in linear space.
const MAX_DRAWN_DEPTH: usize = 32;

/// Adds the tree under `root`, depth first, children in start order, leaving out
/// the spans in `drawn` (a span whose parent id is its own, or a descendant's,
/// would otherwise be drawn for ever). Iterative: a recursion thousands of calls
/// deep renders without that many frames on the export thread's stack.
fn push_tree<'a>(
    root: &'a SpanData,
    children: &HashMap<Place, Vec<&'a SpanData>>,
    drawn: &mut HashSet<*const SpanData>,
    rows: &mut Vec<Row<'a>>,
) {
    // A span to draw, the indent of its line, whether it is its parent's last
    // child (`None` for the root), and its depth.
    let mut stack: Vec<(&SpanData, String, Option<bool>, usize)> =
        vec![(root, String::new(), None, 0)];
    while let Some((span, indent, is_last, depth)) = stack.pop() {
        if !drawn.insert(std::ptr::from_ref(span)) {
            continue;
        }
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
            .get(&place_of(span))
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
/// whose offset and length are the span's start and duration relative to the
/// whole trace's (the header's): spans whose root never ended (printed at shutdown)
/// and a task that outlived its root are placed in one timeline too.
/// Widths are the terminal's columns: a CJK character takes two.
fn waterfall(rows: &[Row<'_>], colour: bool) -> String {
    let width = rows
        .iter()
        .map(|row| row.label().width())
        .max()
        .unwrap_or(0)
        .min(MAX_LABEL_COLUMNS);
    let start = rows.iter().map(|row| row.span.start_time).min();
    let end = rows.iter().map(|row| row.span.end_time).max();
    let window = match (start, end) {
        (Some(start), Some(end)) => (start, end.duration_since(start).unwrap_or_default()),
        _ => (SystemTime::UNIX_EPOCH, Duration::ZERO),
    };
    let mut out = String::new();
    for row in rows {
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
    let cell =
        |at: SystemTime| fraction(at.duration_since(start).unwrap_or_default()) * BAR_WIDTH as f64;
    // The end's cell from the end's time (not the start's cell plus the length):
    // spans that end together end in one cell, as a child ending with its parent.
    let lead = (cell(span.start_time) as usize).min(BAR_WIDTH - 1);
    let end = cell(span.end_time).round() as usize;
    let filled = end.saturating_sub(lead).clamp(1, BAR_WIDTH - lead);
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
            // Quoted as attribute values are: a peer's message (a gRPC status's)
            // must not read as attributes or another status.
            let text = if description.is_empty() {
                "[error]".to_owned()
            } else {
                let mut text = "[error: ".to_owned();
                write_text(description, &mut text);
                text.push(']');
                text
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
    // Those past the attribute count limit are the last set: often the call's
    // outcome (`error.type`, a reply's status code), which the line then lacks.
    let dropped = span.dropped_attributes_count;
    if !shown.is_empty() || dropped > 0 {
        out.push_str(if colour { "  \x1b[2m{" } else { "  {" });
        for (index, kv) in shown.iter().enumerate() {
            if index > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}=", printable(&cut(kv.key.as_str())));
            write_value(&kv.value, out);
        }
        if dropped > 0 {
            let separator = if shown.is_empty() { "" } else { ", " };
            let _ = write!(out, "{separator}+{dropped} past the attribute limit");
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

/// Characters of a value or status description a line shows: a 1 MiB request body
/// recorded as an attribute must not print as a 1 MiB line (nor hold the terminal
/// that long).
const MAX_SHOWN_CHARS: usize = 200;

/// Items of an array value a line shows.
const MAX_SHOWN_ITEMS: usize = 8;

/// `text`, cut after [`MAX_SHOWN_CHARS`] characters with how many more it holds.
pub(crate) fn cut(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_SHOWN_CHARS) {
        None => Cow::Borrowed(text),
        Some((end, _)) => {
            let more = text[end..].chars().count();
            Cow::Owned(format!("{}…(+{more} chars)", &text[..end]))
        }
    }
}

/// `text` with its control and format characters escaped (`\n`, `\u{1b}`,
/// `\u{200b}`): a span name, an attribute key, a metric attribute may come from a
/// peer (a request's path), and must neither break the tree's lines, nor reach the
/// terminal as escape sequences, nor hide what it says. A backslash is escaped
/// too, so that a name written `\u{1b}` does not read as one holding an escape.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c == '\\' || is_unprintable(c)) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for_each_escaped(text, |c, escapes| {
        if escapes || c == '\\' {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    });
    Cow::Owned(escaped)
}

/// Calls `each` with every character of `text` and whether it is to be escaped:
/// an [unprintable](is_unprintable) one, but a zero-width joiner or non-joiner
/// between two letters of a script other than ASCII (`👩‍💻`, Persian, Indic
/// scripts, which are written with them); next to ASCII, at an end or beside
/// another, one would only hide a difference (`user\u{200d}_id`).
fn for_each_escaped(text: &str, mut each: impl FnMut(char, bool)) {
    let joins = |c: Option<char>| c.is_some_and(|c| !c.is_ascii() && !is_unprintable(c));
    let mut chars = text.chars().peekable();
    let mut previous = None;
    while let Some(c) = chars.next() {
        let escapes = match c {
            '\u{200c}' | '\u{200d}' => !(joins(previous) && joins(chars.peek().copied())),
            c => is_unprintable(c),
        };
        each(c, escapes);
        previous = Some(c);
    }
}

/// Control characters, the line and paragraph separators, and the format
/// characters (Unicode's `Cf`: bidirectional marks, overrides and isolates that
/// reorder what follows, invisible ones such as zero-width spaces, soft hyphens
/// and tags): a peer's text could use them to break or disguise a line. (The
/// zero-width joiner and non-joiner are kept between letters: [`for_each_escaped`].)
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061c}'
                | '\u{06dd}'
                | '\u{070f}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08e2}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{110bd}'
                | '\u{110cd}'
                | '\u{13430}'..='\u{1343f}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0001}'
                | '\u{e0020}'..='\u{e007f}'
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

/// Strings are quoted so that `"42"` and `42` read differently (and escaped, as
/// Rust writes them), and cut as [`cut`] says; arrays show their first items.
fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::String(text) => write_text(text.as_str(), out),
        Value::Array(Array::String(items)) => {
            write_items(items, out, |item, out| write_text(item.as_str(), out));
        }
        Value::Array(Array::Bool(items)) => write_items(items, out, write_shown),
        Value::Array(Array::I64(items)) => write_items(items, out, write_shown),
        Value::Array(Array::F64(items)) => {
            write_items(items, out, |item, out| write_float(*item, out));
        }
        Value::F64(number) => write_float(*number, out),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

/// A number or boolean as it reads.
fn write_shown(item: &impl std::fmt::Display, out: &mut String) {
    let _ = write!(out, "{item}");
}

/// A float as it reads, in exponent form when it is very large or small: `f64`'s
/// `Display` writes every digit, 301 of them for `1e300`.
fn write_float(number: f64, out: &mut String) {
    let magnitude = number.abs();
    if magnitude != 0.0 && !(1e-5..1e16).contains(&magnitude) {
        let _ = write!(out, "{number:e}");
    } else {
        let _ = write!(out, "{number}");
    }
}

/// `text` quoted, cut after [`MAX_SHOWN_CHARS`] characters, its quotes,
/// backslashes and [unprintable](is_unprintable) characters escaped. Not `{:?}`:
/// that escapes combining marks too, and Hindi or Thai would read as `\u{94d}`.
fn write_text(text: &str, out: &mut String) {
    let (shown, more) = match text.char_indices().nth(MAX_SHOWN_CHARS) {
        None => (text, 0),
        Some((end, _)) => (&text[..end], text[end..].chars().count()),
    };
    out.push('"');
    for_each_escaped(shown, |c, escapes| match c {
        '"' | '\\' => {
            out.push('\\');
            out.push(c);
        }
        c if escapes => out.extend(c.escape_default()),
        c => out.push(c),
    });
    out.push('"');
    if more > 0 {
        let _ = write!(out, "…(+{more} chars)");
    }
}

/// `[a, b, ..]`: the first [`MAX_SHOWN_ITEMS`] items, and how many more there are.
fn write_items<T>(items: &[T], out: &mut String, write_item: impl Fn(&T, &mut String)) {
    out.push('[');
    for (index, item) in items.iter().take(MAX_SHOWN_ITEMS).enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        write_item(item, out);
    }
    if let Some(more) = items
        .len()
        .checked_sub(MAX_SHOWN_ITEMS)
        .filter(|more| *more > 0)
    {
        let _ = write!(out, ", …(+{more} more)");
    }
    out.push(']');
}

/// ns below a microsecond (a cheap function's mean duration; none is `0 µs`), µs
/// below a millisecond, ms below a second, s below 1000 s, then min below 1000
/// min, then h (a long-lived root), so that it fits the waterfall's column; the
/// unit is chosen on the rounded figure, so 999.7 µs reads `1.00 ms`, not
/// `1000 µs`.
pub(crate) fn format_duration(elapsed: Duration) -> String {
    let micros = elapsed.as_secs_f64() * 1e6;
    let millis = micros / 1e3;
    let seconds = micros / 1e6;
    let minutes = seconds / 60.0;
    if !elapsed.is_zero() && (micros * 1e3).round() < 1_000.0 {
        format!("{:.0} ns", micros * 1e3)
    } else if micros.round() < 1_000.0 {
        format!("{micros:.0} µs")
    } else if (millis * 100.0).round() < 100_000.0 {
        format!("{millis:.2} ms")
    } else if (seconds * 100.0).round() < 100_000.0 {
        format!("{seconds:.2} s")
    } else if (minutes * 10.0).round() < 10_000.0 {
        format!("{minutes:.1} min")
    } else {
        format!("{:.1} h", minutes / 60.0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{
        MAX_DRAWN_DEPTH, MAX_LABEL_COLUMNS, Style, cut, format_duration, printable, render_trees,
        write_value,
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
    fn a_span_id_of_one_trace_names_no_parent_in_another() {
        // A peer that reused, for trace 2, the span id of trace 1's root.
        let spans = [
            span(1, 1, 0, "request"),
            span(2, 2, 1, "elsewhere"),
            span(1, 3, 1, "child"),
        ];
        assert_eq!(
            render_trees(&spans, Style::Plain),
            "request\n└─ child\nelsewhere\n"
        );
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
    fn the_waterfall_counts_the_attributes_past_the_limit() {
        let mut cut = span(9, 1, 0, "import");
        cut.attributes.push(opentelemetry::KeyValue::new("row", 1));
        cut.dropped_attributes_count = 3;
        let mut all_cut = span(9, 2, 0, "import");
        all_cut.dropped_attributes_count = 1;
        let waterfall = render_trees(&[cut, all_cut], Style::Waterfall { colour: false });
        let shown: Vec<&str> = waterfall
            .lines()
            .map(|line| line.split_once("  {").expect("attributes").1)
            .collect();
        assert_eq!(
            shown,
            [
                "row=1, +3 past the attribute limit}",
                "+1 past the attribute limit}"
            ]
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
        assert_eq!(
            printable("👩\u{200d}💻 می\u{200c}خواهم"),
            "👩\u{200d}💻 می\u{200c}خواهم",
            "joiners are part of the text"
        );
        assert_eq!(
            printable("user\u{200d}_id \u{200c}ی ی\u{200c}\u{200c}ی"),
            "user\\u{200d}_id \\u{200c}ی ی\\u{200c}\\u{200c}ی",
            "not next to ASCII, at an end, or beside another"
        );
        assert_eq!(
            printable("card\u{200b} declined\u{ad}\u{e0041}"),
            "card\\u{200b} declined\\u{ad}\\u{e0041}",
            "invisible format characters too"
        );
        assert_eq!(
            [printable("a\u{1b}b"), printable("a\\u{1b}b")],
            ["a\\u{1b}b", "a\\\\u{1b}b"],
            "a backslash written is not an escape"
        );
    }

    /// `value` as a line shows it.
    fn shown(value: opentelemetry::Value) -> String {
        let mut out = String::new();
        write_value(&value, &mut out);
        out
    }

    #[test]
    fn long_values_and_arrays_are_cut_on_their_line() {
        use opentelemetry::{Array, StringValue, Value};
        let body = format!("{}é", "x".repeat(199));
        assert_eq!(
            shown(Value::from(body.clone())),
            format!("{body:?}"),
            "200 kept"
        );
        assert_eq!(
            shown(Value::from(format!("{body}yz"))),
            format!("{body:?}…(+2 chars)")
        );
        let items: Vec<i64> = (0..10).collect();
        assert_eq!(
            shown(Value::Array(Array::I64(items))),
            "[0, 1, 2, 3, 4, 5, 6, 7, …(+2 more)]"
        );
        assert_eq!(
            shown(Value::from("नमस्ते \"q\" \\ \u{1b}[2J")),
            r#""नमस्ते \"q\" \\ \u{1b}[2J""#,
            "combining marks as written; quotes, backslashes and controls escaped"
        );
        let strings = vec![StringValue::from("a\nb"); 2];
        assert_eq!(
            shown(Value::Array(Array::String(strings))),
            r#"["a\nb", "a\nb"]"#
        );
        assert_eq!(
            cut(&"é".repeat(201)),
            format!("{}…(+1 chars)", "é".repeat(200))
        );
    }

    #[test]
    fn very_large_and_small_floats_are_written_with_an_exponent() {
        use opentelemetry::{Array, Value};
        assert_eq!(shown(Value::F64(1e300)), "1e300");
        assert_eq!(shown(Value::F64(-2.5e-300)), "-2.5e-300");
        assert_eq!(shown(Value::F64(0.25)), "0.25");
        assert_eq!(shown(Value::F64(0.0)), "0");
        assert_eq!(shown(Value::F64(123_456.5)), "123456.5");
        assert_eq!(shown(Value::F64(f64::NAN)), "NaN");
        assert_eq!(
            shown(Value::Array(Array::F64(vec![f64::MAX, 1.5]))),
            "[1.7976931348623157e308, 1.5]"
        );
    }

    #[test]
    fn durations_take_the_unit_of_their_rounded_figure() {
        assert_eq!(format_duration(Duration::ZERO), "0 µs");
        assert_eq!(format_duration(Duration::from_nanos(420)), "420 ns");
        assert_eq!(format_duration(Duration::from_nanos(1_400)), "1 µs");
        assert_eq!(format_duration(Duration::from_nanos(999_400)), "999 µs");
        assert_eq!(format_duration(Duration::from_nanos(999_700)), "1.00 ms");
        assert_eq!(format_duration(Duration::from_micros(25_000)), "25.00 ms");
        assert_eq!(format_duration(Duration::from_micros(999_996)), "1.00 s");
        assert_eq!(format_duration(Duration::from_millis(2_500)), "2.50 s");
        assert_eq!(format_duration(Duration::from_millis(999_994)), "999.99 s");
        assert_eq!(format_duration(Duration::from_millis(999_996)), "16.7 min");
        assert_eq!(format_duration(Duration::from_secs(59_990)), "999.8 min");
        assert_eq!(format_duration(Duration::from_secs(59_998)), "16.7 h");
        assert_eq!(format_duration(Duration::from_secs(1_000_000)), "277.8 h");
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
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with(&format!("{}…(+99800 chars)", "x".repeat(200))),
            "a name is cut as values are: {}",
            &first[..first.len().min(300)]
        );
    }

    #[test]
    fn a_child_ending_with_its_parent_ends_in_the_same_cell() {
        let at = |millis: f64| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(millis / 1000.0);
        let timed = |id: u64, parent: u64, (start, end): (f64, f64)| {
            let mut timed = span(1, id, parent, "step");
            (timed.start_time, timed.end_time) = (at(start), at(end));
            timed
        };
        // 32 cells of 1 ms.
        let spans = [
            timed(1, 0, (0.0, 32.0)),
            timed(2, 1, (9.6, 16.0)),
            timed(3, 2, (14.4, 16.0)),
        ];
        let text = render_trees(&spans, Style::Waterfall { colour: false });
        let last_cell: Vec<Option<usize>> = text
            .lines()
            .map(|line| {
                line.chars()
                    .collect::<Vec<_>>()
                    .iter()
                    .rposition(|c| *c == '█')
            })
            .collect();
        assert_eq!(last_cell[1], last_cell[2], "{text}");
    }

    #[test]
    fn spans_whose_parents_loop_are_each_drawn_once() {
        let spans = [
            span(1, 5, 5, "own parent"),
            span(1, 5, 0, "root"),
            span(1, 7, 8, "a"),
            span(1, 8, 7, "b"),
        ];
        let text = render_trees(&spans, Style::Plain);
        assert_eq!(
            text, "root\n└─ own parent\na\n└─ b\n",
            "no span left out, none drawn twice"
        );
    }
}
