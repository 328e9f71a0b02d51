//! Panics inside instrumented code are recorded on the span and go on unwinding.

use otel_traced::opentelemetry::trace::Status;
use otel_traced::opentelemetry::{KeyValue, Value};
use otel_traced::sdk::trace::SpanData;
use otel_traced::testing::{capture, capture_async};
use otel_traced::traced;
use otel_traced_tests::{attribute, string};

/// The panic's `exception` event attributes.
fn exception(span: &SpanData) -> Vec<KeyValue> {
    let events: Vec<_> = span.events.iter().collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].name, "exception");
    events[0].attributes.clone()
}

/// [`exception`] without its stack trace, which the developer's `RUST_BACKTRACE`
/// decides.
fn exception_told(span: &SpanData) -> Vec<KeyValue> {
    let mut told = exception(span);
    told.retain(|attribute| attribute.key.as_str() != "exception.stacktrace");
    told
}

/// Line and column (1-based) of the first `panic!` in this file whose message
/// starts with `message`: where the recorded location must point.
fn location_of_panic(message: &str) -> (i64, i64) {
    let needle = format!("panic!(\"{message}");
    include_str!("panics.rs")
        .lines()
        .enumerate()
        .find_map(|(index, line)| {
            let column = line.find(&needle)?;
            Some((index as i64 + 1, column as i64 + 1))
        })
        .expect("the panic is in this file")
}

#[traced]
fn divide(a: u32, b: u32) -> u32 {
    if b == 0 {
        panic!("cannot divide {a} by zero")
    }
    a / b
}

#[traced]
fn calculator(b: u32) -> u32 {
    divide(10, b)
}

#[test]
fn a_panic_in_a_sync_fn_is_recorded_with_its_message_and_location_and_still_unwinds() {
    let (line, column) = location_of_panic("cannot divide");
    let captured = capture(|| std::panic::catch_unwind(|| calculator(0)));
    let payload = captured
        .output()
        .as_ref()
        .expect_err("the panic went on unwinding");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("cannot divide 10 by zero")
    );
    for name in ["divide", "calculator"] {
        let span = captured.find(name).unwrap();
        assert_eq!(
            span.status,
            Status::error("cannot divide 10 by zero"),
            "{name}"
        );
        assert_eq!(
            attribute(span, "error.type"),
            Some(&string("panic")),
            "{name}"
        );
        assert_eq!(
            exception_told(span),
            [
                KeyValue::new("exception.type", "panic"),
                KeyValue::new("exception.message", "cannot divide 10 by zero"),
                KeyValue::new("code.file.path", file!()),
                KeyValue::new("code.line.number", line),
                KeyValue::new("code.column.number", column),
            ],
            "{name}: the location reaches every span the panic unwinds through"
        );
    }
}

#[traced]
fn check_rows(rows: &[u32]) {
    panic!("unexpected rows {rows:?}");
}

#[test]
fn a_long_panic_message_is_cut_as_an_errors_is_and_keeps_its_location() {
    let (line, _) = location_of_panic("unexpected rows");
    let rows = vec![7; 100_000];
    let captured = capture(|| std::panic::catch_unwind(|| check_rows(&rows)));
    let message = format!("unexpected rows {rows:?}");
    let cut: String = message.chars().take(4096).collect();
    let span = captured.find("check_rows").unwrap();
    assert_eq!(span.status, Status::error(cut.clone()));
    let exception = exception(span);
    assert_eq!(exception[1], KeyValue::new("exception.message", cut));
    assert_eq!(exception[3], KeyValue::new("code.line.number", line));
}

