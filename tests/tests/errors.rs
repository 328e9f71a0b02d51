//! `Result` outcomes: success leaves the status unset; an error sets status Error,
//! `error.type` and an `exception` event with the `source()` chain.

use otel_traced::opentelemetry::trace::Status;
use otel_traced::opentelemetry::{KeyValue, Value};
use otel_traced::sdk::trace::SpanData;
use otel_traced::testing::{capture, capture_async};
use otel_traced::traced;
use otel_traced_tests::{attribute, string};
use std::error::Error;
use std::fmt;

#[derive(Debug)]
struct Timeout;

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("upstream timed out")
    }
}

impl Error for Timeout {}

#[derive(Debug)]
struct PaymentFailed {
    cause: Timeout,
}

impl fmt::Display for PaymentFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("payment failed")
    }
}

impl Error for PaymentFailed {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.cause)
    }
}

/// The `exception` event's attributes, asserting there is exactly one such event.
fn exception(span: &SpanData) -> Vec<KeyValue> {
    let events: Vec<_> = span.events.iter().collect();
    assert_eq!(events.len(), 1, "expected one event on `{}`", span.name);
    assert_eq!(events[0].name, "exception");
    events[0].attributes.clone()
}

#[traced]
fn pay(fail: bool) -> Result<u32, PaymentFailed> {
    if fail {
        Err(PaymentFailed { cause: Timeout })
    } else {
        Ok(1)
    }
}

#[test]
fn success_leaves_the_status_unset_and_records_no_error() {
    let captured = capture(|| pay(false));
    let span = &captured.spans()[0];
    assert_eq!(span.status, Status::Unset);
    assert_eq!(attribute(span, "error.type"), None);
    assert!(span.events.is_empty());
}

#[test]
fn an_error_sets_status_error_type_and_exception_with_its_source_chain() {
    let captured = capture(|| pay(true));
    assert!(captured.output().is_err());
    let span = &captured.spans()[0];
    assert_eq!(span.status, Status::error("payment failed"));
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("errors::PaymentFailed"))
    );
    assert_eq!(
        exception(span),
        [
            KeyValue::new("exception.type", "errors::PaymentFailed"),
            KeyValue::new("exception.message", "payment failed: upstream timed out"),
        ]
    );
}

#[traced]
fn pay_naming_the_failure() -> Result<u32, PaymentFailed> {
    otel_traced::record!(error.type = "timeout");
    Err(PaymentFailed { cause: Timeout })
}

#[test]
fn an_error_type_the_body_records_is_the_spans() {
    let captured = capture(pay_naming_the_failure);
    let span = &captured.spans()[0];
    assert_eq!(span.status, Status::error("payment failed"));
    let error_types: Vec<_> = (span.attributes.iter())
        .filter(|attribute| attribute.key.as_str() == "error.type")
        .collect();
    assert_eq!(error_types, [&KeyValue::new("error.type", "timeout")]);
    assert_eq!(
        exception(span)[0],
        KeyValue::new("exception.type", "errors::PaymentFailed"),
        "the exception still says its type"
    );
}

#[traced]
fn naming_the_failure_then_panicking(index: usize) -> Result<u32, PaymentFailed> {
    otel_traced::record!(error.type = "timeout");
    let amounts = [1_u32];
    Ok(amounts[index])
}

#[test]
fn a_panic_after_the_body_recorded_an_error_type_is_a_panic() {
    let captured =
        capture(|| std::panic::catch_unwind(|| naming_the_failure_then_panicking(3)).is_err());
    assert!(captured.output());
    let span = &captured.spans()[0];
    assert_eq!(attribute(span, "error.type"), Some(&string("panic")));
}

#[traced]
fn supervise(worker: std::thread::JoinHandle<()>) -> std::thread::Result<()> {
    worker.join()
}

#[test]
fn a_panic_handed_on_as_an_error_is_described_by_its_message() {
    let worker = std::thread::spawn(|| panic!("worker {} gave up", 7));
    let captured = capture(|| supervise(worker));
    let span = &captured.spans()[0];
    assert_eq!(span.status, Status::error("worker 7 gave up"));
    let worker = std::thread::spawn(|| std::panic::panic_any(42));
    let captured = capture(|| supervise(worker));
    let span = &captured.spans()[0];
    assert_eq!(
        span.status,
        Status::error("panic with a non-string payload")
    );
}

