//! What a body does to its span: `record!`, `event!`, `set_status`, `in_span` and
//! `in_span_async`.

use otel_traced::opentelemetry::trace::Status;
use otel_traced::opentelemetry::{KeyValue, Value};
use otel_traced::sdk::trace::Sampler;
use otel_traced::testing::{Capture, capture, capture_async};
use otel_traced::{event, in_span, in_span_async, record, set_status, traced};
use otel_traced_tests::{assert_child_of, attribute, own_keys, string};
use std::sync::atomic::{AtomicUsize, Ordering};

#[traced]
fn lookup(key: &str, rows: u32) -> u32 {
    let hit = key.starts_with("cached");
    record!(cache.hit = hit, db.rows = rows * 2, "db.query.text" = %key, row_ids = ?[1, 2]);
    record!(db.rows = rows * 3);
    rows
}

#[test]
fn record_sets_attributes_and_a_repeated_key_keeps_its_last_value() {
    let captured = capture(|| lookup("cached:1", 5));
    let span = &captured.spans()[0];
    assert_eq!(
        own_keys(span),
        [
            "key",
            "rows",
            "cache.hit",
            "db.rows",
            "db.query.text",
            "row_ids"
        ]
    );
    assert_eq!(attribute(span, "cache.hit"), Some(&Value::Bool(true)));
    assert_eq!(attribute(span, "db.rows"), Some(&Value::I64(15)));
    assert_eq!(attribute(span, "db.query.text"), Some(&string("cached:1")));
    assert_eq!(attribute(span, "row_ids"), Some(&string("[1, 2]")));
}

#[traced]
fn import_rows(rows: u64) -> Result<(), std::io::Error> {
    for row in 0..rows {
        record!(import.row = row);
    }
    Err(std::io::Error::other("the last row is bad"))
}

#[test]
fn a_key_recorded_in_a_loop_does_not_crowd_out_the_outcome() {
    // Past the SDK's limit of 128 attributes had each value taken a place; 1 000
    // is past the room the SDK is given for repeats too (128 + 520).
    let captured = capture(|| import_rows(1_000));
    let span = &captured.spans()[0];
    assert_eq!(attribute(span, "import.row"), Some(&Value::I64(999)));
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("std::io::error::Error"))
    );
    assert_eq!(
        own_keys(span),
        ["rows", "import.row", "error.type"],
        "one value a key"
    );
    assert_eq!(span.dropped_attributes_count, 0);
    assert_eq!(span.status, Status::error("the last row is bad"));
}

/// Sets `item.{n}` to `n + pass` for each item, in each pass.
#[traced]
fn tag_items(items: u16, passes: u16) {
    for pass in 0..passes {
        for item in 0..items {
            otel_traced::opentelemetry::trace::get_active_span(|span| {
                let value = i64::from(item) + i64::from(pass) * 1000;
                span.set_attribute(KeyValue::new(format!("item.{item}"), value));
            });
        }
    }
}

#[test]
fn past_the_attribute_limit_the_keys_set_first_are_kept_with_their_last_values() {
    // 8 go to the span at once, 128 more are kept aside: the keys set past those
    // come after them, as they were set, and a key set again keeps its last value.
    let captured = capture(|| tag_items(200, 3));
    let span = &captured.spans()[0];
    let keys = own_keys(span);
    let (parameters, items) = keys.split_at(2);
    assert_eq!(parameters, ["items", "passes"]);
    let kept = items.len();
    assert_eq!(span.attributes.len(), 128, "the SDK's default limit");
    let first: Vec<String> = (0..kept).map(|item| format!("item.{item}")).collect();
    assert_eq!(items, first, "the first set, in order");
    for (item, key) in items.iter().enumerate() {
        let last = i64::try_from(item).unwrap() + 2000;
        assert_eq!(attribute(span, key), Some(&Value::I64(last)), "{key}");
    }
    assert_eq!(span.dropped_attributes_count as usize, 200 - kept);
}

#[traced]
fn reset_rows(rows: u32) -> u32 {
    record!(rows = 0);
    rows
}

