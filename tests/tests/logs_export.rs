//! With OTLP configured, records of the `log` crate and events of `tracing` reach
//! the collector as log records linked to the span they were emitted in, and
//! exceptions follow `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN`. The logger, the
//! `tracing` subscriber and `init()` are process-wide: the tests take turns.

use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::trace::v1::Span;
use otel_traced::{Config, Guard, traced};
use otel_traced_tests::receiver::{Receiver, Transport, string_attribute, value};
use std::sync::{MutexGuard, Once};
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt as _;

#[derive(Debug)]
struct OutOfStock;

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("out of stock")
    }
}

impl std::error::Error for OutOfStock {}

#[traced]
fn checkout(order: u64) {
    log::info!(order; "checking out");
    tracing::info!(order, "reserving");
    tracing::info!(parent: None, "audited apart");
    let payment = tracing::info_span!("payment");
    payment.in_scope(|| {
        tracing::info!("card checked");
        tracing::error!("card declined once");
        // An `error` field, as `#[instrument(err(level = "warn"))]` records one
        // (displayed; tracing-opentelemetry quotes a `&str` value).
        tracing::warn!(error = %"card expired");
    });
    tracing::info!(parent: &payment, "charged");
}

#[traced]
fn reserve(sku: &str) -> Result<(), OutOfStock> {
    log::info!("reserving {sku}");
    Err(OutOfStock)
}

/// A `log` logger formatting each record, message and key-values, as any logger
/// does but printing nothing (only the export is under test here), and not enabled
/// for the target `noisy`, as env_logger is for a directive such as `noisy=warn`.
struct Silent;

impl log::Log for Silent {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() != "noisy"
    }

    fn log(&self, record: &log::Record<'_>) {
        struct Formatting;
        impl<'kvs> log::kv::VisitSource<'kvs> for Formatting {
            fn visit_pair(
                &mut self,
                key: log::kv::Key<'kvs>,
                value: log::kv::Value<'kvs>,
            ) -> Result<(), log::kv::Error> {
                if key.as_str() == "initial" {
                    assert_eq!(value.to_char(), Some('d'), "a value as it was given");
                }
                // As a logger formats: a value that fails leaves what it wrote.
                let mut text = String::new();
                let _ = std::fmt::Write::write_fmt(&mut text, format_args!("{value}"));
                Ok(())
            }
        }
        let _ = record.args().to_string();
        let _ = record.key_values().visit(&mut Formatting);
    }

    fn flush(&self) {}
}

/// A value that can be formatted once only, as itertools' `format` is.
struct FormattedOnce(std::cell::Cell<Option<&'static str>>);

impl std::fmt::Display for FormattedOnce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.take().expect("formatted once only"))
    }
}

/// Takes this test's turn, with the `log` logger and the `tracing` subscriber
/// set once for the process.
fn turn() -> MutexGuard<'static, ()> {
    static SET_UP: Once = Once::new();
    SET_UP.call_once(|| {
        log::set_logger(Box::leak(Box::new(otel_traced::log::with_trace_context(
            Silent,
        ))))
        .expect("the only logger");
        log::set_max_level(log::LevelFilter::Info);
        // Every level, so that the HTTP and gRPC clients' own events while they
        // export would be exported in turn if the export thread did not suppress
        // them: the exact counts below say they are not.
        let subscriber = tracing_subscriber::registry()
            .with(otel_traced::tracing::layer())
            .with(tracing_subscriber::filter::LevelFilter::TRACE);
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    });
    otel_traced_tests::installing_turn()
}

/// A pipeline over gRPC into a fresh receiver, with `extra` variables, in the
/// test's turn: the turn, the receiver, the guard.
fn over_grpc(extra: &[(&str, &str)]) -> (MutexGuard<'static, ()>, Receiver, Guard) {
    let turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, Transport::Grpc, extra);
    (turn, receiver, guard)
}