/// An error whose text says its source's already, as thiserror's
/// `#[error("loading config: {0}")] Io(#[from] io::Error)` makes one.
#[derive(Debug)]
struct LoadingConfig(PaymentFailed);

impl fmt::Display for LoadingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "loading config: {}", self.0)
    }
}

impl Error for LoadingConfig {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

#[traced]
fn load_config() -> Result<(), LoadingConfig> {
    Err(LoadingConfig(PaymentFailed { cause: Timeout }))
}

#[test]
fn a_source_the_error_says_already_is_not_said_again() {
    let captured = capture(load_config);
    let span = &captured.spans()[0];
    assert_eq!(
        exception(span)[1],
        KeyValue::new(
            "exception.message",
            "loading config: payment failed: upstream timed out"
        )
    );
}

/// An error saying `text`, whose source says `cause`.
#[derive(Debug)]
struct Saying {
    text: String,
    cause: Option<Box<Saying>>,
}

impl fmt::Display for Saying {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Error for Saying {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause
            .as_deref()
            .map(|cause| cause as &(dyn Error + 'static))
    }
}

#[traced]
fn saying(text: &str, cause: &str) -> Result<(), Saying> {
    let cause = Saying {
        text: cause.to_owned(),
        cause: None,
    };
    Err(Saying {
        text: text.to_owned(),
        cause: Some(Box::new(cause)),
    })
}

/// A wrapper whose source is its one field, at its own address.
#[derive(Debug)]
struct Wrapping(std::io::Error);

impl fmt::Display for Wrapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("request failed")
    }
}

impl Error for Wrapping {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.0)
    }
}

#[traced]
fn request() -> Result<(), Wrapping> {
    Err(Wrapping(std::io::Error::other("connection refused")))
}

#[test]
fn a_source_that_is_its_errors_only_field_is_said() {
    let captured = capture(request);
    assert_eq!(
        exception(&captured.spans()[0])[1],
        KeyValue::new("exception.message", "request failed: connection refused")
    );
}

#[traced]
fn saying_through_a_silent_cause() -> Result<(), Saying> {
    let said = |text: &str, cause: Option<Saying>| Saying {
        text: text.to_owned(),
        cause: cause.map(Box::new),
    };
    Err(said(
        "loading config: not found",
        Some(said("", Some(said("not found", None)))),
    ))
}

#[test]
fn an_empty_cause_is_left_out_and_the_next_read_against_the_one_before_it() {
    let captured = capture(saying_through_a_silent_cause);
    assert_eq!(
        exception(&captured.spans()[0])[1],
        KeyValue::new("exception.message", "loading config: not found")
    );
}

#[test]
fn a_source_said_only_as_part_of_a_word_or_number_is_said_still() {
    let captured = capture(|| saying("exited with status 10", "0"));
    assert_eq!(
        exception(&captured.spans()[0])[1],
        KeyValue::new("exception.message", "exited with status 10: 0")
    );
}

#[test]
fn a_url_cut_in_its_user_information_is_left_out_of_a_chain_too() {
    // The cut at 4 096 characters falls after `https://admin:hu`.
    let text = format!(
        "{} https://admin:hunter2@db.internal/orders",
        "x".repeat(4_079)
    );
    let captured = capture(|| saying(&text, "refused"));
    let message = exception(&captured.spans()[0])[1].value.to_string();
    assert!(!message.contains("admin:h"), "{}", &message[4_000..]);
    assert_eq!(message.chars().count(), 4_096, "cut as one value is");
}

#[traced]
fn parse_sum(a: &str, b: &str) -> Result<u32, std::num::ParseIntError> {
    let a: u32 = a.parse()?;
    let b: u32 = b.parse()?;
    Ok(a + b)
}

#[test]
fn question_mark_early_returns_record_the_error() {
    let captured = capture(|| parse_sum("1", "x"));
    assert!(captured.output().is_err());
    let span = &captured.spans()[0];
    assert_eq!(span.status, Status::error("invalid digit found in string"));
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("core::num::error::ParseIntError"))
    );
    assert_eq!(captured.spans().len(), 1);
}

