//! Functions returning streams: the span lasts until the stream ends or is
//! dropped, counts the messages, and records an `Err` item as the call's outcome.

use futures::StreamExt as _;
use futures::stream::{self, Stream};
use otel_traced::opentelemetry::Value;
use otel_traced::opentelemetry::trace::Status;
use otel_traced::sdk::trace::SpanData;
use otel_traced::testing::capture;
use otel_traced::{traced, traced_rpc};
use otel_traced_tests::{assert_http_error, attribute, exception_message, own_keys, string};
use std::pin::Pin;

#[traced]
fn countdown(from: u32) -> impl Stream<Item = u32> {
    stream::iter((1..=from).rev()).map(|n| {
        tick(n);
        n
    })
}

#[traced]
fn tick(n: u32) -> u32 {
    n
}

#[test]
fn a_stream_span_lasts_until_the_stream_ends_and_counts_its_messages() {
    let captured = capture(|| futures::executor::block_on(countdown(3).collect::<Vec<_>>()));
    assert_eq!(*captured.output(), [3, 2, 1]);
    let span = captured.find("countdown").expect("the stream's span");
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(3))
    );
    assert_eq!(attribute(span, "otel_traced.cancelled"), None);
    let ticks = captured.children_of(span);
    assert_eq!(
        ticks
            .iter()
            .map(|tick| (tick.name.as_ref(), attribute(tick, "n").cloned()))
            .collect::<Vec<_>>(),
        [3, 2, 1].map(|n| ("tick", Some(Value::I64(n)))),
        "items are produced inside the span"
    );
    for tick in ticks {
        assert!(tick.end_time <= span.end_time);
    }
}

/// Boxed without a pin, as a stream that is `Unpin` may be.
#[traced]
fn unpinned_countdown(from: u32) -> Box<dyn Stream<Item = u32> + Send + Unpin> {
    Box::new(countdown(from).boxed())
}

#[test]
fn a_stream_boxed_without_a_pin_is_instrumented_until_it_ends() {
    let captured =
        capture(|| futures::executor::block_on(unpinned_countdown(2).collect::<Vec<_>>()));
    assert_eq!(*captured.output(), [2, 1]);
    let span = captured
        .find("unpinned_countdown")
        .expect("the stream's span");
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(2))
    );
    let countdown = captured.find("countdown").expect("the inner stream's span");
    assert_eq!(countdown.parent_span_id, span.span_context.span_id());
    assert!(countdown.end_time <= span.end_time, "{}", captured.tree());
}

/// One argument recorded, and the item count: nothing else to make room for.
#[traced(code = false)]
fn numbers(count: u32) -> impl Stream<Item = u32> {
    stream::iter(0..count)
}

#[test]
fn a_stream_spans_attributes_are_allocated_once_with_room_for_its_count() {
    let captured = capture(|| futures::executor::block_on(numbers(2).collect::<Vec<_>>()));
    let span = captured.find("numbers").expect("the stream's span");
    assert_eq!(own_keys(span), ["count", "otel_traced.messages"]);
    assert_eq!(
        span.attributes.capacity(),
        2,
        "the vector was made for both and never grew"
    );
}

#[test]
fn a_stream_dropped_before_its_end_is_cancelled() {
    let captured = capture(|| {
        futures::executor::block_on(async {
            let mut stream = Box::pin(countdown(5));
            stream.next().await
        })
    });
    assert_eq!(*captured.output(), Some(5));
    assert_eq!(
        captured.tree(),
        "countdown  {from=5, otel_traced.messages=1, otel_traced.cancelled=true}\n└─ tick  {n=5}\n"
    );
    let span = captured.find("countdown").expect("the stream's span");
    assert_eq!(
        attribute(span, "otel_traced.cancelled"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(1)),
        "the items given before the drop are counted"
    );
}

