//! One tree with the `tracing` crate: a `tracing` span opened inside a `#[traced]`
//! call is its child, a `#[traced]` call inside an entered `tracing` span is that
//! span's child, sync and async; formatted lines carry the ids of the span they
//! were written in. Each test sets its subscriber for its own thread only.

use otel_traced::opentelemetry::Context;
use otel_traced::opentelemetry::trace::{Status, TraceContextExt as _};
use otel_traced::testing::{Capture, capture, capture_async};
use otel_traced::traced;
use otel_traced_tests::{SamplesByName, assert_child_of};
use std::sync::{Arc, Mutex};
use tracing::Instrument as _;
use tracing_subscriber::layer::SubscriberExt as _;

#[traced]
fn load_cart(cart_id: u64) -> usize {
    let query = tracing::info_span!("SELECT carts", db.system.name = "postgresql");
    let _entered = query.enter();
    tracing::info!("query planned");
    price(cart_id)
}

#[traced]
fn price(cart_id: u64) -> usize {
    tracing::info!(cart_id, "pricing");
    3
}

#[traced]
async fn ship(order_id: u64) -> u64 {
    order_id
}

fn bridged()
-> impl tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a> + Send + Sync {
    tracing_subscriber::registry().with(otel_traced::tracing::layer())
}

#[test]
fn a_tracing_span_inside_a_traced_call_and_a_traced_call_inside_it_form_one_tree() {
    let captured = tracing::subscriber::with_default(bridged(), || capture(|| load_cart(7)));
    assert_eq!(*captured.output(), 3);
    let (outer, query, inner) = (
        captured.find("load_cart").expect("the traced call"),
        captured.find("SELECT carts").expect("the tracing span"),
        captured.find("price").expect("the traced call inside it"),
    );
    assert_eq!(captured.spans().len(), 3, "{}", captured.tree());
    assert_child_of(query, outer);
    assert_child_of(inner, query);
    assert_eq!(query.span_context.trace_id(), outer.span_context.trace_id());
    assert_eq!(inner.span_context.trace_id(), outer.span_context.trace_id());
    assert_eq!(
        otel_traced_tests::attribute(query, "db.system.name"),
        Some(&otel_traced::opentelemetry::Value::from("postgresql"))
    );
    // No logs exported: a `tracing` span's event is its span event.
    let events: Vec<&str> = query.events.iter().map(|event| &*event.name).collect();
    assert_eq!(events, ["query planned"]);
}

#[test]
fn a_tracing_span_under_a_no_op_span_of_the_global_api_is_a_root_as_ours_are() {
    use otel_traced::opentelemetry::trace::noop::NoopSpan;
    use otel_traced::sdk::trace::Sampler;
    let captured = tracing::subscriber::with_default(bridged(), || {
        Capture::new()
            .sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
            .run(|| {
                let _no_op = Context::current().with_span(NoopSpan::DEFAULT).attach();
                tracing::info_span!("GET /cart").in_scope(|| price(1))
            })
    });
    let request = captured.find("GET /cart").expect("recorded, not dropped");
    assert_eq!(
        request.parent_span_id,
        otel_traced::opentelemetry::trace::SpanId::INVALID
    );
    assert_child_of(captured.find("price").expect("the traced call"), request);
}

#[test]
fn a_traced_call_inside_a_root_tracing_span_is_its_child() {
    let captured = tracing::subscriber::with_default(bridged(), || {
        capture(|| tracing::info_span!("GET /cart").in_scope(|| price(1)))
    });
    let (request, inner) = (
        captured.find("GET /cart").expect("the tracing span"),
        captured.find("price").expect("the traced call"),
    );
    assert_eq!(
        request.parent_span_id,
        otel_traced::opentelemetry::trace::SpanId::INVALID,
        "the tracing span is the root"
    );
    assert_child_of(inner, request);
}

#[test]
fn an_async_traced_call_inside_an_instrumented_future_is_its_child() {
    let subscriber = bridged();
    let captured = tracing::subscriber::with_default(subscriber, || {
        futures::executor::block_on(capture_async(async {
            ship(9).instrument(tracing::info_span!("worker")).await
        }))
    });
    assert_eq!(*captured.output(), 9);
    let (worker, shipped) = (
        captured.find("worker").expect("the tracing span"),
        captured.find("ship").expect("the traced call"),
    );
    assert_child_of(shipped, worker);
}