/// Spans and logs both to `receiver`, as a user would configure it: the traces
/// endpoint only (logs go beside), plus `extra` variables.
fn install(receiver: &Receiver, transport: Transport, extra: &[(&str, &str)]) -> Guard {
    let protocol = match transport {
        Transport::Grpc => "grpc",
        Transport::Http => "http/protobuf",
    };
    let endpoint = receiver.endpoint();
    let mut vars = vec![
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ];
    vars.extend_from_slice(extra);
    Config::from_vars(vars).install().expect("OTLP configured")
}

fn span<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| panic!("no span {name} in {spans:#?}"))
}

fn body(record: &LogRecord) -> &str {
    match record.body.as_ref().and_then(|body| body.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => text,
        _ => "",
    }
}

fn exception_records(records: &[LogRecord]) -> Vec<&LogRecord> {
    records
        .iter()
        .filter(|record| record.event_name == "exception")
        .collect()
}

/// The names of the spans the exception records were logged under, in order.
fn exceptions_logged_under<'a>(spans: &'a [Span], records: &[LogRecord]) -> Vec<&'a str> {
    exception_records(records)
        .into_iter()
        .map(|exception| {
            let span = spans
                .iter()
                .find(|span| span.span_id == exception.span_id)
                .expect("under a span exported");
            span.name.as_str()
        })
        .collect()
}

