//! The options `link`, `ret`, `err`, `attrs(..)` and `crate`.

use otel_traced::opentelemetry::trace::{SpanContext, Status, TraceContextExt};
use otel_traced::opentelemetry::{Context, Value};
use otel_traced::testing::capture;
use otel_traced::traced;
use otel_traced_tests::{attribute, own_keys, string};

#[traced]
fn current_span_context() -> SpanContext {
    Context::current().span().span_context().clone()
}

#[traced(link = first, link = &second)]
fn linked(first: SpanContext, second: SpanContext) {
    let _ = (first, second);
}

#[traced(link = context)]
fn linked_to_context(context: &Context) {
    let _ = context;
}

#[test]
fn link_is_repeatable_and_takes_span_contexts_or_contexts() {
    let captured = capture(|| {
        let first = current_span_context();
        let second = current_span_context();
        linked(first.clone(), second.clone());
        let context = Context::new().with_remote_span_context(first.clone());
        linked_to_context(&context);
        // An invalid span context is not a link.
        linked(SpanContext::empty_context(), second.clone());
        (first, second)
    });
    let (first, second) = captured.output().clone();
    let spans: Vec<_> = captured
        .spans()
        .iter()
        .filter(|s| s.name.starts_with("linked"))
        .collect();
    let linked_to: Vec<Vec<SpanContext>> = spans
        .iter()
        .map(|s| s.links.iter().map(|l| l.span_context.clone()).collect())
        .collect();
    assert_eq!(
        linked_to,
        [
            vec![first.clone(), second.clone()],
            vec![first],
            vec![second]
        ]
    );
}

#[derive(Debug)]
struct Receipt {
    #[expect(dead_code, reason = "read only through the derived Debug")]
    total: u32,
}

#[traced(ret)]
fn total(a: u32, b: u32) -> u32 {
    a + b
}

#[traced(ret)]
fn receipt(total: u32) -> Result<Receipt, String> {
    if total == 0 {
        Err("empty".to_owned())
    } else {
        Ok(Receipt { total })
    }
}

#[test]
fn ret_records_the_returned_value_or_the_ok_value() {
    let captured = capture(|| (total(2, 3), receipt(7).is_ok(), receipt(0).is_err()));
    assert_eq!(*captured.output(), (5, true, true));
    let spans = captured.spans();
    assert_eq!(attribute(&spans[0], "return.value"), Some(&Value::I64(5)));
    assert_eq!(
        attribute(&spans[1], "return.value"),
        Some(&string("Receipt { total: 7 }"))
    );
    assert_eq!(attribute(&spans[2], "return.value"), None);
    assert_eq!(spans[2].status, Status::error("empty"));
}

type Outcome = Result<u8, String>;

#[traced(err)]
fn alias_with_err() -> Outcome {
    Err("alias".to_owned())
}

#[traced(err = false)]
fn expected_failure() -> Result<u8, String> {
    Err("a cache miss, not a failure".to_owned())
}

#[test]
fn err_opts_an_alias_in_and_err_false_opts_out() {
    let captured = capture(|| (alias_with_err().is_err(), expected_failure().is_err()));
    let spans = captured.spans();
    assert_eq!(spans[0].status, Status::error("alias"));
    assert_eq!(
        attribute(&spans[0], "error.type"),
        Some(&string("alloc::string::String"))
    );
    assert_eq!(spans[1].status, Status::Unset);
    assert_eq!(attribute(&spans[1], "error.type"), None);
    assert!(spans[1].events.is_empty());
}

struct Order {
    id: u64,
    lines: Vec<u32>,
    region: std::net::Ipv4Addr,
}

#[traced(attrs(
    order.id = order.id,
    order.line_count = order.lines.len(),
    "order.first_line" = order.lines.first().copied(),
    order.region = %order.region,
    order.lines = ?order.lines,
))]
fn place(order: &Order) -> u64 {
    order.id
}