/// Lines written by the `fmt` layer, kept in memory.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The bridge with lines formatted (without time or target) into `Lines`.
fn formatted() -> (
    Lines,
    impl tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
) {
    let lines = Lines::default();
    let writer = lines.clone();
    let format = tracing_subscriber::fmt::format()
        .without_time()
        .with_target(false);
    let subscriber = bridged().with(
        tracing_subscriber::fmt::layer()
            .event_format(otel_traced::tracing::with_trace_ids(format))
            .with_writer(move || writer.clone()),
    );
    (lines, subscriber)
}

#[test]
fn formatted_lines_inside_a_span_end_with_its_ids_and_others_carry_none() {
    let (lines, subscriber) = formatted();
    let captured = tracing::subscriber::with_default(subscriber, || {
        tracing::info!("before any span");
        let captured = capture(|| price(5));
        tracing::warn!("after it");
        captured
    });
    let span = captured.find("price").expect("the traced call");
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let written: Vec<&str> = text.lines().collect();
    assert_eq!(
        written,
        [
            " INFO before any span".to_owned(),
            format!(
                " INFO pricing cart_id=5 trace_id={} span_id={}",
                span.span_context.trace_id(),
                span.span_context.span_id()
            ),
            " WARN after it".to_owned(),
        ],
        "{text}"
    );
}

/// Logs into a connection's span kept beside the call, into a child of it never
/// entered (not built yet), into a span never entered with no parent, on no span
/// (`parent: None`), and into the call's own.
#[traced]
fn serve(connection: &tracing::Span, never_entered: &tracing::Span, lone: &tracing::Span) {
    tracing::info!(parent: connection, "served");
    tracing::info!(parent: never_entered, "queued");
    tracing::info!(parent: lone, "waited");
    tracing::info!(parent: None, "audited");
    tracing::info!("answered");
}

#[test]
fn a_line_naming_its_span_carries_that_spans_ids_or_its_nearest_entered_ancestors() {
    let (lines, subscriber) = formatted();
    let captured = tracing::subscriber::with_default(subscriber, || {
        capture(|| {
            let connection = tracing::info_span!("connection");
            connection.in_scope(|| {});
            let never_entered = tracing::info_span!(parent: &connection, "queue");
            let lone = tracing::info_span!("lone");
            serve(&connection, &never_entered, &lone);
        })
    });
    let (connection, served) = (
        captured.find("connection").expect("the tracing span"),
        captured.find("serve").expect("the traced call"),
    );
    let ids = |span: &otel_traced::sdk::trace::SpanData| {
        format!(
            "trace_id={} span_id={}",
            span.span_context.trace_id(),
            span.span_context.span_id()
        )
    };
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let written: Vec<&str> = text.lines().collect();
    assert_eq!(
        written,
        [
            format!(" INFO connection: served {}", ids(connection)),
            format!(" INFO connection:queue: queued {}", ids(connection)),
            format!(" INFO lone: waited {}", ids(served)),
            format!(" INFO audited {}", ids(served)),
            format!(" INFO answered {}", ids(served)),
        ],
        "{text}"
    );
}

#[test]
fn a_line_naming_a_span_built_for_its_child_but_never_entered_carries_its_ids() {
    let (lines, subscriber) = formatted();
    let captured = tracing::subscriber::with_default(subscriber, || {
        capture(|| {
            let batch = tracing::info_span!("batch");
            for item in 0..2 {
                tracing::info_span!(parent: &batch, "item", item).in_scope(|| {});
            }
            tracing::info!(parent: &batch, "done");
        })
    });
    let batch = captured.find("batch").expect("the batch span");
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [format!(
            " INFO batch: done trace_id={} span_id={}",
            batch.span_context.trace_id(),
            batch.span_context.span_id()
        )],
        "{text}"
    );
}