#[test]
fn log_records_and_tracing_events_arrive_linked_to_their_span_over_both_protocols() {
    let _turn = turn();
    // Its events seen first while no logs are exported (span events then): what
    // they are is decided at each event, not once for its call site.
    checkout(0);
    for transport in [Transport::Grpc, Transport::Http] {
        let receiver = Receiver::start(transport);
        let guard = install(&receiver, transport, &[]);
        log::info!("outside any span");
        {
            // A no-op span of the global API (no provider there): no trace.
            use otel_traced::opentelemetry::trace::{TraceContextExt as _, Tracer as _};
            let no_op = otel_traced::opentelemetry::global::tracer("middleware").start("no-op");
            let _no_op = otel_traced::opentelemetry::Context::current()
                .with_span(no_op)
                .attach();
            log::info!("under a no-op span");
            tracing::info!("an event under a no-op span");
        }
        log::info!(target: "noisy", "filtered out by the logger: not exported either");
        // Formatted once, for the logger and the export alike.
        log::warn!("stock low: {}", FormattedOnce(Some("lamps").into()));
        // Key-values reach the logger as they were given (a JSON logger keeps a
        // structured one), and the export.
        log::info!(item:% = "desk", initial = 'd', count = 3; "restocking");
        tracing::error!("payment gateway slow");
        checkout(42);
        // One export of each signal before the last, so that what the clients
        // emit while exporting would have a later export to travel in.
        guard.force_flush().expect("exported");
        guard.shutdown().expect("everything exported");

        let spans = receiver.spans();
        assert_eq!(spans.len(), 2, "{transport:?}: {spans:#?}");
        let (checkout, payment) = (span(&spans, "checkout"), span(&spans, "payment"));
        // The call's event is a log record alone, not its span event too.
        assert!(checkout.events.is_empty(), "{transport:?}: {checkout:#?}");
        let records = receiver.log_records();
        assert_eq!(records.len(), 13, "{transport:?}: {records:#?}");
        // A log line is no Event: no event name (the `tracing` bridge gives each
        // its call site's, `event tests/tests/logs_export.rs:29`), but an
        // exception's.
        for record in &records {
            assert!(
                ["", "exception"].contains(&record.event_name.as_str()),
                "{transport:?}: {record:#?}"
            );
            // Dated when it was emitted (not left at 0, 1970), the bridges' too.
            assert!(
                record.time_unix_nano > checkout.start_time_unix_nano - 60_000_000_000,
                "{transport:?}: {record:#?}"
            );
        }
        let find = |text: &str| {
            records
                .iter()
                .find(|record| body(record) == text)
                .unwrap_or_else(|| panic!("{transport:?}: no record {text:?} in {records:#?}"))
        };
        for outside in [
            find("outside any span"),
            find("under a no-op span"),
            find("an event under a no-op span"),
        ] {
            assert!(outside.trace_id.is_empty(), "{transport:?}: {outside:#?}");
            assert!(outside.span_id.is_empty(), "{transport:?}: {outside:#?}");
        }
        // A `tracing` span's events are log records, not span events too; an
        // error, or an event with an `error` field, is both, and makes its span's
        // status Error.
        let span_events: Vec<&str> = payment
            .events
            .iter()
            .map(|event| event.name.as_str())
            .collect();
        assert_eq!(
            span_events,
            ["card declined once", "exception"],
            "{transport:?}: {payment:#?}"
        );
        assert_eq!(
            payment
                .status
                .as_ref()
                .map(|status| (status.code, status.message.as_str())),
            Some((2, "card expired")),
            "STATUS_CODE_ERROR: {payment:#?}"
        );
        let exception = &payment.events[1];
        assert_eq!(
            string_attribute(&exception.attributes, "exception.message"),
            Some("card expired"),
            "{transport:?}: {exception:#?}"
        );
        for within in [find("card checked"), find("card declined once")] {
            assert_eq!(within.span_id, payment.span_id, "{transport:?}");
        }
        for inside in [find("checking out"), find("reserving")] {
            assert_eq!(inside.trace_id, checkout.trace_id, "{transport:?}");
            assert_eq!(inside.span_id, checkout.span_id, "{transport:?}");
            assert_eq!(
                value(&inside.attributes, "order"),
                Some(&any_value::Value::IntValue(42)),
                "{transport:?}: {inside:#?}"
            );
            assert_eq!(inside.severity_text, "INFO");
            assert_eq!(inside.severity_number, 9, "INFO");
        }
        // An event naming its span is that span's, not the current one's; one
        // naming none is the current one's, as any line inside the call.
        let charged = find("charged");
        assert_eq!(charged.trace_id, payment.trace_id, "{transport:?}");
        assert_eq!(charged.span_id, payment.span_id, "{transport:?}");
        let audited = find("audited apart");
        assert_eq!(audited.span_id, checkout.span_id, "{transport:?}");
        let restocking = find("restocking");
        assert_eq!(
            (
                string_attribute(&restocking.attributes, "item"),
                value(&restocking.attributes, "count")
            ),
            (Some("desk"), Some(&any_value::Value::IntValue(3))),
            "{transport:?}: {restocking:#?}"
        );
        // Both bridges map levels to the data model's severity numbers.
        for (text, severity, number) in [
            ("stock low: lamps", "WARN", 13),
            ("payment gateway slow", "ERROR", 17),
        ] {
            let record = find(text);
            assert_eq!(
                (record.severity_text.as_str(), record.severity_number),
                (severity, number),
                "{transport:?}: {record:#?}"
            );
        }
    }
}

/// The span `reserve` and the exception log records after one failing call,
/// under `OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN` (and any `extra` variables).
fn failing_call(opt_in: Option<&str>, extra: &[(&str, &str)]) -> (Span, Vec<LogRecord>) {
    let receiver = Receiver::start(Transport::Grpc);
    let mut vars = extra.to_vec();
    if let Some(opt_in) = opt_in {
        vars.push(("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", opt_in));
    }
    let guard = install(&receiver, Transport::Grpc, &vars);
    let _ = reserve("sku-1");
    guard.shutdown().expect("everything exported");
    let spans = receiver.wait_for_spans(1, Duration::from_secs(5));
    let records = receiver.log_records();
    (span(&spans, "reserve").clone(), records)
}

/// The type and message of `span`'s exception event.
fn exception_event(span: &Span) -> (Option<&str>, Option<&str>) {
    let event = span
        .events
        .iter()
        .find(|event| event.name == "exception")
        .expect("the exception event");
    (
        string_attribute(&event.attributes, "exception.type"),
        string_attribute(&event.attributes, "exception.message"),
    )
}