#[test]
fn attrs_record_expressions_over_the_parameters() {
    let order = Order {
        id: 42,
        lines: vec![3, 4],
        region: std::net::Ipv4Addr::new(10, 1, 2, 3),
    };
    let captured = capture(|| place(&order));
    let span = &captured.spans()[0];
    assert_eq!(
        own_keys(span),
        [
            "order.id",
            "order.line_count",
            "order.first_line",
            "order.region",
            "order.lines"
        ]
    );
    assert_eq!(attribute(span, "order.id"), Some(&Value::I64(42)));
    assert_eq!(attribute(span, "order.line_count"), Some(&Value::I64(2)));
    assert_eq!(attribute(span, "order.first_line"), Some(&Value::I64(3)));
    assert_eq!(attribute(span, "order.region"), Some(&string("10.1.2.3")));
    assert_eq!(attribute(span, "order.lines"), Some(&string("[3, 4]")));
}

/// A whole number suffixed `f64` or `f32` is a floating-point number, as a
/// `double` key of the conventions asks.
#[traced(attrs(app.jank.threshold = 16f64, app.jank.frame_count = 2, "app.scale" = 1f32))]
fn render() {}

#[test]
fn a_whole_number_suffixed_as_a_float_is_recorded_as_one() {
    let captured = capture(render);
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "app.jank.threshold"),
        Some(&Value::F64(16.0))
    );
    assert_eq!(
        attribute(span, "app.jank.frame_count"),
        Some(&Value::I64(2))
    );
    assert_eq!(attribute(span, "app.scale"), Some(&Value::F64(1.0)));
}

#[traced(attrs(user = %name))]
fn attrs_replace_a_parameter(user: u32, name: &str) -> u32 {
    let _ = name;
    user
}

#[test]
fn an_attrs_key_replaces_the_default_recording_of_a_parameter() {
    let captured = capture(|| attrs_replace_a_parameter(1, "ada"));
    let span = &captured.spans()[0];
    assert_eq!(own_keys(span), ["name", "user"]);
    assert_eq!(attribute(span, "user"), Some(&string("ada")));
}

/// The runtime under another name, as a crate that re-exports it would have it;
/// its expansion helpers with one of them noting that it was reached this way.
mod support {
    pub mod telemetry {
        pub mod __private {
            pub use otel_traced::__private::*;
            use std::sync::atomic::{AtomicBool, Ordering};

            pub static REACHED: AtomicBool = AtomicBool::new(false);

            /// Shadows the runtime's, which the expansion calls before it
            /// evaluates `parent = ..`.
            pub fn enabled() -> bool {
                REACHED.store(true, Ordering::SeqCst);
                otel_traced::__private::enabled()
            }
        }
    }
}

#[traced(crate = support::telemetry, parent = otel_traced::opentelemetry::Context::current())]
fn through_a_renamed_runtime(n: u8) -> u8 {
    n
}

#[test]
fn crate_names_the_runtime_path() {
    let captured = capture(|| through_a_renamed_runtime(4));
    assert_eq!(attribute(&captured.spans()[0], "n"), Some(&Value::I64(4)));
    assert!(
        support::telemetry::__private::REACHED.load(std::sync::atomic::Ordering::SeqCst),
        "the expansion went through the path it was given"
    );
}

/// An extractor's shape, as axum's `Path`.
struct Path<T>(T);

#[traced(attrs(order.id = id))]
fn destructured(Path(id): Path<u64>, (quantity, _): (u8, u8)) -> u64 {
    id + u64::from(quantity)
}

#[test]
fn what_a_destructured_parameter_binds_is_recorded_where_named_only() {
    let captured = capture(|| destructured(Path(7), (2, 3)));
    assert_eq!(*captured.output(), 9);
    assert_eq!(own_keys(&captured.spans()[0]), ["order.id"]);
    assert_eq!(
        attribute(&captured.spans()[0], "order.id"),
        Some(&Value::I64(7))
    );
}