#[test]
fn record_overwrites_a_recorded_parameter() {
    let captured = capture(|| reset_rows(9));
    let span = &captured.spans()[0];
    assert_eq!(own_keys(span), ["rows"]);
    assert_eq!(attribute(span, "rows"), Some(&Value::I64(0)));
}

#[traced]
fn retrying(attempts: u32) {
    for attempt in 1..=attempts {
        event!("retry", attempt = attempt, reason = %"timeout");
    }
    event!("gave_up");
}

#[test]
fn event_adds_events_with_fields() {
    let captured = capture(|| retrying(2));
    let events: Vec<(String, Vec<KeyValue>)> = captured.spans()[0]
        .events
        .iter()
        .map(|e| (e.name.to_string(), e.attributes.clone()))
        .collect();
    assert_eq!(
        events,
        [
            (
                "retry".to_owned(),
                vec![
                    KeyValue::new("attempt", 1),
                    KeyValue::new("reason", "timeout")
                ]
            ),
            (
                "retry".to_owned(),
                vec![
                    KeyValue::new("attempt", 2),
                    KeyValue::new("reason", "timeout")
                ]
            ),
            ("gave_up".to_owned(), vec![]),
        ]
    );
}

static EVALUATED: AtomicUsize = AtomicUsize::new(0);

fn counted(value: u32) -> u32 {
    EVALUATED.fetch_add(1, Ordering::SeqCst);
    value
}

#[traced]
fn records_expensively() {
    record!(expensive = counted(1));
    event!("expensive", value = counted(2));
}

#[test]
fn record_and_event_fields_are_not_evaluated_when_the_span_is_not_recording() {
    Capture::new()
        .sampler(Sampler::AlwaysOff)
        .run(records_expensively);
    records_expensively(); // outside any capture, nothing installed
    assert_eq!(EVALUATED.load(Ordering::SeqCst), 0);
    capture(records_expensively);
    assert_eq!(EVALUATED.load(Ordering::SeqCst), 2);
}

#[traced]
fn explicit_ok() -> Result<(), String> {
    set_status(Status::Ok);
    Err("handled upstream".to_owned())
}

#[traced]
fn explicit_error(found: bool) -> Option<u8> {
    if !found {
        set_status(Status::error("not found"));
    }
    found.then_some(1)
}

/// An explicit Error, then a returned error whose description sorts after it:
/// the SDK alone would keep the returned one.
#[traced]
fn explicit_error_then_err() -> Result<(), String> {
    set_status(Status::error("access denied"));
    Err("timeout while checking".to_owned())
}

/// Two Errors decided: the last one counts, though the SDK alone keeps the one
/// whose description sorts last; an `Unset` decides nothing (the API's rules).
#[traced]
fn changes_its_mind() -> Result<(), String> {
    set_status(Status::error("unreachable upstream"));
    set_status(Status::error("retried: rate limited"));
    set_status(Status::Unset);
    Err("upstream said no".to_owned())
}

/// `Ok` is final (the API's rules), also over a later decision.
#[traced]
fn ok_then_error() -> Result<(), String> {
    set_status(Status::Ok);
    set_status(Status::error("second thoughts"));
    Err("upstream said no".to_owned())
}

/// `Ok` set through the API by other code (a library the body calls) is final too.
#[traced]
fn ok_through_the_api_then_error() -> Result<(), String> {
    use otel_traced::opentelemetry::trace::TraceContextExt as _;
    otel_traced::opentelemetry::Context::map_current(|current| {
        current.span().set_status(Status::Ok);
    });
    set_status(Status::error("second thoughts"));
    Err("upstream said no".to_owned())
}

