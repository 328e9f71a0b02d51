//! The console exporter: one tree per trace, printed when the trace's root ends.

use otel_traced::ConsoleExporter;
use otel_traced::sdk::trace::{SpanData, SpanExporter};
use otel_traced::testing::capture;
use otel_traced::traced;
use std::io::Write;
use std::sync::{Arc, Mutex};

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

#[traced]
fn checkout(order: u32) -> Result<(), String> {
    load_cart(order);
    charge(order)
}

#[traced]
fn load_cart(order: u32) {
    let _ = order;
}

#[traced]
fn charge(amount: u32) -> Result<(), String> {
    Err(format!("card declined for {amount}"))
}

fn export(exporter: &ConsoleExporter, spans: Vec<SpanData>) {
    futures::executor::block_on(exporter.export(spans)).expect("export succeeds");
}

/// Replaces the durations (`12 µs`, `1.50 ms`, `2.00 s`) so lines compare exactly.
fn without_durations(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut words: Vec<&str> = line.split("  ").collect();
            for word in &mut words {
                let is_duration = [" µs", " ms", " s"].iter().any(|unit| {
                    word.strip_suffix(unit)
                        .is_some_and(|number| number.parse::<f64>().is_ok())
                });
                if is_duration {
                    *word = "<duration>";
                }
            }
            words.join("  ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_trace_is_printed_as_a_tree_when_its_root_ends() {
    let captured = capture(|| checkout(7));
    let trace_id = captured.spans()[0].span_context.trace_id();
    let out = Shared::default();
    let exporter = ConsoleExporter::with_writer(out.clone());
    let mut spans = captured.spans().to_vec();
    let root = spans.pop().expect("the root ends last");
    assert_eq!(root.name, "checkout");

    export(&exporter, spans);
    assert_eq!(out.text(), "", "nothing is printed before the root ends");

    export(&exporter, vec![root]);
    assert_eq!(
        without_durations(&out.text()),
        format!(
            "\ntrace {trace_id}  <duration>\n\
             checkout  <duration>  [error: card declined for 7]  {{order=7, error.type=\"alloc::string::String\"}}\n\
             ├─ load_cart  <duration>  {{order=7}}\n\
             └─ charge  <duration>  [error: card declined for 7]  {{amount=7, error.type=\"alloc::string::String\"}}"
        )
    );
}

#[test]
fn shutdown_prints_traces_whose_root_never_ended() {
    let captured = capture(|| checkout(1));
    let out = Shared::default();
    let exporter = ConsoleExporter::with_writer(out.clone());
    let children: Vec<SpanData> = captured
        .spans()
        .iter()
        .filter(|span| span.name != "checkout")
        .cloned()
        .collect();
    export(&exporter, children);
    assert_eq!(out.text(), "");
    exporter.shutdown().expect("shutdown succeeds");
    let text = without_durations(&out.text());
    assert!(
        text.contains("\nload_cart  <duration>  {order=1}\n"),
        "{text}"
    );
    assert!(
        text.contains("\ncharge  <duration>  [error: card declined for 1]"),
        "{text}"
    );
}