#[traced]
async fn async_divide(a: u32, b: u32) -> u32 {
    tokio::task::yield_now().await;
    if b == 0 {
        panic!("async division by zero");
    }
    a / b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_an_async_fn_polled_by_tokio_is_recorded_and_surfaces_as_a_join_error() {
    let captured = capture_async(async {
        let task = tokio::spawn(
            otel_traced::opentelemetry::context::FutureExt::with_current_context(async_divide(
                1, 0,
            )),
        );
        task.await
    })
    .await;
    let error = captured.output().as_ref().expect_err("the task panicked");
    assert!(error.is_panic());
    let span = captured.find("async_divide").unwrap();
    assert_eq!(span.status, Status::error("async division by zero"));
    let event = exception(span);
    assert_eq!(
        event[1],
        KeyValue::new("exception.message", "async division by zero")
    );
    assert_eq!(event[2], KeyValue::new("code.file.path", file!()));
    assert_eq!(attribute(span, "a"), Some(&Value::I64(1)));
    assert_eq!(attribute(span, "otel_traced.cancelled"), None);
}

#[traced]
fn panics_with_a_value() {
    std::panic::panic_any(42_u8);
}

#[test]
fn a_panic_without_a_string_payload_says_so() {
    let captured = capture(|| std::panic::catch_unwind(panics_with_a_value).is_err());
    assert!(*captured.output());
    assert_eq!(
        captured.spans()[0].status,
        Status::error("panic with a non-string payload")
    );
}

#[traced]
async fn fails_after_a_yield() {
    tokio::task::yield_now().await;
    panic!("failed after a yield");
}

#[traced]
async fn waits_forever() {
    std::future::pending::<()>().await;
}

/// A function returning a future: its span lives in the wrapper it returns, which
/// outlives a panic its caller catches.
#[traced]
fn fails_later() -> impl std::future::Future<Output = ()> {
    async {
        tokio::task::yield_now().await;
        panic!("failed later");
    }
}

#[test]
fn after_a_poll_that_panicked_no_span_is_left_current_and_the_span_ended_once() {
    use futures::FutureExt as _;
    use otel_traced::opentelemetry::trace::TraceContextExt as _;
    let captured = capture(|| {
        let caught =
            futures::executor::block_on(std::panic::AssertUnwindSafe(fails_later()).catch_unwind());
        (
            caught.is_err(),
            otel_traced::opentelemetry::Context::current().has_active_span(),
        )
    });
    assert_eq!(*captured.output(), (true, false));
    assert_eq!(captured.spans().len(), 1, "{:?}", captured.spans());
}

#[test]
fn a_future_whose_panic_was_caught_is_not_taken_for_a_cancelled_one() {
    use futures::FutureExt as _;
    let captured = capture(|| {
        let future = std::panic::AssertUnwindSafe(fails_later()).catch_unwind();
        // The caller catches the panic and drops the future afterwards.
        futures::executor::block_on(future).is_err()
    });
    assert!(*captured.output(), "the panic reached the caller");
    let span = captured.find("fails_later").unwrap();
    assert_eq!(span.status, Status::error("failed later"));
    assert_eq!(attribute(span, "otel_traced.cancelled"), None);
}

#[test]
fn a_future_dropped_while_another_panics_is_cancelled() {
    let captured = capture(|| {
        std::panic::catch_unwind(|| {
            futures::executor::block_on(async {
                futures::join!(waits_forever(), fails_after_a_yield());
            });
        })
        .is_err()
    });
    assert!(*captured.output());
    let waiting = captured.find("waits_forever").unwrap();
    assert_eq!(
        attribute(waiting, "otel_traced.cancelled"),
        Some(&Value::Bool(true)),
        "it never completed: dropped by its sibling's panic"
    );
    assert_eq!(waiting.status, Status::Unset);
    let failing = captured.find("fails_after_a_yield").unwrap();
    assert_eq!(attribute(failing, "otel_traced.cancelled"), None);
    assert_eq!(failing.status, Status::error("failed after a yield"));
}

/// Panics when dropped: a transaction whose rollback fails.
struct FailingRollback;

impl Drop for FailingRollback {
    fn drop(&mut self) {
        panic!("rollback failed");
    }
}

#[traced]
async fn holds_a_transaction() {
    let _transaction = FailingRollback;
    std::future::pending::<()>().await;
}

#[traced]
fn streams_under_a_transaction() -> impl futures::Stream<Item = u8> {
    use futures::StreamExt as _;
    let transaction = FailingRollback;
    futures::stream::pending::<u8>().map(move |item| {
        let _ = &transaction;
        item
    })
}

#[test]
fn a_panic_while_a_call_given_up_drops_its_body_is_the_calls_outcome() {
    use futures::StreamExt as _;
    let captured = capture(|| {
        use std::future::Future as _;
        let mut future = Box::pin(holds_a_transaction());
        let mut stream = streams_under_a_transaction();
        let waker = futures::task::noop_waker();
        let mut context = std::task::Context::from_waker(&waker);
        assert!(future.as_mut().poll(&mut context).is_pending());
        assert!(stream.poll_next_unpin(&mut context).is_pending());
        // Given up (a timeout, a client gone): their bodies are dropped.
        let future = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(future)));
        let stream = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(stream)));
        (future.is_err(), stream.is_err())
    });
    assert_eq!(
        *captured.output(),
        (true, true),
        "the panics reach the caller"
    );
    for name in ["holds_a_transaction", "streams_under_a_transaction"] {
        let span = captured.find(name).unwrap();
        assert_eq!(span.status, Status::error("rollback failed"), "{name}");
        assert_eq!(
            attribute(span, "error.type"),
            Some(&string("panic")),
            "{name}"
        );
        assert_eq!(attribute(span, "otel_traced.cancelled"), None, "{name}");
        assert_eq!(
            exception(span)[0],
            KeyValue::new("exception.type", "panic"),
            "{name}"
        );
    }
    assert_eq!(captured.spans().len(), 2);
}

