//! The console exporter: one waterfall per trace, printed when the trace's root ends.

use otel_traced::ConsoleExporter;
use otel_traced::opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use otel_traced::opentelemetry::{InstrumentationScope, KeyValue};
use otel_traced::sdk::trace::{SpanData, SpanEvents, SpanExporter, SpanLinks};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

const TRACE: TraceId = TraceId::from_bytes([7; 16]);

/// A span of `TRACE` from `start_ms` to `end_ms` after a fixed instant.
fn span(id: u8, parent: u8, name: &'static str, (start_ms, end_ms): (u64, u64)) -> SpanData {
    let at = |ms| {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + Duration::from_millis(ms)
    };
    SpanData {
        span_context: SpanContext::new(
            TRACE,
            SpanId::from_bytes([id; 8]),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        ),
        parent_span_id: if parent == 0 {
            SpanId::INVALID
        } else {
            SpanId::from_bytes([parent; 8])
        },
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: name.into(),
        start_time: at(start_ms),
        end_time: at(end_ms),
        attributes: vec![KeyValue::new("code.function.name", name)],
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("test").build(),
    }
}

/// checkout (100 ms) with load_cart (first quarter) and a failing charge (second
/// half), in the order they end.
fn checkout_trace() -> Vec<SpanData> {
    let mut charge = span(3, 1, "charge", (50, 100));
    charge.status = Status::error("card declined");
    charge.span_kind = SpanKind::Client;
    charge.attributes.push(KeyValue::new("amount", 7));
    let mut load = span(2, 1, "load_cart", (0, 25));
    load.attributes.push(KeyValue::new("order", "A-1"));
    vec![load, charge, span(1, 0, "checkout", (0, 100))]
}

/// The bars of `checkout_trace`'s load_cart and charge: the first quarter of the
/// trace, its second half.
fn checkout_bars() -> (String, String) {
    (
        format!("{}{}", "█".repeat(8), " ".repeat(24)),
        format!("{}{}", " ".repeat(16), "█".repeat(16)),
    )
}

fn export(exporter: &ConsoleExporter, spans: Vec<SpanData>) {
    futures::executor::block_on(exporter.export(spans)).expect("export succeeds");
}

#[test]
fn a_trace_is_printed_as_a_waterfall_when_its_root_ends() {
    let out = Shared::default();
    let exporter = ConsoleExporter::with_writer(out.clone());
    let mut spans = checkout_trace();
    let root = spans.pop().unwrap();
    export(&exporter, spans);
    assert_eq!(out.text(), "", "nothing is printed before the root ends");
    export(&exporter, vec![root]);
    let full = "█".repeat(32);
    let (first_quarter, second_half) = checkout_bars();
    assert_eq!(
        out.text(),
        format!(
            "\ntrace 07070707070707070707070707070707  100.00 ms\n\
             checkout             100.00 ms  {full}\n\
             ├─ load_cart          25.00 ms  {first_quarter}  {{order=\"A-1\"}}\n\
             └─ charge (client)    50.00 ms  {second_half}  [error: \"card declined\"]  {{amount=7}}\n"
        )
    );
}

#[test]
fn control_characters_from_a_peer_are_escaped_not_printed() {
    let out = Shared::default();
    let exporter = ConsoleExporter::with_writer(out.clone());
    let mut call = span(1, 0, "call", (0, 10));
    // A status message as a remote server may send it.
    call.status = Status::error("first\nsecond \u{1b}[31mred");
    call.attributes.push(KeyValue::new("odd\tkey", 1));
    // A value from a request (a header), with a one-character CSI too.
    call.attributes.push(KeyValue::new(
        "user_agent.original",
        "curl\u{1b}]0;title\u{7}\u{9b}2J",
    ));
    // A name made at run time (`otel.name` through the `tracing` bridge).
    call.name = "GET /\u{1b}[2Jcart".into();
    export(&exporter, vec![call]);
    let text = out.text();
    assert!(
        !text.contains(['\u{1b}', '\u{9b}', '\u{7}']),
        "no escape sequence reaches the terminal: {text:?}"
    );
    assert!(text.contains(r"GET /\u{1b}[2Jcart"), "{text:?}");
    assert_eq!(
        text.lines().count(),
        3,
        "the header, the span, no broken line: {text:?}"
    );
    assert!(
        text.contains(r#"[error: "first\nsecond \u{1b}[31mred"]"#),
        "{text:?}"
    );
    assert!(
        text.contains(r#"{odd\tkey=1, user_agent.original="curl\u{1b}]0;title\u{7}\u{9b}2J"}"#),
        "{text:?}"
    );
}

#[test]
fn colour_marks_names_bars_and_errors_only_when_asked() {
    let out = Shared::default();
    let exporter = ConsoleExporter::with_writer(out.clone()).with_colour(true);
    export(&exporter, checkout_trace());
    let text = out.text();
    assert!(text.contains("\x1b[1mcheckout\x1b[0m"), "{text:?}");
    assert!(
        text.contains("\x1b[31m└─ charge (client)\x1b[0m"),
        "{text:?}"
    );
    assert!(
        text.contains("\x1b[31m[error: \"card declined\"]\x1b[0m"),
        "{text:?}"
    );
    assert!(
        text.contains(&format!("\x1b[36m{}\x1b[0m", "█".repeat(32))),
        "{text:?}"
    );

    let plain = Shared::default();
    export(
        &ConsoleExporter::with_writer(plain.clone()),
        checkout_trace(),
    );
    assert!(!plain.text().contains('\x1b'));
}

#[test]
fn shutdown_prints_traces_whose_root_never_ended() {
    let out = Shared::default();
    let exporter = ConsoleExporter::with_writer(out.clone());
    let mut spans = checkout_trace();
    spans.pop();
    export(&exporter, spans);
    assert_eq!(out.text(), "");
    exporter.shutdown().expect("shutdown succeeds");
    // Each span its own tree, placed in the trace's one timeline.
    let (first_quarter, second_half) = checkout_bars();
    assert_eq!(
        out.text(),
        format!(
            "\ntrace 07070707070707070707070707070707  100.00 ms\n\
             load_cart          25.00 ms  {first_quarter}  {{order=\"A-1\"}}\n\
             charge (client)    50.00 ms  {second_half}  [error: \"card declined\"]  {{amount=7}}\n"
        )
    );
}