#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Watch",
    server = "inventory:50051"
)]
fn watch(
    request: tonic::Request<u32>,
) -> Pin<Box<dyn Stream<Item = Result<u32, tonic::Status>> + Send>> {
    let failing = *request.get_ref() == 0;
    let updates = vec![Ok(9), Ok(8)];
    let end = failing.then(|| Err(tonic::Status::unavailable("inventory restarting")));
    Box::pin(stream::iter(updates.into_iter().chain(end)))
}

#[test]
fn a_grpc_stream_ends_ok_or_with_the_status_of_its_err_item() {
    let captured =
        capture(|| futures::executor::block_on(watch(tonic::Request::new(1)).collect::<Vec<_>>()));
    assert_eq!(captured.output().len(), 2);
    let span = &captured.spans()[0];
    assert_eq!(span.name, "shop.v1.Inventory/Watch");
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(2))
    );
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("OK"))
    );
    assert_eq!(span.status, Status::Unset);

    let ended_unavailable = |span: &otel_traced::sdk::trace::SpanData| {
        assert_eq!(
            attribute(span, "otel_traced.messages"),
            Some(&Value::I64(3))
        );
        assert_eq!(
            attribute(span, "rpc.response.status_code"),
            Some(&string("UNAVAILABLE"))
        );
        assert_eq!(attribute(span, "error.type"), Some(&string("UNAVAILABLE")));
        assert_eq!(span.status, Status::error("inventory restarting"));
        assert_eq!(attribute(span, "otel_traced.cancelled"), None);
    };
    let captured =
        capture(|| futures::executor::block_on(watch(tonic::Request::new(0)).collect::<Vec<_>>()));
    ended_unavailable(&captured.spans()[0]);

    // Read up to its error status and dropped there, as tonic and `try_next()?`
    // leave it: the call ended with that status, it was not given up.
    let captured = capture(|| {
        use futures::TryStreamExt as _;
        futures::executor::block_on(watch(tonic::Request::new(0)).try_collect::<Vec<_>>())
    });
    assert!(captured.output().is_err());
    ended_unavailable(&captured.spans()[0]);
}

/// A stream whose items' errors are boxed, as `?` makes them of tonic's status.
#[traced_rpc(client, service = "shop.v1.Inventory", method = "Watch")]
fn watch_boxed(
    request: tonic::Request<u32>,
) -> impl Stream<Item = Result<u32, Box<dyn std::error::Error + Send + Sync>>> {
    let _ = request;
    let end: Box<dyn std::error::Error + Send + Sync> =
        Box::new(tonic::Status::unavailable("inventory restarting"));
    stream::iter([Ok(9), Err(end)])
}

/// The same with an error borrowing from the call: no status is read from it
/// (it compiles, its error recorded as any other, the stream's end the call's
/// status).
#[traced_rpc(client, service = "shop.v1.Inventory", method = "Watch")]
fn watch_borrowing<'a>(
    request: tonic::Request<u32>,
    reason: &'a str,
) -> impl Stream<Item = Result<u32, Box<dyn std::error::Error + Send + Sync + 'a>>> + 'a {
    let _ = request;
    stream::iter([Err(reason.into())])
}

/// An item whose error borrows, behind an alias.
type Watched<'a> = Result<u32, Box<dyn std::error::Error + Send + Sync + 'a>>;

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Watch")]
fn watch_aliased<'a>(
    request: tonic::Request<u32>,
    reason: &'a str,
) -> impl Stream<Item = Watched<'a>> + 'a {
    let _ = request;
    stream::iter([Err(reason.into())])
}

#[test]
fn a_status_boxed_in_a_streamed_err_is_the_calls_reply() {
    let captured = capture(|| {
        futures::executor::block_on(watch_boxed(tonic::Request::new(0)).collect::<Vec<_>>())
    });
    let span = &captured.spans()[0];
    assert_eq!(
        ["rpc.response.status_code", "error.type"].map(|key| attribute(span, key)),
        [Some(&string("UNAVAILABLE")); 2],
        "the status, not the box's type"
    );
    assert_eq!(span.status, Status::error("inventory restarting"));
    let reason = String::from("inventory closed");
    let captured = capture(|| {
        futures::executor::block_on(
            watch_borrowing(tonic::Request::new(0), &reason).collect::<Vec<_>>(),
        )
    });
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("OK"))
    );
    assert_eq!(span.status, Status::error("inventory closed"));
    let captured = capture(|| {
        futures::executor::block_on(
            watch_aliased(tonic::Request::new(0), &reason).collect::<Vec<_>>(),
        )
    });
    assert_eq!(
        captured.spans()[0].status,
        Status::error("inventory closed")
    );
}

