//! `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` cuts every string we record, and
//! `OTEL_ATTRIBUTE_COUNT_LIMIT` bounds a capture's attributes as an installed
//! pipeline's, in a binary of its own: the limits are read from the environment.

use otel_traced::opentelemetry::trace::Status;
use otel_traced::opentelemetry::{Array, KeyValue, Value};
use otel_traced::testing::capture;
use otel_traced::{record, traced};
use otel_traced_tests::{attribute, string};

#[traced(attrs(note = %"ünïcödé text"))]
fn long_values(text: &str, words: Vec<&str>, count: u64, database_url: &str) -> Result<(), String> {
    record!(recorded = "abcdefghij");
    otel_traced::opentelemetry::trace::get_active_span(|span| {
        span.set_attribute(KeyValue::new("through.the.api", "0123456789"));
    });
    let _ = (text, words, count, database_url);
    Err("a long error message".to_owned())
}

#[test]
fn the_environments_limits_cut_strings_and_count_attributes() {
    // SAFETY: this binary runs a single test, and sets the variable before any span
    // (the only reader) exists.
    unsafe { std::env::set_var("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "5") };
    let captured = capture(|| {
        long_values(
            "0123456789",
            vec!["short", "longer words"],
            1234567890,
            "s://app:pw@db/x",
        )
    });
    let span = &captured.spans()[0];
    assert_eq!(attribute(span, "text"), Some(&string("01234")));
    assert_eq!(
        attribute(span, "words"),
        Some(&Value::Array(Array::String(vec![
            "short".into(),
            "longe".into()
        ])))
    );
    assert_eq!(attribute(span, "count"), Some(&Value::I64(1_234_567_890)));
    // Cut inside its user information, where no `@` is left to find the
    // password by: left out.
    assert_eq!(attribute(span, "database_url"), Some(&string("")));
    assert_eq!(attribute(span, "note"), Some(&string("ünïcö")));
    assert_eq!(attribute(span, "recorded"), Some(&string("abcde")));
    assert_eq!(span.status, Status::error("a lon"));
    assert_eq!(
        span.events[0].attributes[1],
        KeyValue::new("exception.message", "a lon")
    );
    // Strings the function did not record itself are cut where spans are kept.
    assert_eq!(attribute(span, "through.the.api"), Some(&string("01234")));
    assert_eq!(attribute(span, "error.type"), Some(&string("alloc")));
    assert_eq!(
        attribute(span, "code.function.name"),
        Some(&string("lengt"))
    );
    assert_eq!(
        span.events[0].attributes[0],
        KeyValue::new("exception.type", "alloc")
    );

    // The general count limit, which the SDK's own default does not read: for
    // a span's attributes and an event's.
    // SAFETY: as above; no span exists now.
    unsafe { std::env::set_var("OTEL_ATTRIBUTE_COUNT_LIMIT", "1") };
    let captured = capture(|| long_values("0123456789", vec![], 1, ""));
    let span = &captured.spans()[0];
    assert_eq!(span.attributes.len(), 1, "{:?}", span.attributes);
    assert_eq!(span.dropped_attributes_count, 10);
    let exception = &span.events[0];
    assert_eq!(exception.attributes.len(), 1, "{exception:?}");
    assert_eq!(exception.dropped_attributes_count, 1);
}