#[traced]
fn early_return(n: i32) -> Result<i32, std::io::Error> {
    if n < 0 {
        return Err(std::io::Error::other("negative"));
    }
    Ok(n)
}

#[test]
fn an_early_return_records_the_error_and_io_errors_name_their_type() {
    let captured = capture(|| (early_return(-1).is_err(), early_return(1).is_ok()));
    assert_eq!(*captured.output(), (true, true));
    let failed = &captured.spans()[0];
    assert_eq!(failed.status, Status::error("negative"));
    assert_eq!(
        attribute(failed, "error.type"),
        Some(&string("std::io::error::Error"))
    );
    assert_eq!(captured.spans()[1].status, Status::Unset);
}

#[traced]
fn boxed(fail: bool) -> Result<(), Box<dyn Error + Send + Sync>> {
    if fail {
        Err(Box::new(PaymentFailed { cause: Timeout }))
    } else {
        Ok(())
    }
}

#[test]
fn a_boxed_error_keeps_its_source_chain() {
    let captured = capture(|| boxed(true));
    let span = &captured.spans()[0];
    assert_eq!(span.status, Status::error("payment failed"));
    let message = exception(span)
        .into_iter()
        .find(|kv| kv.key.as_str() == "exception.message")
        .map(|kv| kv.value);
    assert_eq!(message, Some(string("payment failed: upstream timed out")));
}

#[traced]
fn boxed_send() -> Result<(), Box<dyn Error + Send>> {
    Err(Box::new(PaymentFailed { cause: Timeout }))
}

#[traced]
fn boxed_sync() -> Result<(), Box<dyn Error + Sync>> {
    Err(Box::new(PaymentFailed { cause: Timeout }))
}

#[traced]
fn boxed_local() -> Result<(), Box<dyn Error>> {
    Err(Box::new(PaymentFailed { cause: Timeout }))
}

#[test]
fn an_error_boxed_send_sync_or_alone_keeps_its_source_chain_too() {
    let captured = capture(|| {
        (
            boxed_send().is_err(),
            boxed_sync().is_err(),
            boxed_local().is_err(),
        )
    });
    for span in captured.spans() {
        assert_eq!(
            exception(span)[1],
            KeyValue::new("exception.message", "payment failed: upstream timed out"),
            "{}",
            span.name
        );
    }
    assert_eq!(captured.spans().len(), 3);
}

struct DisplayOnly;

impl fmt::Display for DisplayOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("shown")
    }
}

#[derive(Debug)]
struct DebugOnly {
    #[expect(dead_code, reason = "read only through the derived Debug")]
    code: u8,
}

struct Opaque;

#[traced]
fn display_only() -> Result<(), DisplayOnly> {
    Err(DisplayOnly)
}

#[traced]
fn debug_only() -> Result<(), DebugOnly> {
    Err(DebugOnly { code: 3 })
}

#[traced]
fn opaque() -> Result<(), Opaque> {
    Err(Opaque)
}

#[test]
fn errors_without_error_impl_use_display_then_debug_then_their_type_name() {
    let captured = capture(|| {
        let _ = display_only();
        let _ = debug_only();
        let _ = opaque();
    });
    let statuses: Vec<&Status> = captured.spans().iter().map(|s| &s.status).collect();
    assert_eq!(
        statuses,
        [
            &Status::error("shown"),
            &Status::error("DebugOnly { code: 3 }"),
            &Status::error("errors::Opaque"),
        ]
    );
}

type AppResult<T> = Result<T, Timeout>;

#[traced]
fn aliased_result() -> AppResult<()> {
    Err(Timeout)
}

#[traced]
fn io_result() -> std::io::Result<()> {
    Err(std::io::Error::other("disk full"))
}

#[test]
fn a_path_ending_in_result_is_recognised_and_other_aliases_are_not() {
    // DESIGN §3: the macro sees syntax; `AppResult` does not end in `Result`
    // (`err` opts such an alias in), `std::io::Result` does.
    let captured = capture(|| (aliased_result().is_err(), io_result().is_err()));
    assert_eq!(*captured.output(), (true, true));
    assert_eq!(captured.spans()[0].status, Status::Unset);
    assert_eq!(captured.spans()[1].status, Status::error("disk full"));
}