#[derive(Debug)]
struct Corrupt;

impl std::fmt::Display for Corrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("corrupt record")
    }
}

#[traced]
fn records() -> impl Stream<Item = Result<u8, Corrupt>> {
    stream::iter([Ok(1), Err(Corrupt), Ok(2)])
}

#[test]
fn a_stream_of_results_has_room_for_the_error_type_of_its_err_items() {
    let captured = capture(|| futures::executor::block_on(records().collect::<Vec<_>>()));
    let span = &captured.spans()[0];
    // `error.type` kept aside until the span ends (set again by a later `Err`).
    assert_eq!(own_keys(span), ["otel_traced.messages", "error.type"]);
    assert_eq!(span.attributes.len(), 5, "with the three code.* ones");
    assert_eq!(span.attributes.capacity(), 5, "never grew");
}

#[test]
fn an_err_item_of_a_traced_stream_is_recorded_as_an_error() {
    let captured = capture(|| futures::executor::block_on(records().collect::<Vec<_>>()));
    assert_eq!(captured.output().len(), 3);
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("streams::Corrupt"))
    );
    assert_eq!(span.status, Status::error("corrupt record"));
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(3))
    );
}

impl std::error::Error for Corrupt {}

#[traced(err = false)]
fn expected_misses() -> impl Stream<Item = Result<u8, Corrupt>> {
    stream::iter([Ok(1), Err(Corrupt), Ok(2)])
}

#[test]
fn err_false_leaves_a_streams_err_items_unrecorded() {
    let captured = capture(|| futures::executor::block_on(expected_misses().collect::<Vec<_>>()));
    assert_eq!(captured.output().len(), 3);
    let span = &captured.spans()[0];
    assert_eq!(span.status, Status::Unset);
    assert!(span.events.is_empty(), "{:?}", span.events);
    assert_eq!(own_keys(span), ["otel_traced.messages"]);
    assert_eq!(span.attributes.capacity(), 4, "no room for an error.type");
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(3))
    );
}

/// A record cut short: an error whose description sorts before [`Corrupt`]'s.
#[derive(Debug)]
struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record cut short")
    }
}

#[derive(Debug)]
enum Damaged {
    Corrupt(Corrupt),
    Cut(Cut),
}

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damaged::Corrupt(error) => error.fmt(f),
            Damaged::Cut(error) => error.fmt(f),
        }
    }
}

#[traced]
fn damaged_records() -> impl Stream<Item = Result<u8, Damaged>> {
    stream::iter([
        Err(Damaged::Corrupt(Corrupt)),
        Ok(1),
        Err(Damaged::Cut(Cut)),
        Ok(2),
    ])
}

#[test]
fn of_two_err_items_the_last_is_the_calls_outcome() {
    let captured = capture(|| futures::executor::block_on(damaged_records().collect::<Vec<_>>()));
    let span = &captured.spans()[0];
    assert_eq!(
        span.status,
        Status::error("a record cut short"),
        "the last, not the description sorting last"
    );
    let exceptions: Vec<_> = span
        .events
        .iter()
        .filter(|event| event.name == "exception")
        .map(|event| {
            let message = event
                .attributes
                .iter()
                .find(|kv| kv.key.as_str() == "exception.message");
            message.map(|kv| kv.value.to_string())
        })
        .collect();
    assert_eq!(
        exceptions,
        [
            Some("corrupt record".to_owned()),
            Some("a record cut short".to_owned())
        ],
        "each error is told"
    );
}

/// An error with a source, as a function's error is recorded.
#[derive(Debug)]
struct ReadFailed(Corrupt);

impl std::fmt::Display for ReadFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("read failed")
    }
}