#[test]
fn a_span_entered_for_the_first_time_on_several_threads_at_once_is_entered_on_each() {
    let (lines, subscriber) = formatted();
    let dispatch = tracing::Dispatch::new(subscriber);
    let rounds = tracing::dispatcher::with_default(&dispatch, || {
        capture(|| {
            let context = Context::current();
            (0..200)
                .map(|_| {
                    let span = tracing::info_span!("shared");
                    let start = std::sync::Barrier::new(4);
                    let entered: Vec<_> = std::thread::scope(|threads| {
                        let entering: Vec<_> = (0..4)
                            .map(|_| {
                                threads.spawn(|| {
                                    let _attached = context.clone().attach();
                                    tracing::dispatcher::with_default(&dispatch, || {
                                        start.wait();
                                        let _entered = span.enter();
                                        Context::current().span().span_context().clone()
                                    })
                                })
                            })
                            .collect();
                        entering
                            .into_iter()
                            .map(|thread| thread.join().unwrap())
                            .collect()
                    });
                    // Outside the span: the line takes the ids kept when it was entered.
                    tracing::info!(parent: &span, "round");
                    entered
                })
                .collect::<Vec<_>>()
        })
    });
    let shared: Vec<_> = rounds
        .spans()
        .iter()
        .filter(|span| span.name == "shared")
        .collect();
    assert_eq!(shared.len(), 200, "{}", rounds.tree());
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let written: Vec<&str> = text.lines().collect();
    assert_eq!(written.len(), 200, "{text}");
    for ((entered, span), line) in rounds.output().iter().zip(&shared).zip(written) {
        assert!(
            entered.iter().all(|ids| *ids == span.span_context),
            "each thread entered the one span: {entered:?}"
        );
        assert_eq!(
            line,
            format!(
                " INFO shared: round trace_id={} span_id={}",
                span.span_context.trace_id(),
                span.span_context.span_id()
            )
        );
    }
}

/// A format writing what `fmt::format().json()` writes: one JSON object a line
/// (or, `pretty`, text ending with a blank line as the pretty format does).
struct Shaped {
    pretty: bool,
}

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for Shaped
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let level = event.metadata().level();
        if self.pretty {
            write!(writer, "  {level}\n    pricing\n\n")
        } else {
            writeln!(writer, "{{\"level\":\"{level}\"}}")
        }
    }
}

#[test]
fn a_json_line_gets_the_ids_as_fields_and_a_pretty_one_before_its_blank_line() {
    for pretty in [false, true] {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = bridged().with(
            tracing_subscriber::fmt::layer()
                .event_format(otel_traced::tracing::with_trace_ids(Shaped { pretty }))
                .with_writer(move || writer.clone()),
        );
        let captured = tracing::subscriber::with_default(subscriber, || capture(|| price(5)));
        let span = captured.find("price").expect("the traced call");
        let (trace_id, span_id) = (span.span_context.trace_id(), span.span_context.span_id());
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let expected = if pretty {
            format!("  INFO\n    pricing trace_id={trace_id} span_id={span_id}\n\n")
        } else {
            format!(
                "{{\"level\":\"INFO\",\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\"}}\n"
            )
        };
        assert_eq!(text, expected);
    }
}

#[test]
fn install_sets_the_global_subscriber_once() {
    if std::env::var_os(otel_traced_tests::CHILD).is_none() {
        // In a process of its own, as the subscriber is the process's; `RUST_LOG`
        // blank, for the default filter (`info`).
        otel_traced_tests::passes_in_a_child_process(
            "install_sets_the_global_subscriber_once",
            &[("RUST_LOG", "")],
        );
        return;
    }
    otel_traced::tracing::install().expect("the first global subscriber");
    assert_eq!(
        otel_traced::tracing::install(),
        Err(otel_traced::tracing::InstallError::AlreadySet)
    );
    // The subscriber set bridges `tracing` spans, filtered at `info`.
    let captured = capture(|| {
        tracing::info_span!("GET /cart").in_scope(|| price(1));
        tracing::debug_span!("cache lookup").in_scope(|| price(2));
    });
    let names: Vec<&str> = captured.spans().iter().map(|span| &*span.name).collect();
    assert_eq!(
        names,
        ["price", "GET /cart", "price"],
        "{}",
        captured.tree()
    );
    let spans = captured.spans();
    assert_child_of(&spans[0], &spans[1]);
    assert_ne!(
        spans[2].parent_span_id,
        spans[1].span_context.span_id(),
        "{}",
        captured.tree()
    );
}