/// An application's own type that happens to be named `Result`.
mod verdict {
    #[derive(Debug)]
    pub enum Result {
        Pass,
        Fail(&'static str),
    }
}

#[traced(ret)]
fn judged(pass: bool) -> verdict::Result {
    if pass {
        verdict::Result::Pass
    } else {
        verdict::Result::Fail("too slow")
    }
}

#[traced(ret, err = false)]
async fn judged_later() -> verdict::Result {
    verdict::Result::Fail("later")
}

#[tokio::test]
async fn a_type_only_named_result_is_recorded_as_any_value() {
    // No `Err` is read from it: its value is the return value, the status unset.
    let captured =
        capture_async(async { (judged(true), judged(false), judged_later().await) }).await;
    assert!(matches!(
        captured.output(),
        (verdict::Result::Pass, verdict::Result::Fail("too slow"), verdict::Result::Fail(later))
            if *later == "later"
    ));
    let spans = captured.spans();
    let returned: Vec<_> = spans
        .iter()
        .map(|span| {
            (
                attribute(span, "return.value"),
                attribute(span, "error.type"),
                &span.status,
            )
        })
        .collect();
    assert_eq!(
        returned,
        [
            (Some(&string("Pass")), None, &Status::Unset),
            (Some(&string("Fail(\"too slow\")")), None, &Status::Unset),
            (Some(&string("Fail(\"later\")")), None, &Status::Unset),
        ]
    );
}

/// Recorded through `AsAttribute`, with no `Debug`.
struct OrderId(i64);

impl otel_traced::AsAttribute for OrderId {
    fn as_attribute(&self) -> Value {
        Value::I64(self.0)
    }
}

#[traced(ret)]
fn place_order() -> Result<OrderId, std::io::Error> {
    Ok(OrderId(7))
}

#[test]
fn ret_records_the_ok_value_of_a_result_that_is_not_debug() {
    let captured = capture(|| place_order().map(|id| id.0).ok());
    assert_eq!(*captured.output(), Some(7));
    assert_eq!(
        attribute(&captured.spans()[0], "return.value"),
        Some(&Value::I64(7))
    );
}

#[traced]
async fn fetch(fail: bool) -> Result<&'static str, Timeout> {
    std::future::ready(()).await;
    if fail { Err(Timeout) } else { Ok("body") }
}

#[tokio::test]
async fn async_errors_are_recorded() {
    let captured = capture_async(async { (fetch(true).await, fetch(false).await) }).await;
    let spans = captured.spans();
    assert_eq!(spans[0].status, Status::error("upstream timed out"));
    assert_eq!(
        attribute(&spans[0], "error.type"),
        Some(&string("errors::Timeout"))
    );
    assert_eq!(spans[1].status, Status::Unset);
    assert_eq!(attribute(&spans[1], "otel_traced.cancelled"), None);
}

#[traced]
fn panics(message: &str) {
    panic!("{message}");
}

#[test]
fn a_panic_ends_the_span_with_status_error_and_keeps_unwinding() {
    let captured = capture(|| std::panic::catch_unwind(|| panics("boom")).is_err());
    assert!(*captured.output(), "the panic went on unwinding");
    let span = &captured.spans()[0];
    assert_eq!(span.name, "panics");
    assert_eq!(span.status, Status::error("boom"));
    assert_eq!(attribute(span, "message"), Some(&Value::from("boom")));
}

/// An error whose every link prints 3 000 characters, a letter of its own.
#[derive(Debug)]
struct Verbose(u8);

impl fmt::Display for Verbose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&char::from(b'a' + self.0).to_string().repeat(3_000))
    }
}