#[traced]
fn reraises(payload: &'static str) {
    // Unwinds without a panic hook running, as re-raising a caught panic does.
    std::panic::resume_unwind(Box::new(payload));
}

#[test]
fn a_panic_that_skipped_the_hook_gets_no_location_of_an_earlier_one() {
    let captured = capture(|| {
        // An earlier panic, caught outside any span: the hook saw it.
        let _ = std::panic::catch_unwind(|| panic!("earlier, unrelated"));
        let reraised = std::panic::catch_unwind(|| reraises("re-raised")).is_err();
        // A panic the hook sees, in the same capture: its location is recorded.
        reraised && std::panic::catch_unwind(|| divide(1, 0)).is_err()
    });
    assert!(*captured.output());
    let span = captured.find("reraises").unwrap();
    assert_eq!(span.status, Status::error("re-raised"));
    let has_location = |span| {
        exception(span)
            .iter()
            .any(|kv| kv.key.as_str() == "code.file.path")
    };
    assert!(!has_location(span), "{:?}", exception(span));
    assert!(has_location(captured.find("divide").unwrap()));
}

#[traced]
fn unwraps_nothing() -> u8 {
    std::hint::black_box(None::<u8>).unwrap()
}

#[traced]
fn reraises_caught(payload: Box<dyn std::any::Any + Send>) {
    std::panic::resume_unwind(payload);
}

#[test]
fn a_reraised_panic_gets_no_location_of_an_earlier_one_with_its_message() {
    let captured = capture(|| {
        // Recorded by a span, which hands the location back for the spans further
        // out of the same unwind: none here.
        let _ = std::panic::catch_unwind(unwraps_nothing);
        // The same message, from another thread's panic, re-raised here.
        let caught = std::thread::spawn(|| std::hint::black_box(None::<u8>).unwrap())
            .join()
            .expect_err("it panicked");
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reraises_caught(caught))).is_err()
    });
    assert!(*captured.output());
    let has_location = |span| {
        exception(span)
            .iter()
            .any(|kv| kv.key.as_str() == "code.file.path")
    };
    let earlier = captured.find("unwraps_nothing").unwrap();
    assert!(has_location(earlier));
    let span = captured.find("reraises_caught").unwrap();
    assert_eq!(span.status, earlier.status, "the same message");
    assert!(!has_location(span), "{:?}", exception(span));
}

/// A panic's payload of no size (an application's marker type).
struct Stop;

#[traced]
fn stops() {
    std::panic::panic_any(Stop);
}

#[test]
fn a_reraised_zero_sized_payload_gets_no_location_of_an_earlier_one() {
    let captured = capture(|| {
        let _ = std::panic::catch_unwind(stops);
        std::panic::catch_unwind(|| reraises_caught(Box::new(Stop))).is_err()
    });
    assert!(*captured.output());
    let has_location = |span| {
        exception(span)
            .iter()
            .any(|kv| kv.key.as_str() == "code.file.path")
    };
    assert!(has_location(captured.find("stops").unwrap()));
    let span = captured.find("reraises_caught").unwrap();
    assert!(!has_location(span), "{:?}", exception(span));
}

/// A value whose attribute cannot be made: its `AsAttribute` panics.
struct Unrecordable;