impl std::error::Error for ReadFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[traced]
fn chained_records() -> impl Stream<Item = Result<u8, ReadFailed>> {
    stream::iter([Ok(1), Err(ReadFailed(Corrupt))])
}

#[traced]
fn boxed_records() -> impl Stream<Item = Result<u8, Box<dyn std::error::Error + Send + Sync>>> {
    stream::iter([Err(Box::new(ReadFailed(Corrupt)) as Box<_>)])
}

#[traced]
fn boxed_send_records() -> impl Stream<Item = Result<u8, Box<dyn std::error::Error + Send>>> {
    stream::iter([Err(Box::new(ReadFailed(Corrupt)) as Box<_>)])
}

#[traced]
fn boxed_sync_records() -> impl Stream<Item = Result<u8, Box<dyn std::error::Error + Sync>>> {
    stream::iter([Err(Box::new(ReadFailed(Corrupt)) as Box<_>)])
}

#[test]
fn an_err_item_keeps_its_sources_as_a_functions_error_does() {
    for captured in [
        capture(|| {
            futures::executor::block_on(chained_records().collect::<Vec<_>>());
        }),
        capture(|| {
            futures::executor::block_on(boxed_records().collect::<Vec<_>>());
        }),
        capture(|| {
            futures::executor::block_on(boxed_send_records().collect::<Vec<_>>());
        }),
        capture(|| {
            futures::executor::block_on(boxed_sync_records().collect::<Vec<_>>());
        }),
    ] {
        let span = &captured.spans()[0];
        assert_eq!(span.status, Status::error("read failed"));
        assert_eq!(
            exception_message(span).as_deref(),
            Some("read failed: corrupt record"),
            "{span:#?}"
        );
    }
}

/// An error type that cannot be printed at all.
struct Opaque;

#[traced]
fn opaque_records() -> impl Stream<Item = Result<u8, Opaque>> {
    stream::iter([Ok(1), Err(Opaque)])
}

#[test]
fn an_err_item_that_cannot_be_printed_is_an_error_named_by_its_type() {
    let captured = capture(|| futures::executor::block_on(opaque_records().count()));
    assert_eq!(*captured.output(), 2);
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("streams::Opaque"))
    );
    assert_eq!(span.status, Status::error("streams::Opaque"));
}

/// An error type with `Debug` only.
#[derive(Debug)]
struct Truncated {
    at: u32,
}

#[traced]
fn raw_records() -> impl Stream<Item = Result<u8, Truncated>> {
    stream::iter([Ok(1), Err(Truncated { at: 7 })])
}

#[test]
fn an_err_item_with_debug_only_is_recorded_with_it() {
    let captured = capture(|| futures::executor::block_on(raw_records().collect::<Vec<_>>()));
    assert!(matches!(
        captured.output()[..],
        [Ok(1), Err(Truncated { at: 7 })]
    ));
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("streams::Truncated"))
    );
    assert_eq!(span.status, Status::error("Truncated { at: 7 }"));
}

/// Decides the call failed before any item, then yields two `Err` items whose
/// description sorts after the decision's.
#[traced]
fn flagged_records() -> impl Stream<Item = Result<u8, Corrupt>> {
    otel_traced::set_status(Status::error("a flagged batch"));
    stream::iter([Err(Corrupt), Ok(1), Err(Corrupt)])
}

#[test]
fn the_bodys_status_wins_over_every_err_item() {
    let captured = capture(|| futures::executor::block_on(flagged_records().collect::<Vec<_>>()));
    let span = &captured.spans()[0];
    assert_eq!(span.status, Status::error("a flagged batch"));
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("streams::Corrupt")),
        "the items' error is still recorded"
    );
}

#[test]
fn a_grpc_stream_dropped_before_its_status_ends_cancelled_as_the_layer_ends_it() {
    let captured = capture(|| {
        futures::executor::block_on(watch(tonic::Request::new(1)).take(1).collect::<Vec<_>>())
    });
    assert_eq!(captured.output().len(), 1);
    let span = &captured.spans()[0];
    assert_given_up(span, 1);
    assert_eq!(
        span.status,
        Status::error("the stream was dropped before its status")
    );
}