fn exception_events(span: &Span) -> usize {
    span.events
        .iter()
        .filter(|event| event.name == "exception")
        .count()
}

/// The exception record of the conventions, linked to the span that failed.
fn assert_exception_record_of(span: &Span, records: &[LogRecord]) {
    let exceptions = exception_records(records);
    assert_eq!(exceptions.len(), 1, "{records:#?}");
    let record = exceptions[0];
    assert_eq!(record.trace_id, span.trace_id);
    assert_eq!(record.span_id, span.span_id);
    // Dated within its span (as its span event would be), not left at 0.
    assert!(
        (span.start_time_unix_nano..=span.end_time_unix_nano).contains(&record.time_unix_nano),
        "{} not within {}..={}",
        record.time_unix_nano,
        span.start_time_unix_nano,
        span.end_time_unix_nano
    );
    assert_eq!(record.severity_text, "ERROR");
    assert_eq!(record.severity_number, 17, "SEVERITY_NUMBER_ERROR");
    assert_eq!(
        string_attribute(&record.attributes, "exception.type"),
        Some("logs_export::OutOfStock")
    );
    assert_eq!(
        string_attribute(&record.attributes, "exception.message"),
        Some("out of stock")
    );
}

#[test]
fn exceptions_are_span_events_when_the_opt_in_is_unset() {
    let _turn = turn();
    let (span, records) = failing_call(None, &[]);
    assert_eq!(exception_events(&span), 1);
    let bodies: Vec<&str> = records.iter().map(body).collect();
    assert_eq!(
        bodies,
        ["reserving sku-1"],
        "logs are exported, exceptions not: {records:#?}"
    );
    assert_eq!(
        exception_event(&span),
        (Some("logs_export::OutOfStock"), Some("out of stock")),
        "{span:#?}"
    );
    assert_eq!(
        string_attribute(&span.attributes, "error.type"),
        Some("logs_export::OutOfStock")
    );
}

#[test]
fn exceptions_are_log_records_linked_to_the_span_under_logs() {
    let _turn = turn();
    let (span, records) = failing_call(Some("logs"), &[]);
    assert_eq!(exception_events(&span), 0, "{span:#?}");
    assert_exception_record_of(&span, &records);
    assert_eq!(
        span.status.as_ref().map(|status| status.message.as_str()),
        Some("out of stock"),
        "the span's status does not depend on the signal"
    );
}

/// Without logs, a call's `tracing` event is its span event: what the call said
/// is in its trace still (one naming no span is no one's).
#[test]
fn without_logs_a_calls_tracing_events_are_its_span_events() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(
        &receiver,
        Transport::Grpc,
        &[("OTEL_LOGS_EXPORTER", "none")],
    );
    checkout(7);
    guard.shutdown().expect("everything exported");
    let spans = receiver.spans();
    let checkout = span(&spans, "checkout");
    let events: Vec<&str> = (checkout.events.iter())
        .map(|event| event.name.as_str())
        .collect();
    assert_eq!(events, ["reserving"], "{checkout:#?}");
    assert_eq!(
        value(&checkout.events[0].attributes, "order"),
        Some(&any_value::Value::IntValue(7))
    );
    assert!(receiver.log_records().is_empty());
}