impl Error for Verbose {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        // Ten links in all, each one the next's source.
        const CHAIN: [Verbose; 10] = [
            Verbose(1),
            Verbose(2),
            Verbose(3),
            Verbose(4),
            Verbose(5),
            Verbose(6),
            Verbose(7),
            Verbose(8),
            Verbose(9),
            Verbose(10),
        ];
        CHAIN
            .get(usize::from(self.0))
            .map(|next| next as &(dyn Error + 'static))
    }
}

#[traced]
fn verbose() -> Result<(), Verbose> {
    Err(Verbose(0))
}

#[test]
fn the_whole_source_chain_is_kept_within_the_formatting_bound() {
    let captured = capture(verbose);
    let span = &captured.spans()[0];
    let message = exception(span)
        .into_iter()
        .find(|kv| kv.key.as_str() == "exception.message")
        .map(|kv| kv.value.to_string())
        .expect("a message");
    assert_eq!(
        message.chars().count(),
        4096,
        "cut as one formatted value is (README: 4096 characters)"
    );
    assert!(message.starts_with(&format!("{}: b", "a".repeat(3_000))));
}

/// An error borrowing from the call's input.
#[derive(Debug)]
struct Unparsed<'a>(&'a str);

impl std::fmt::Display for Unparsed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read {:?}", self.0)
    }
}

impl std::error::Error for Unparsed<'_> {}

/// A boxed error that is not `'static`.
#[traced]
fn parse_borrowed<'a>(text: &'a str) -> Result<u8, Box<dyn std::error::Error + Send + Sync + 'a>> {
    text.parse::<u8>()
        .map_err(|_| Box::new(Unparsed(text)) as Box<_>)
}

/// The same, as a stream's item.
#[traced]
fn parse_all<'a>(
    texts: &'a [&'a str],
) -> impl futures::Stream<Item = Result<u8, Box<dyn std::error::Error + 'a>>> + 'a {
    futures::stream::iter(texts.iter().map(|text| {
        text.parse::<u8>()
            .map_err(|_| Box::new(Unparsed(text)) as Box<dyn std::error::Error + 'a>)
    }))
}

#[test]
fn a_boxed_error_borrowing_from_the_call_is_recorded_too() {
    let captured = capture(|| parse_borrowed("x").is_err());
    assert_eq!(
        captured.spans()[0].status,
        Status::error("cannot read \"x\"")
    );
    let texts = ["1", "y"];
    let captured = capture(|| {
        use futures::StreamExt as _;
        futures::executor::block_on(parse_all(&texts).count())
    });
    assert_eq!(
        captured.spans()[0].status,
        Status::error("cannot read \"y\"")
    );
}

/// A URL with a password and a signature, as a client's error names it.
const SIGNED_URL: &str = "https://ada:pw@s3.example.com/report%20(1).pdf?X-Amz-Signature=abc";
const REDACTED_URL: &str =
    "https://REDACTED:REDACTED@s3.example.com/report%20(1).pdf?X-Amz-Signature=REDACTED";

#[traced]
fn fetch_report() {
    panic!("fetching {SIGNED_URL} failed");
}

#[otel_traced::traced_rpc(service = "shop.v1.Reports")]
fn serve_report(request: tonic::Request<()>) -> Result<tonic::Response<()>, tonic::Status> {
    let _ = request;
    Err(tonic::Status::internal(format!(
        "upstream {SIGNED_URL} refused"
    )))
}

#[test]
fn urls_in_panic_and_grpc_status_messages_are_recorded_redacted() {
    let panicked = capture(|| std::panic::catch_unwind(fetch_report).is_err());
    let served = capture(|| serve_report(tonic::Request::new(())).is_err());
    assert!(*panicked.output() && *served.output());
    for (captured, name) in [
        (panicked.spans(), "fetch_report"),
        (served.spans(), "Reports"),
    ] {
        let span = captured
            .iter()
            .find(|span| span.name.contains(name))
            .expect("its span");
        let Status::Error { description } = &span.status else {
            panic!("{:?}", span.status);
        };
        assert!(description.contains(REDACTED_URL), "{description}");
        assert!(!description.contains("pw@") && !description.contains("=abc"));
    }
    let fell = &panicked.spans()[0];
    let message = fell
        .events
        .iter()
        .find(|event| event.name == "exception")
        .and_then(|event| {
            event
                .attributes
                .iter()
                .find(|attribute| attribute.key.as_str() == "exception.message")
        })
        .map(|attribute| attribute.value.as_str().into_owned())
        .expect("the panic's exception");
    assert!(message.contains(REDACTED_URL), "{message}");
}