/// How often an `Unrecordable`'s attribute was asked for.
static UNRECORDABLE_ASKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl otel_traced::AsAttribute for Unrecordable {
    fn as_attribute(&self) -> Value {
        UNRECORDABLE_ASKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        panic!("no attribute for this one")
    }
}

/// Records `value` when its span opens, then `count` (after it: not reached).
#[traced]
fn takes_unrecordable(value: Unrecordable, count: u8) -> u8 {
    let _ = value;
    count + 1
}

/// Records what it returns when the call's outcome is recorded.
#[traced(ret)]
fn returns_unrecordable() -> Unrecordable {
    Unrecordable
}

#[traced(ret)]
async fn returns_unrecordable_async() -> Unrecordable {
    tokio::task::yield_now().await;
    Unrecordable
}

#[test]
fn a_panic_while_recording_a_value_does_not_become_the_programs() {
    let captured = capture(|| {
        let sum = takes_unrecordable(Unrecordable, 1);
        let _ = returns_unrecordable();
        let _ = futures::executor::block_on(returns_unrecordable_async());
        sum
    });
    assert_eq!(*captured.output(), 2, "the body ran and returned");
    assert_eq!(
        UNRECORDABLE_ASKED.load(std::sync::atomic::Ordering::Relaxed),
        3,
        "each value was asked for once"
    );
    let opened = captured.find("takes_unrecordable").expect("its span");
    assert_eq!(attribute(opened, "value"), None);
    assert_eq!(attribute(opened, "count"), None, "not reached");
    assert_eq!(opened.status, Status::Unset);
    for name in ["returns_unrecordable", "returns_unrecordable_async"] {
        let spans: Vec<_> = captured
            .spans()
            .iter()
            .filter(|span| span.name == name)
            .collect();
        assert_eq!(spans.len(), 1, "{name} ended once");
        assert_eq!(attribute(spans[0], "return.value"), None, "{name}");
        assert_eq!(spans[0].status, Status::Unset, "{name}");
        assert_eq!(attribute(spans[0], "otel_traced.cancelled"), None, "{name}");
    }
}

/// An error whose `source()` panics.
#[derive(Debug)]
struct Tangled;

impl std::fmt::Display for Tangled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tangled")
    }
}

impl std::error::Error for Tangled {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        panic!("no source to give")
    }
}

#[traced]
fn fails_tangled() -> Result<(), Tangled> {
    Err(Tangled)
}

#[test]
fn a_panic_while_reporting_an_error_still_records_the_failure() {
    let captured = capture(fails_tangled);
    assert!(captured.output().is_err(), "returned, not unwound");
    let span = captured.find("fails_tangled").expect("its span");
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("panics::Tangled"))
    );
    assert_eq!(span.status, Status::error("<formatting panicked>"));
}

/// Records a value, then one whose expression panics (an index out of range), then
/// adds an event whose field panics too.
#[traced]
fn records_past_a_panic(values: &[u64]) -> usize {
    otel_traced::record!(first = values[0], missing = values[99]);
    otel_traced::event!("looked up", missing = values[99]);
    values.len()
}

#[test]
fn a_panic_in_what_record_or_event_evaluates_stays_out_of_the_call() {
    // Whether the fields are evaluated depends on sampling: their panic must not
    // change what the call does.
    let captured = capture(|| records_past_a_panic(&[5]));
    assert_eq!(*captured.output(), 1);
    let span = captured.find("records_past_a_panic").expect("the span");
    assert_eq!(span.status, Status::Unset);
    assert_eq!(attribute(span, "first"), Some(&Value::I64(5)), "kept");
    assert_eq!(attribute(span, "missing"), None);
    let events: Vec<&str> = span.events.iter().map(|event| &*event.name).collect();
    assert_eq!(events, ["looked up"]);
}

/// A test's cleanup, capturing a call when a failing test unwinds through it.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        let captured = capture(|| calculator(2));
        assert_eq!(*captured.output(), 5);
        assert_eq!(captured.spans().len(), 2);
    }
}