/// An exception's record follows the conventions its span does, and says which,
/// as the span's scope does.
#[test]
fn an_exception_records_scope_names_the_conventions_it_follows() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(
        &receiver,
        Transport::Grpc,
        &[("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "logs")],
    );
    let _ = reserve("sku-1");
    guard.shutdown().expect("everything exported");
    let scopes = receiver.log_scopes();
    let ours: Vec<_> = scopes
        .iter()
        .filter(|scope| {
            scope
                .scope
                .as_ref()
                .is_some_and(|scope| scope.name == "otel-traced")
        })
        .collect();
    assert_eq!(ours.len(), 1, "{scopes:#?}");
    assert_eq!(
        exception_records(&ours[0].log_records).len(),
        1,
        "{scopes:#?}"
    );
    assert_eq!(
        ours[0].schema_url,
        "https://opentelemetry.io/schemas/1.44.0"
    );
}

#[test]
fn an_exception_record_is_cut_to_the_general_value_length_limit() {
    let _turn = turn();
    let (span, records) = failing_call(Some("logs"), &[("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "8")]);
    let exceptions = exception_records(&records);
    assert_eq!(exceptions.len(), 1, "{records:#?}");
    assert_eq!(
        string_attribute(&exceptions[0].attributes, "exception.type"),
        Some("logs_exp"),
        "{:#?}",
        exceptions[0]
    );
    assert_eq!(
        string_attribute(&span.attributes, "error.type"),
        Some("logs_exp")
    );
}

#[test]
fn an_exception_record_takes_the_log_records_limit_and_its_event_the_spans() {
    let _turn = turn();
    let (span, records) = failing_call(
        Some("logs/dup"),
        &[
            ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "3"),
            ("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "6"),
        ],
    );
    let exceptions = exception_records(&records);
    assert_eq!(exceptions.len(), 1, "{records:#?}");
    let attributes = &exceptions[0].attributes;
    assert_eq!(
        (
            string_attribute(attributes, "exception.type"),
            string_attribute(attributes, "exception.message"),
        ),
        (Some("logs_e"), Some("out of")),
        "{:#?}",
        exceptions[0]
    );
    assert_eq!(
        exception_event(&span),
        (Some("log"), Some("out")),
        "{span:#?}"
    );
}

#[test]
fn exceptions_are_both_under_logs_dup() {
    let _turn = turn();
    let (span, records) = failing_call(Some("logs/dup"), &[]);
    assert_eq!(exception_events(&span), 1, "{span:#?}");
    assert_exception_record_of(&span, &records);
}

#[test]
fn exceptions_stay_span_events_when_no_logs_are_exported() {
    let _turn = turn();
    let (span, records) = failing_call(Some("logs"), &[("OTEL_LOGS_EXPORTER", "none")]);
    assert_eq!(
        exception_events(&span),
        1,
        "not traded for records that go nowhere"
    );
    assert!(records.is_empty(), "{records:#?}");
}

#[test]
fn log_records_a_full_queue_drops_are_counted_and_said_at_shutdown() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    receiver.set_behaviour(otel_traced_tests::receiver::Behaviour::Slow(
        Duration::from_millis(200),
    ));
    let guard = install(
        &receiver,
        Transport::Grpc,
        &[
            ("OTEL_BLRP_MAX_QUEUE_SIZE", "4"),
            ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "4"),
            ("OTEL_BLRP_SCHEDULE_DELAY", "10"),
        ],
    );
    for number in 0..200 {
        log::info!(number; "a record of a busy loop");
    }
    let error = guard
        .shutdown()
        .expect_err("a queue of 4 dropped some of 200");
    let dropped = error.dropped_log_records();
    assert!(dropped > 0, "{error}");
    assert!(
        error
            .to_string()
            .contains(&format!("{dropped} log record(s) were not exported")),
        "{error}"
    );
    assert_eq!(
        receiver.log_records().len() as u64 + dropped,
        200,
        "every record exported or counted"
    );
}

#[test]
fn exceptions_of_calls_sampled_out_are_log_records_under_logs() {
    let (_turn, receiver, guard) = over_grpc(&[
        ("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "logs"),
        ("OTEL_TRACES_SAMPLER", "always_off"),
    ]);
    let _ = reserve("sku-1");
    let _ = futures::executor::block_on(reserve_later("sku-2"));
    let _ = std::panic::catch_unwind(|| reserve_or_fall("sku-3"));
    // A capture sampling out evaluates nothing: its error is not made a record.
    let described = std::sync::atomic::AtomicBool::new(false);
    let captured = otel_traced::testing::Capture::new()
        .sampler(otel_traced::sdk::trace::Sampler::AlwaysOff)
        .run(|| fails_described(&described));
    assert!(captured.spans().is_empty());
    assert!(
        !described.load(std::sync::atomic::Ordering::Relaxed),
        "nothing evaluated"
    );
    guard.shutdown().expect("everything exported");
    assert!(receiver.spans().is_empty(), "sampled out");
    let records = receiver.log_records();
    let exceptions = exception_records(&records);
    assert_eq!(
        exceptions.len(),
        3,
        "sampled apart from the spans: {records:#?}"
    );
    for (exception, (said, kind)) in exceptions.into_iter().zip([
        ("reserving sku-1", "logs_export::OutOfStock"),
        ("reserving sku-2 later", "logs_export::OutOfStock"),
        ("reserving sku-3 or falling", "panic"),
    ]) {
        let logged = records
            .iter()
            .find(|record| body(record) == said)
            .expect("the body's own record");
        assert_eq!(exception.trace_id.len(), 16, "{exception:#?}");
        assert_eq!(
            (&exception.trace_id, &exception.span_id),
            (&logged.trace_id, &logged.span_id),
            "linked to the call's unsampled span, as what its body logged: {said}"
        );
        assert_eq!(exception.flags & 1, 0, "not sampled");
        assert_eq!(
            string_attribute(&exception.attributes, "exception.type"),
            Some(kind)
        );
    }
}

#[traced]
fn reserve_or_fall(sku: &str) {
    log::info!("reserving {sku} or falling");
    panic!("the shelf fell");
}

/// An error whose message says when it was asked for.
struct Described<'a>(&'a std::sync::atomic::AtomicBool);

impl std::fmt::Debug for Described<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Described")
    }
}