#[test]
fn set_status_wins_over_the_automatic_status() {
    let captured = capture(|| {
        let _ = explicit_ok();
        let _ = explicit_error_then_err();
        let _ = changes_its_mind();
        let _ = ok_then_error();
        let _ = ok_through_the_api_then_error();
        explicit_error(false)
    });
    let spans = captured.spans();
    assert_eq!(spans[0].status, Status::Ok);
    assert_eq!(
        spans[0].events.iter().map(|e| &*e.name).collect::<Vec<_>>(),
        ["exception"],
        "the error is still recorded as an event"
    );
    assert_eq!(spans[1].status, Status::error("access denied"));
    assert_eq!(
        spans[1].events.iter().map(|e| &*e.name).collect::<Vec<_>>(),
        ["exception"],
        "the returned error is still recorded as an event"
    );
    assert_eq!(spans[2].status, Status::error("retried: rate limited"));
    assert_eq!(spans[3].status, Status::Ok);
    assert_eq!(spans[4].status, Status::Ok, "Ok is final, whoever set it");
    assert_eq!(spans[5].status, Status::error("not found"));
}

#[traced]
fn import(rows: &[u32]) -> usize {
    let valid = in_span("validate", || rows.iter().filter(|r| **r > 0).count());
    in_span("store", || {
        record!(stored = valid);
        valid
    })
}

#[test]
fn in_span_opens_child_spans() {
    let captured = capture(|| import(&[1, 0, 3]));
    assert_eq!(*captured.output(), 2);
    let parent = captured.find("import").unwrap();
    let children = captured.children_of(parent);
    let names: Vec<&str> = children.iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["validate", "store"]);
    for child in &children {
        assert_child_of(child, parent);
        assert_eq!(attribute(child, "code.file.path"), Some(&string(file!())));
    }
    assert_eq!(attribute(children[1], "stored"), Some(&Value::I64(2)));
    assert_eq!(children[0].instrumentation_scope.name(), "otel-traced");
}

async fn fetch(n: u32) -> u32 {
    tokio::task::yield_now().await;
    record!(fetched = n);
    n
}

#[traced]
async fn refresh() -> u32 {
    in_span_async("fetch", fetch(4)).await + 1
}

#[tokio::test]
async fn in_span_async_covers_a_future() {
    let captured = capture_async(refresh()).await;
    assert_eq!(*captured.output(), 5);
    let parent = captured.find("refresh").unwrap();
    let child = captured.find("fetch").unwrap();
    assert_child_of(child, parent);
    assert_eq!(attribute(child, "fetched"), Some(&Value::I64(4)));
}

/// A traced function returning a future: its span opens when it is called.
#[traced]
fn load_later(n: u32) -> impl Future<Output = u32> {
    fetch(n)
}

#[tokio::test]
async fn in_span_async_is_the_parent_of_what_an_async_block_calls() {
    let captured = capture_async(async {
        let sibling = in_span_async("made before", load_later(1)).await;
        let child = in_span_async("made inside", async { load_later(2).await }).await;
        sibling + child
    })
    .await;
    assert_eq!(*captured.output(), 3);
    let loads: Vec<_> = captured
        .spans()
        .iter()
        .filter(|span| span.name == "load_later")
        .collect();
    assert_eq!(loads.len(), 2);
    let (before, inside) = (
        captured.find("made before").unwrap(),
        captured.find("made inside").unwrap(),
    );
    // Called before the span opened, as the documentation says.
    assert_eq!(loads[0].parent_span_id, before.parent_span_id);
    assert_child_of(loads[1], inside);
}

/// A future whose making takes work (a request built, signed): made when
/// `into_future` runs, which notes when it was done.
struct Signed(std::sync::Arc<std::sync::Mutex<Option<std::time::SystemTime>>>);

impl std::future::IntoFuture for Signed {
    type Output = u32;
    type IntoFuture = std::future::Ready<u32>;

    fn into_future(self) -> Self::IntoFuture {
        std::thread::sleep(std::time::Duration::from_millis(5));
        *self.0.lock().unwrap() = Some(std::time::SystemTime::now());
        std::future::ready(1)
    }
}

#[tokio::test]
async fn in_span_async_makes_the_future_before_its_span_opens() {
    let made = std::sync::Arc::default();
    let signed = Signed(std::sync::Arc::clone(&made));
    let captured = capture_async(async { in_span_async("send", signed).await }).await;
    assert_eq!(*captured.output(), 1);
    let made = made.lock().unwrap().expect("made");
    let send = captured.find("send").unwrap();
    assert!(send.start_time >= made, "the making is the caller's");
}