/// The process's first capture chains the panic hook: in a child process.
#[test]
fn a_first_capture_made_while_a_panic_unwinds_does_not_abort() {
    if std::env::var_os(otel_traced_tests::CHILD).is_none() {
        otel_traced_tests::passes_in_a_child_process(
            "a_first_capture_made_while_a_panic_unwinds_does_not_abort",
            &[],
        );
        return;
    }
    let failed = std::panic::catch_unwind(|| {
        let _cleanup = Cleanup;
        panic!("a failing test");
    });
    assert!(failed.is_err());
    // The hook is chained by a later capture: a panic's location is recorded.
    let captured = capture(|| std::panic::catch_unwind(|| calculator(0)));
    let span = captured.find("divide").unwrap();
    assert!(
        exception(span).contains(&KeyValue::new("code.file.path", file!())),
        "{:?}",
        exception(span)
    );
}

/// The panic hook is the process's: the application may replace the one that
/// chained ours, so a child process does.
#[test]
fn a_panic_is_recorded_whatever_hook_the_application_sets_after_ours() {
    if std::env::var_os(otel_traced_tests::CHILD).is_none() {
        otel_traced_tests::passes_in_a_child_process(
            "a_panic_is_recorded_whatever_hook_the_application_sets_after_ours",
            &[],
        );
        return;
    }
    // The first capture chains our hook; the application then replaces it.
    let _ = capture(|| calculator(1));
    std::panic::set_hook(Box::new(|_| {}));
    let captured = capture(|| std::panic::catch_unwind(|| calculator(0)));
    assert!(captured.output().is_err(), "the panic went on unwinding");
    for name in ["divide", "calculator"] {
        let span = captured.find(name).unwrap();
        assert_eq!(span.status, Status::error("cannot divide 10 by zero"));
        assert_eq!(attribute(span, "error.type"), Some(&string("panic")));
        let exception = exception(span);
        assert!(
            exception.contains(&KeyValue::new(
                "exception.message",
                "cannot divide 10 by zero"
            )),
            "{exception:?}"
        );
        // Only the hook sees where a panic happened.
        assert!(
            !exception
                .iter()
                .any(|attribute| attribute.key.as_str() == "code.file.path"),
            "{exception:?}"
        );
    }
}

#[traced]
fn settled_then_broken() {
    otel_traced::set_status(Status::Ok);
    panic!("broken after the status was set")
}

#[test]
fn a_status_set_ok_stays_ok_after_a_panic_which_is_still_recorded() {
    let captured = capture(|| std::panic::catch_unwind(settled_then_broken));
    assert!(captured.output().is_err(), "the panic went on unwinding");
    let span = captured.find("settled_then_broken").unwrap();
    assert_eq!(span.status, Status::Ok, "the specification makes Ok final");
    assert_eq!(attribute(span, "error.type"), Some(&string("panic")));
    let message = exception(span)
        .into_iter()
        .find(|kv| kv.key.as_str() == "exception.message")
        .map(|kv| kv.value);
    assert_eq!(
        message,
        Some(Value::from("broken after the status was set"))
    );
}

/// A panic's stack trace, where backtraces are asked for: in child processes, as
/// the standard library reads `RUST_BACKTRACE` once.
#[test]
fn a_panic_records_its_stack_trace_where_backtraces_are_asked_for() {
    const NAME: &str = "a_panic_records_its_stack_trace_where_backtraces_are_asked_for";
    let Some(asked) = std::env::var_os(otel_traced_tests::CHILD).and(std::env::var_os("ASKED"))
    else {
        for asked in ["1", "0"] {
            otel_traced_tests::passes_in_a_child_process(
                NAME,
                &[
                    ("ASKED", asked),
                    ("RUST_BACKTRACE", asked),
                    ("RUST_LIB_BACKTRACE", asked),
                ],
            );
        }
        return;
    };
    let captured = capture(|| std::panic::catch_unwind(|| calculator(0)));
    let [divide, calculator] = ["divide", "calculator"].map(|name| {
        let exception = exception(captured.find(name).unwrap());
        exception
            .iter()
            .find(|attribute| attribute.key.as_str() == "exception.stacktrace")
            .map(|attribute| attribute.value.to_string())
    });
    if asked == "1" {
        let stacktrace = divide.expect("a stack trace");
        assert!(
            stacktrace.contains("panics::divide") && stacktrace.contains("panics::calculator"),
            "where it started, and through what: {stacktrace}"
        );
        assert_eq!(calculator, Some(stacktrace), "one stack, for every span");
    } else {
        assert_eq!((divide, calculator), (None, None), "not asked for");
    }
}