impl std::fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        f.write_str("described")
    }
}

impl std::error::Error for Described<'_> {}

#[traced]
fn fails_described(described: &std::sync::atomic::AtomicBool) -> Result<(), Described<'_>> {
    Err(Described(described))
}

#[traced]
async fn reserve_later(sku: &str) -> Result<(), OutOfStock> {
    log::info!("reserving {sku} later");
    Err(OutOfStock)
}

#[test]
fn a_panic_through_a_carried_context_is_logged_once_by_each_call_it_unwinds() {
    let (_turn, receiver, guard) = over_grpc(&[("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "logs")]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    assert!(runtime.block_on(hand_off()), "the task panicked");
    let unwound = std::panic::catch_unwind(|| futures::executor::block_on(with_tenant()));
    assert!(unwound.is_err());
    guard.shutdown().expect("everything exported");
    let spans = receiver.spans();
    let records = receiver.log_records();
    let logged_under = exceptions_logged_under(&spans, &records);
    // Not by the task's spawn under `hand_off`, which only got a `JoinError`, nor
    // twice under `with_tenant` by the baggage's wrapper.
    assert_eq!(
        logged_under,
        ["fall_in_task", "fall_in_task", "with_tenant"],
        "{records:#?}"
    );
}

#[traced]
async fn hand_off() -> bool {
    otel_traced::spawn(fall_in_task())
        .await
        .is_err_and(|error| error.is_panic())
}

#[traced]
async fn with_tenant() {
    otel_traced::baggage::with_async([("tenant", "acme")], fall_in_task()).await;
}

#[traced]
async fn fall_in_task() {
    panic!("the task fell");
}

/// Panics when dropped: a transaction whose rollback fails.
struct RollsBackBadly;

impl Drop for RollsBackBadly {
    fn drop(&mut self) {
        panic!("the rollback fell");
    }
}

#[traced]
fn rows() -> impl futures::Stream<Item = u8> {
    let transaction = RollsBackBadly;
    futures::StreamExt::map(futures::stream::iter([1]), move |row| {
        let _ = &transaction;
        row
    })
}

#[traced]
fn counted() -> impl std::future::Future<Output = u8> {
    async { 1 }
}

#[traced]
async fn read_rows() {
    let mut rows = Box::pin(rows());
    while futures::StreamExt::next(&mut rows).await.is_some() {}
    drop(rows);
}

#[traced]
fn count_twice() {
    let mut count = std::pin::pin!(counted());
    let mut task = std::task::Context::from_waker(std::task::Waker::noop());
    assert_eq!(count.as_mut().poll(&mut task), std::task::Poll::Ready(1));
    let _ = count.as_mut().poll(&mut task);
}

#[test]
fn a_panic_after_a_call_ended_is_not_its_outcome() {
    let (_turn, receiver, guard) = over_grpc(&[("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "logs")]);
    // The drop of an ended stream's body, and a completed future polled again.
    let _ = std::panic::catch_unwind(|| futures::executor::block_on(read_rows()));
    let _ = std::panic::catch_unwind(count_twice);
    guard.shutdown().expect("everything exported");
    let spans = receiver.spans();
    let records = receiver.log_records();
    let logged_under = exceptions_logged_under(&spans, &records);
    // Each once, by the call it unwinds; the ended one's span did not fail.
    assert_eq!(logged_under, ["read_rows", "count_twice"], "{records:#?}");
    for ended in ["rows", "counted"] {
        let status = span(&spans, ended)
            .status
            .as_ref()
            .map_or(0, |status| status.code);
        assert_eq!(status, 0, "{ended}: unset");
    }
}

/// A stream whose first item panics and whose second is an error.
#[traced]
fn faltering() -> impl futures::Stream<Item = Result<u8, OutOfStock>> {
    futures::StreamExt::map(futures::stream::iter([1_u8, 2]), |n| match n {
        1 => panic!("faltered"),
        _ => Err(OutOfStock),
    })
}

#[test]
fn an_item_after_a_streams_call_ended_is_not_its_outcome() {
    let (_turn, receiver, guard) = over_grpc(&[("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "logs")]);
    let mut items = std::pin::pin!(faltering());
    let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures::executor::block_on(futures::StreamExt::next(&mut items))
    }));
    assert!(first.is_err(), "the panic went on unwinding");
    // The caller polls on after catching it.
    let second = futures::executor::block_on(futures::StreamExt::next(&mut items));
    assert!(matches!(second, Some(Err(OutOfStock))));
    guard.shutdown().expect("everything exported");
    let records = receiver.log_records();
    let exceptions = exception_records(&records);
    assert_eq!(exceptions.len(), 1, "the panic's only: {records:#?}");
}

#[test]
fn no_exception_record_is_made_where_telemetry_is_suppressed() {
    let (_turn, receiver, guard) = over_grpc(&[("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "logs")]);
    {
        // As an exporter's own calls run.
        let _suppressed = otel_traced::opentelemetry::Context::enter_telemetry_suppressed_scope();
        let _ = reserve("sku-9");
    }
    let _ = reserve("sku-10");
    guard.shutdown().expect("everything exported");
    let records = receiver.log_records();
    let exceptions = exception_records(&records);
    assert_eq!(exceptions.len(), 1, "{records:#?}");
    let logged = records
        .iter()
        .find(|record| body(record) == "reserving sku-10")
        .expect("the body's own record");
    assert_eq!(exceptions[0].span_id, logged.span_id);
}

#[test]
fn a_capture_keeps_its_exceptions_and_events_as_span_events_under_logs() {
    let (_turn, receiver, guard) = over_grpc(&[("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "logs")]);
    let captured = otel_traced::testing::capture(|| {
        let _ = reserve("sku-c");
        tracing::info_span!("tracked").in_scope(|| tracing::info!("noted"));
    });
    guard.shutdown().expect("everything exported");
    let reserved = captured.find("reserve").expect("its span");
    assert!(
        reserved
            .events
            .iter()
            .any(|event| event.name == "exception"),
        "isolated from the logs installed: {reserved:#?}"
    );
    let tracked = captured.find("tracked").expect("the tracing span");
    assert!(
        tracked.events.iter().any(|event| event.name == "noted"),
        "{tracked:#?}"
    );
    let records = receiver.log_records();
    assert!(
        records.is_empty(),
        "nor its log lines and events: {records:#?}"
    );
}

#[test]
fn flushing_the_logger_exports_the_records_queued() {
    // An export a minute away: only the flush sends the record now.
    let (_turn, receiver, guard) = over_grpc(&[("OTEL_BLRP_SCHEDULE_DELAY", "60000")]);
    log::error!("about to exit");
    log::logger().flush();
    let records = receiver.log_records();
    assert!(
        records.iter().any(|record| body(record) == "about to exit"),
        "exported by the flush, before any exit: {records:#?}"
    );
    guard.shutdown().expect("everything exported");
}

#[test]
fn a_bridged_record_is_held_to_the_log_record_limits() {
    let (_turn, receiver, guard) = over_grpc(&[
        ("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "4"),
        ("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "2"),
    ]);
    log::warn!(order = "abcdefgh", lines = 2, total = 30; "limited by the limits");
    tracing::warn!(
        order = "ijklmnop",
        lines = 2,
        total = 30,
        "limited by them too"
    );
    guard.shutdown().expect("everything exported");
    let records = receiver.log_records();
    for (said, order) in [
        ("limited by the limits", "abcd"),
        ("limited by them too", "ijkl"),
    ] {
        let record = records
            .iter()
            .find(|record| body(record) == said)
            .expect("exported");
        let keys: Vec<&str> = record.attributes.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["order", "lines"], "the first two, {said}");
        assert_eq!(string_attribute(&record.attributes, "order"), Some(order));
    }
}

/// A value whose `Display` fails after writing part of it.
struct FailsHalfway;

impl std::fmt::Display for FailsHalfway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("half")?;
        Err(std::fmt::Error)
    }
}

#[test]
fn a_record_whose_value_fails_to_format_is_exported_as_far_as_it_went() {
    let (_turn, receiver, guard) = over_grpc(&[]);
    log::warn!("written {FailsHalfway} and no further");
    guard.shutdown().expect("everything exported");
    let records = receiver.log_records();
    assert!(
        records.iter().any(|record| body(record) == "written half"),
        "{records:#?}"
    );
}

#[test]
fn a_log_record_says_where_it_was_logged() {
    let (_turn, receiver, guard) = over_grpc(&[]);
    let line = line!() + 1;
    log::warn!("located");
    guard.shutdown().expect("everything exported");
    let records = receiver.log_records();
    let located = records
        .iter()
        .find(|record| body(record) == "located")
        .expect("exported");
    assert_eq!(
        string_attribute(&located.attributes, "code.file.path"),
        Some(file!())
    );
    assert_eq!(
        value(&located.attributes, "code.line.number"),
        Some(&any_value::Value::IntValue(i64::from(line)))
    );
}

/// A value whose `Display` fails, as a formatter may (a closed pipe's, a bounded
/// writer's).
struct FailsToFormat;

impl std::fmt::Display for FailsToFormat {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Err(std::fmt::Error)
    }
}

#[test]
fn a_value_that_fails_to_format_costs_its_record_not_the_logging_call() {
    let (_turn, receiver, guard) = over_grpc(&[]);
    log::info!(peer:% = FailsToFormat; "retrying");
    tracing::info!(peer = %FailsToFormat, "retrying");
    log::info!("after the log record");
    tracing::info!("after the tracing event");
    guard.shutdown().expect("everything exported");
    let records = receiver.log_records();
    let bodies: Vec<&str> = records.iter().map(body).collect();
    assert!(bodies.contains(&"after the log record"), "{bodies:?}");
    assert!(bodies.contains(&"after the tracing event"), "{bodies:?}");
}