/// A gRPC client stream's span ended as given up, after `messages` items: an
/// error on a client, the call's last, also after an earlier error.
fn assert_given_up(span: &SpanData, messages: i64) {
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("CANCELLED"))
    );
    assert_eq!(attribute(span, "error.type"), Some(&string("CANCELLED")));
    assert_eq!(
        span.status,
        Status::error("the stream was dropped before its status")
    );
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(messages))
    );
}

/// A recoverable error of the client's own, between two updates.
#[derive(Debug)]
struct Hiccup;

impl std::fmt::Display for Hiccup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a hiccup")
    }
}

#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Tail",
    server = "inventory:50051"
)]
fn tail(request: tonic::Request<()>) -> Pin<Box<dyn Stream<Item = Result<u32, Hiccup>> + Send>> {
    let _ = request;
    Box::pin(stream::iter([Ok(1), Err(Hiccup), Ok(2)]))
}

#[test]
fn a_grpc_stream_goes_on_past_an_error_that_is_no_status() {
    let captured =
        capture(|| futures::executor::block_on(tail(tonic::Request::new(())).collect::<Vec<_>>()));
    assert_eq!(captured.output().len(), 3);
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(3)),
        "the span lasts to the stream's end"
    );
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("streams::Hiccup"))
    );
    assert_eq!(attribute(span, "otel_traced.cancelled"), None);
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("OK")),
        "its end is the call's OK status"
    );
    assert_eq!(
        span.status,
        Status::error("a hiccup"),
        "the OK end does not hide the error on the way"
    );
    assert_eq!(
        span.attributes.capacity(),
        span.attributes.len() + 1,
        "room for the legacy status code (rpc/dup) only: error.type is reserved once"
    );
}

#[test]
fn a_grpc_stream_given_up_after_an_error_that_is_no_status_ends_cancelled() {
    let captured = capture(|| {
        futures::executor::block_on(async {
            let mut updates = tail(tonic::Request::new(()));
            assert!(updates.next().await.is_some_and(|update| update.is_ok()));
            assert!(updates.next().await.is_some_and(|update| update.is_err()));
        })
    });
    assert_given_up(&captured.spans()[0], 2);
}

/// Pages of an HTTP listing, fetched one request after another until a request
/// fails.
#[traced_rpc(client, http, template = "/items")]
fn pages(request: http::Request<()>) -> impl Stream<Item = Result<u32, http::StatusCode>> {
    let _ = request;
    stream::iter([Ok(1), Ok(2), Err(http::StatusCode::SERVICE_UNAVAILABLE)])
}

#[test]
fn an_http_stream_dropped_at_its_status_ended_with_it() {
    let captured = capture(|| {
        use futures::TryStreamExt as _;
        let request = http::Request::get("http://shop/items").body(()).unwrap();
        futures::executor::block_on(pages(request).try_collect::<Vec<_>>())
    });
    assert_eq!(
        *captured.output(),
        Err(http::StatusCode::SERVICE_UNAVAILABLE)
    );
    let span = &captured.spans()[0];
    assert_ended_at_status(span, 503);
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(3))
    );
}

/// `span` ended with the HTTP error `status` its stream gave, dropped there: not
/// given up.
fn assert_ended_at_status(span: &SpanData, status: i64) {
    assert_http_error(span, status);
    assert_eq!(
        attribute(span, "otel_traced.cancelled"),
        None,
        "dropped after its status: not given up"
    );
}

#[test]
fn an_http_stream_that_got_its_status_ends_with_it_when_a_panic_drops_it() {
    let captured = capture(|| {
        std::panic::catch_unwind(|| {
            let request = http::Request::get("http://shop/items").body(()).unwrap();
            let mut listing = pages(request);
            futures::executor::block_on(async {
                while listing.next().await.is_some_and(|page| page.is_ok()) {}
            });
            panic!("the caller fails after the listing's status");
        })
    });
    assert!(captured.output().is_err());
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "http.response.status_code"),
        Some(&Value::I64(503))
    );
    assert_eq!(
        attribute(span, "otel_traced.cancelled"),
        None,
        "its status came: not given up, whatever drops it"
    );
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("503")),
        "the caller's panic is not the call's outcome"
    );
    assert_eq!(span.status, Status::error(""));
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(3))
    );
}