#[test]
fn a_dropped_tracing_span_still_carries_its_trace_to_the_calls_inside_it() {
    let captured = tracing::subscriber::with_default(bridged(), || {
        Capture::new()
            .sampler(SamplesByName {
                // Keeps the traced calls and drops the `tracing` spans.
                name: "GET /cart",
                sampled: false,
            })
            .run(|| {
                tracing::info_span!("GET /cart").in_scope(|| {
                    let request = Context::current().span().span_context().clone();
                    price(1);
                    request
                })
            })
    });
    let request = captured.output();
    assert!(request.is_valid(), "the dropped span has a span context");
    assert!(!request.is_sampled());
    let [inner] = captured.spans() else {
        panic!("only the traced call: {}", captured.tree());
    };
    assert_eq!(inner.name, "price");
    assert_eq!(inner.span_context.trace_id(), request.trace_id());
    assert_eq!(inner.parent_span_id, request.span_id());
}

/// Counts how often it is formatted.
#[derive(Default)]
struct Counted(std::sync::atomic::AtomicUsize);

impl std::fmt::Debug for Counted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f.write_str("counted")
    }
}

#[test]
fn the_events_of_a_tracing_span_sampled_out_are_not_formatted() {
    let counted = Counted::default();
    let priced = || {
        let request = tracing::info_span!("GET /cart");
        request.in_scope(|| tracing::info!(value = ?counted, "priced"));
        tracing::info!(parent: &request, value = ?counted, "charged");
    };
    let sampled_out = tracing::subscriber::with_default(bridged(), || {
        Capture::new()
            .sampler(SamplesByName {
                name: "GET /cart",
                sampled: false,
            })
            .run(priced)
    });
    assert!(sampled_out.spans().is_empty());
    assert_eq!(
        counted.0.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "for a span that drops it"
    );
    let recorded = tracing::subscriber::with_default(bridged(), || capture(priced));
    let request = recorded.find("GET /cart").expect("the tracing span");
    let events: Vec<&str> = request.events.iter().map(|event| &*event.name).collect();
    assert_eq!(events, ["priced", "charged"]);
    assert_eq!(counted.0.load(std::sync::atomic::Ordering::Relaxed), 2);
}

/// Decides its `tracing` span failed, then the span's fields set another status.
#[traced]
fn authorize() {
    let check = tracing::info_span!("check", otel.status_description = tracing::field::Empty);
    let _entered = check.enter();
    otel_traced::set_status(Status::error("access denied"));
    check.record("otel.status_description", "upstream timeout");
    drop(_entered);
    // The same field alone: it does set the status.
    let fetch = tracing::info_span!("fetch", otel.status_description = tracing::field::Empty);
    fetch.record("otel.status_description", "upstream timeout");
    // An Ok is final, over a decided Error too (the API's rule).
    let retry = tracing::info_span!("retry", otel.status_code = tracing::field::Empty);
    let _entered = retry.enter();
    otel_traced::set_status(Status::error("first attempt failed"));
    retry.record("otel.status_code", "ok");
}

#[test]
fn set_status_in_a_tracing_span_wins_over_the_status_its_fields_set() {
    let captured = tracing::subscriber::with_default(bridged(), || capture(authorize));
    let check = captured.find("check").expect("the tracing span");
    assert_eq!(check.status, Status::error("access denied"));
    let fetch = captured.find("fetch").expect("the tracing span");
    assert_eq!(fetch.status, Status::error("upstream timeout"));
    let retry = captured.find("retry").expect("the tracing span");
    assert_eq!(retry.status, Status::Ok);
}