/// A gRPC stream relaying an HTTP backend's failure between two updates.
#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Relay",
    server = "inventory:50051"
)]
fn relay(
    request: tonic::Request<()>,
) -> Pin<Box<dyn Stream<Item = Result<u32, http::StatusCode>> + Send>> {
    let _ = request;
    Box::pin(stream::iter([
        Ok(1),
        Err(http::StatusCode::BAD_GATEWAY),
        Ok(2),
    ]))
}

#[test]
fn a_status_of_another_protocol_is_an_error_not_the_calls_reply() {
    let captured =
        capture(|| futures::executor::block_on(relay(tonic::Request::new(())).collect::<Vec<_>>()));
    let span = &captured.spans()[0];
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string("http::status::StatusCode"))
    );
    assert_eq!(
        span.status,
        Status::error("502 Bad Gateway"),
        "described as a returned status is"
    );
    assert_eq!(
        attribute(span, "rpc.response.status_code"),
        Some(&string("OK")),
        "the call's own status, at its end"
    );
    assert_eq!(attribute(span, "http.response.status_code"), None);
}

/// The application's own `Stream`, a connection's bytes: not the futures crates'.
mod connection {
    use otel_traced::traced;
    use std::pin::Pin;

    pub trait Stream: std::io::Read {}

    impl Stream for std::io::Cursor<Vec<u8>> {}

    #[traced]
    pub fn connect(bytes: usize) -> impl Stream {
        std::io::Cursor::new(vec![7; bytes])
    }

    #[traced]
    pub fn connect_boxed(bytes: usize) -> Pin<Box<dyn Stream + Unpin>> {
        Box::pin(std::io::Cursor::new(vec![7; bytes]))
    }
}

#[test]
fn a_function_returning_a_stream_trait_of_the_applications_own_is_an_ordinary_call() {
    use std::io::Read as _;
    let captured = capture(|| {
        let mut read = Vec::new();
        connection::connect(3).read_to_end(&mut read).unwrap();
        connection::connect_boxed(2).read_to_end(&mut read).unwrap();
        read
    });
    assert_eq!(*captured.output(), [7; 5]);
    let names: Vec<_> = captured.spans().iter().map(|span| &*span.name).collect();
    assert_eq!(names, ["connect", "connect_boxed"]);
    for span in captured.spans() {
        assert_eq!(span.status, Status::Unset);
        assert_eq!(
            attribute(span, "otel_traced.messages"),
            None,
            "no stream's count"
        );
    }
}

/// A stream whose items are named by a bound alone.
#[traced]
fn bounded_items(count: u32) -> impl Stream<Item: std::fmt::Debug> {
    stream::iter(0..count)
}

#[test]
fn a_stream_whose_items_are_named_by_a_bound_is_a_stream() {
    let captured = capture(|| futures::executor::block_on(bounded_items(2).count()));
    assert_eq!(*captured.output(), 2);
    let span = captured.find("bounded_items").expect("the span");
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(2)),
        "its span lasts until its end"
    );
}

/// A stream whose third item's making panics.
#[traced]
fn brittle() -> impl Stream<Item = u32> {
    stream::iter([1, 2, 3]).map(|n| if n == 3 { panic!("torn") } else { n })
}

#[test]
fn a_stream_whose_poll_panics_counts_what_it_gave() {
    let captured = capture(|| {
        std::panic::catch_unwind(|| futures::executor::block_on(brittle().collect::<Vec<_>>()))
            .is_err()
    });
    assert!(*captured.output());
    let span = &captured.spans()[0];
    assert_eq!(attribute(span, "error.type"), Some(&string("panic")));
    assert_eq!(
        attribute(span, "otel_traced.messages"),
        Some(&Value::I64(2)),
        "{:?}",
        span.attributes
    );
}

/// A stream of a `#[traced]` function whose `Err` item is a gRPC status: an error
/// as a function's `Err(Status)` is, its text the status's own.
#[traced]
fn feed() -> impl Stream<Item = Result<u8, tonic::Status>> {
    stream::iter([Ok(1), Err(tonic::Status::unavailable("down"))])
}

#[traced]
fn unavailable() -> Result<u8, tonic::Status> {
    Err(tonic::Status::unavailable("down"))
}

#[test]
fn a_status_item_of_a_traced_stream_is_recorded_as_a_functions_status_error() {
    let captured = capture(|| {
        let streamed = futures::executor::block_on(feed().collect::<Vec<_>>());
        (streamed.len(), unavailable().is_err())
    });
    assert_eq!(*captured.output(), (2, true));
    let streamed = captured.find("feed").expect("the stream's span");
    let returned = captured.find("unavailable").expect("the function's span");
    assert_eq!(streamed.status, returned.status);
    assert_eq!(
        attribute(streamed, "error.type"),
        attribute(returned, "error.type")
    );
}

/// Pages fetched with reqwest until one's status is an error (`error_for_status`).
#[traced_rpc(client, http, template = "/items")]
fn reqwest_pages(request: http::Request<()>) -> impl Stream<Item = reqwest::Result<u32>> {
    let _ = request;
    let failed = reqwest::Response::from(
        http::Response::builder()
            .status(503)
            .body(String::new())
            .expect("a valid response"),
    )
    .error_for_status()
    .map(|_| 0);
    stream::iter([Ok(1), failed])
}

#[test]
fn a_reqwest_stream_dropped_at_its_status_ended_with_it() {
    let captured = capture(|| {
        use futures::TryStreamExt as _;
        let request = http::Request::get("http://shop/items").body(()).unwrap();
        futures::executor::block_on(reqwest_pages(request).try_collect::<Vec<_>>()).is_err()
    });
    assert!(*captured.output());
    assert_ended_at_status(&captured.spans()[0], 503);
}

/// An application's error that may be a reply, counting how often it was asked.
#[derive(Debug)]
struct Refused(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused")
    }
}

impl std::error::Error for Refused {}

impl otel_traced::rpc::HasReply for Refused {
    fn reply(&self) -> otel_traced::rpc::Reply<'_> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        otel_traced::rpc::Reply::Http { status: 403 }
    }
}

#[traced]
fn refusals(
    asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> impl Stream<Item = Result<u8, Refused>> {
    stream::iter([Err(Refused(asked))])
}

#[test]
fn a_traced_streams_error_that_may_be_a_reply_is_not_asked_for_one() {
    let asked = std::sync::Arc::default();
    let captured = capture(|| {
        futures::executor::block_on(refusals(std::sync::Arc::clone(&asked)).collect::<Vec<_>>())
            .len()
    });
    assert_eq!(*captured.output(), 1);
    assert_eq!(
        asked.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "no boundary: no reply"
    );
    assert_eq!(captured.spans()[0].status, Status::error("refused"));
}

/// A stream spelled by its items' `Result`.
#[traced]
fn try_pages(most: u32) -> impl futures::TryStream<Ok = u32, Error = String> {
    stream::iter(0..=most).map(move |page| {
        if page < most {
            Ok(page)
        } else {
            Err(format!("no page {page}"))
        }
    })
}

#[test]
fn a_returned_try_stream_is_traced_as_a_stream_of_its_results() {
    use futures::TryStreamExt as _;
    let captured =
        capture(|| futures::executor::block_on(try_pages(2).into_stream().collect::<Vec<_>>()));
    assert_eq!(
        *captured.output(),
        [Ok(0), Ok(1), Err("no page 2".to_owned())]
    );
    let span = &captured.spans()[0];
    assert_eq!(span.name, "try_pages");
    assert_eq!(
        span.status,
        Status::error("no page 2"),
        "its Err item, read"
    );
}