#[test]
fn a_tracing_spans_integer_fields_are_integers_and_a_late_name_renames_it() {
    use otel_traced::opentelemetry::Value;
    let captured = tracing::subscriber::with_default(bridged(), || {
        capture(|| {
            let request = tracing::info_span!(
                "request",
                rows = 3_usize,
                big = u64::MAX,
                http.response.status_code = tracing::field::Empty,
                otel.name = tracing::field::Empty,
            );
            request.in_scope(|| {
                // Known once routed, as tower-http records them.
                tracing::Span::current().record("otel.name", "GET /users/{id}");
                tracing::Span::current().record("http.response.status_code", 200_u16);
            });
            let unentered = tracing::info_span!("queued", depth = tracing::field::Empty);
            unentered.record("depth", 7_u32);
            unentered.in_scope(|| ());
            // Built for its children, never entered, named after them.
            let batch =
                tracing::info_span!("batch", size = 2_usize, otel.name = tracing::field::Empty);
            for _ in 0..2 {
                tracing::info_span!(parent: &batch, "item").in_scope(|| ());
            }
            batch.record("otel.name", "import batch");
            // Never entered: built as it closes.
            drop(tracing::info_span!("enqueued", depth = 3_usize));
            let linked = tracing::info_span!(
                "upstream",
                tries = tracing::field::Empty,
                otel.name = tracing::field::Empty
            );
            tracing::info_span!("downstream").follows_from(&linked);
            linked.record("tries", 2_u32);
            linked.record("otel.name", "linked upstream");
            drop(linked);
            // A key recorded again as another type: the last value.
            let rows = tracing::info_span!("rows", count = tracing::field::Empty);
            rows.record("count", 5_u64);
            rows.record("count", -1_i64);
            rows.in_scope(|| ());
            let past = tracing::info_span!("past", count = tracing::field::Empty);
            past.record("count", 5_u64);
            past.record("count", u64::MAX);
            drop(past);
        })
    });
    let attribute = |name: &str, key| {
        let span = captured
            .find(name)
            .unwrap_or_else(|| panic!("no span {name}"));
        otel_traced_tests::attribute(span, key).cloned()
    };
    assert_eq!(attribute("enqueued", "depth"), Some(Value::I64(3)));
    assert_eq!(attribute("linked upstream", "tries"), Some(Value::I64(2)));
    assert_eq!(attribute("rows", "count"), Some(Value::I64(-1)));
    assert_eq!(
        attribute("past", "count"),
        Some(Value::from(u64::MAX.to_string()))
    );
    let batch = captured
        .find("import batch")
        .expect("named after its children");
    assert_eq!(
        otel_traced_tests::attribute(batch, "size"),
        Some(&Value::I64(2))
    );
    let request = captured
        .find("GET /users/{id}")
        .expect("renamed once built");
    let attribute = |span, key| otel_traced_tests::attribute(span, key).cloned();
    assert_eq!(attribute(request, "rows"), Some(Value::I64(3)));
    assert_eq!(
        attribute(request, "http.response.status_code"),
        Some(Value::I64(200))
    );
    assert_eq!(
        attribute(request, "big"),
        Some(Value::from(u64::MAX.to_string())),
        "past i64::MAX, a string"
    );
    let queued = captured.find("queued").expect("its span");
    assert_eq!(attribute(queued, "depth"), Some(Value::I64(7)));
}

#[test]
fn an_events_error_stays_off_its_spans_attributes() {
    let error = std::io::Error::other("disk full");
    let captured = tracing::subscriber::with_default(bridged(), || {
        capture(|| {
            tracing::info_span!("flush").in_scope(|| {
                let error: &(dyn std::error::Error + 'static) = &error;
                tracing::warn!(error, "retrying");
            });
        })
    });
    let flush = captured.find("flush").expect("its span");
    let keys: Vec<&str> = flush.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert!(
        !keys.iter().any(|key| key.starts_with("exception.")),
        "{keys:?}"
    );
    assert_eq!(flush.events.len(), 1, "the event keeps it");
}

/// Logs through the `log` crate, its records made `tracing` events by
/// `tracing-log`'s `LogTracer` (which tracing-subscriber's `.init()` sets): such an
/// event's metadata has the target `log` and no location, its fields the record's.
#[traced]
fn query() {
    log::warn!(target: "sqlx::query", "slow statement");
}

#[test]
fn a_log_record_made_an_event_keeps_its_target_and_location_in_a_call_and_in_a_span() {
    use otel_traced::opentelemetry::Value;
    // The process's `log` logger: once, whichever test comes first.
    let _ = tracing_log::LogTracer::init();
    let captured = tracing::subscriber::with_default(bridged(), || {
        capture(|| {
            query();
            tracing::info_span!("request")
                .in_scope(|| log::warn!(target: "sqlx::query", "slow statement"));
        })
    });
    for name in ["query", "request"] {
        let span = captured.find(name).expect("the span");
        let [event] = &span.events[..] else {
            panic!("{name}: one event: {:?}", span.events);
        };
        assert_eq!(event.name, "slow statement", "{name}");
        let key = |key: &str| {
            (event.attributes.iter())
                .find(|attribute| attribute.key.as_str() == key)
                .map(|attribute| attribute.value.clone())
        };
        assert_eq!(
            key("target"),
            Some(Value::from("sqlx::query")),
            "{name}: {event:?}"
        );
        assert!(
            (event.attributes.iter())
                .any(|attribute| attribute.value.as_str().ends_with("tracing_interop.rs")),
            "{name}: the record's file: {event:?}"
        );
        assert!(
            !(event.attributes.iter()).any(|attribute| attribute.key.as_str().starts_with("log.")),
            "{name}: {event:?}"
        );
    }
    let call = captured.find("query").expect("the call");
    let line = (call.events[0].attributes.iter())
        .find(|attribute| attribute.key.as_str() == "code.line.number")
        .map(|attribute| attribute.value.clone());
    assert!(
        matches!(line, Some(Value::I64(line)) if line > 0),
        "{:?}",
        call.events[0]
    );
}

/// Logs its steps as a service moved from `#[instrument]` does.
#[traced]
fn reprice(cart_id: u64, counted: &Counted) {
    tracing::info!(cart_id, big = u64::MAX, value = ?counted, "repriced");
    let error = std::io::Error::other("disk full");
    let error: &(dyn std::error::Error + 'static) = &error;
    tracing::warn!(error, "retrying");
    // Naming no span: not the call's.
    tracing::info!(parent: None, "detached");
}

#[test]
fn an_event_inside_a_traced_call_is_a_span_event_of_it_while_no_logs_are_exported() {
    use otel_traced::opentelemetry::{KeyValue, Value};
    let counted = Counted::default();
    let captured = tracing::subscriber::with_default(bridged(), || {
        capture(|| {
            reprice(7, &counted);
            // Inside a `tracing` span too: the call's, not the span's.
            tracing::info_span!("request").in_scope(|| reprice(8, &counted));
        })
    });
    let calls: Vec<_> = captured
        .spans()
        .iter()
        .filter(|span| span.name == "reprice")
        .collect();
    assert_eq!(calls.len(), 2, "{}", captured.tree());
    for (call, cart_id) in calls.into_iter().zip([7, 8]) {
        let events: Vec<&str> = call.events.iter().map(|event| &*event.name).collect();
        assert_eq!(events, ["repriced", "retrying"], "{}", captured.tree());
        let repriced = &call.events[0].attributes;
        let key = |key: &str| {
            repriced
                .iter()
                .find(|kv| kv.key.as_str() == key)
                .map(|kv| kv.value.clone())
        };
        assert_eq!(key("cart_id"), Some(Value::I64(cart_id)));
        assert_eq!(key("level"), Some(Value::from("INFO")));
        assert_eq!(key("target"), Some(Value::from("tracing_interop")));
        assert_eq!(key("big"), Some(Value::from(u64::MAX.to_string())));
        assert_eq!(key("value"), Some(Value::from("counted")));
        assert_eq!(
            key("code.module.name"),
            Some(Value::from("tracing_interop"))
        );
        assert!(
            matches!(key("code.line.number"), Some(Value::I64(line)) if line > 0),
            "{repriced:?}"
        );
        assert!(
            call.events[1]
                .attributes
                .contains(&KeyValue::new("error", "disk full")),
            "{:?}",
            call.events[1]
        );
    }
    let request = captured.find("request").expect("the tracing span");
    assert!(request.events.is_empty(), "{:?}", request.events);
    assert_eq!(counted.0.load(std::sync::atomic::Ordering::Relaxed), 2);

    // Inside a `tracing` span entered before the capture, while nothing recorded
    // (a no-op span, which keeps nothing): the call's too.
    let captured = tracing::subscriber::with_default(bridged(), || {
        let _before = tracing::info_span!("before").entered();
        capture(|| reprice(9, &counted))
    });
    let call = captured.find("reprice").expect("the call");
    let events: Vec<&str> = call.events.iter().map(|event| &*event.name).collect();
    assert_eq!(events, ["repriced", "retrying"], "{}", captured.tree());
    assert_eq!(counted.0.load(std::sync::atomic::Ordering::Relaxed), 3);

    // Sampled out, no field is formatted.
    let sampled_out = tracing::subscriber::with_default(bridged(), || {
        Capture::new()
            .sampler(SamplesByName {
                name: "reprice",
                sampled: false,
            })
            .run(|| reprice(10, &counted))
    });
    assert!(sampled_out.spans().is_empty());
    assert_eq!(counted.0.load(std::sync::atomic::Ordering::Relaxed), 3);
}
