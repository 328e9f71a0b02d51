//! `use_global_provider()`: an application that builds its own provider gets our
//! spans through `opentelemetry::global`, until the guard is dropped.

use otel_traced::opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};
use otel_traced::opentelemetry::{Context, KeyValue, global};
use otel_traced::sdk::error::OTelSdkResult;
use otel_traced::sdk::trace::{SdkTracerProvider, Span, SpanData, SpanProcessor};
use otel_traced::{Guard, InitError, traced};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use otel_traced_tests::Kept;

#[traced]
fn outer(order_id: u64) {
    inner("x");
    let _ = order_id;
}

#[traced]
fn inner(tag: &str) {
    let _ = tag;
}

/// A health check: never recorded, nor anything it calls.
#[traced(sample = never)]
fn health() {
    inner("health");
}

/// `processor` in the application's own provider, set globally, and our spans
/// sent there.
fn through_global(processor: impl SpanProcessor + 'static) -> (SdkTracerProvider, Guard) {
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .build();
    global::set_tracer_provider(provider.clone());
    let guard = otel_traced::use_global_provider().expect("installed");
    (provider, guard)
}

#[test]
fn spans_go_to_the_applications_global_provider_while_the_guard_lives() {
    let _turn = otel_traced_tests::installing_turn();
    let kept = Kept::default();
    let (provider, guard) = through_global(kept.clone());
    assert_eq!(
        otel_traced::init().err(),
        Some(InitError::AlreadyInitialized),
        "one destination at a time"
    );
    outer(7);
    health();
    drop(guard);
    outer(8); // after the guard: recorded nowhere

    let spans = kept.0.lock().unwrap().clone();
    let names: Vec<&str> = spans.iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["inner", "outer"], "`sample = never` holds here too");
    assert_eq!(spans[0].parent_span_id, spans[1].span_context.span_id());
    assert!(spans[1].attributes.contains(&KeyValue::new("order_id", 7)));
    assert!(spans[0].attributes.contains(&KeyValue::new("tag", "x")));
    assert_eq!(spans[1].instrumentation_scope.name(), "otel-traced-tests");
    provider
        .shutdown()
        .expect("the application's provider is still running");
}

/// An application's processor that panics as a span ends.
#[derive(Debug)]
struct Panics;

impl SpanProcessor for Panics {
    fn on_start(&self, _span: &mut Span, _context: &Context) {}
    fn on_end(&self, _span: SpanData) {
        panic!("the application's processor failed");
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// Sets its flag when dropped.
struct Flag(Arc<Mutex<bool>>);

impl Drop for Flag {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = true;
    }
}

/// Pages answered NOT_FOUND first; then it waits, holding `flag`.
#[otel_traced::traced_rpc(client, http)]
fn pages(
    request: http::Request<()>,
    flag: Flag,
) -> impl futures::Stream<Item = Result<u32, http::StatusCode>> {
    use futures::StreamExt as _;
    let _ = request;
    futures::stream::iter([Err(http::StatusCode::NOT_FOUND)]).chain(futures::stream::once(
        async move {
            let _ = &flag;
            std::future::pending().await
        },
    ))
}

#[test]
fn a_stream_dropped_while_the_applications_processor_panics_still_drops_its_body() {
    use futures::StreamExt as _;
    let _turn = otel_traced_tests::installing_turn();
    let (_provider, guard) = through_global(Panics);
    let dropped = Arc::new(Mutex::new(false));
    let request = http::Request::get("http://pages.test/").body(()).unwrap();
    let mut stream = Box::pin(pages(request, Flag(Arc::clone(&dropped))));
    let first = futures::executor::block_on(stream.next());
    assert_eq!(first, Some(Err(http::StatusCode::NOT_FOUND)));
    let ended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(stream)));
    drop(guard);
    global::set_tracer_provider(SdkTracerProvider::builder().build());
    assert!(ended.is_err(), "the processor's panic goes on");
    assert!(*dropped.lock().unwrap(), "what the stream held was dropped");
}

/// The application's processor noting each span that ends, and the span current
/// then (what its `on_end` would open would be that span's child).
#[derive(Debug, Clone, Default)]
struct EndsCurrent(Arc<Mutex<Vec<(String, SpanId)>>>);

impl SpanProcessor for EndsCurrent {
    fn on_start(&self, _span: &mut Span, _context: &Context) {}
    fn on_end(&self, span: SpanData) {
        let current = Context::current().span().span_context().span_id();
        self.0
            .lock()
            .unwrap()
            .push((span.name.into_owned(), current));
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// The span of the code calling the functions: a remote parent's.
const CALLER: SpanId = SpanId::from_bytes(*b"\x00\xf0\x67\xaa\x0b\xa9\x02\xb7");

/// A context whose span is [`CALLER`], sampled.
fn caller() -> Context {
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from_bytes(*b"\x4b\xf9\x2f\x35\x77\xb3\x4d\xa6\xa3\xce\x92\x9d\x0e\x0e\x47\x36"),
        CALLER,
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    ))
}

#[traced]
async fn awaited(tag: &str) {
    let _ = tag;
}

#[traced]
fn listed(tag: &str) -> impl futures::Stream<Item = u32> {
    let _ = tag;
    futures::stream::iter([1, 2])
}

#[test]
fn a_span_ends_under_its_callers_context_not_its_own() {
    let (items, ends) = ends_under_the_caller(|| {
        inner("sync");
        futures::executor::block_on(awaited("async"));
        futures::executor::block_on_stream(listed("stream")).collect::<Vec<u32>>()
    });
    assert_eq!(items, [1, 2]);
    assert_eq!(
        ends,
        ["inner", "awaited", "listed"].map(|name| (name.to_owned(), CALLER))
    );
}

/// Runs `calls` under [`caller`], our spans going to an application's provider
/// with an [`EndsCurrent`] processor; its output, and the spans that ended, each
/// with the span current then.
fn ends_under_the_caller<R>(calls: impl FnOnce() -> R) -> (R, Vec<(String, SpanId)>) {
    let _turn = otel_traced_tests::installing_turn();
    let ends_current = EndsCurrent::default();
    let (_provider, guard) = through_global(ends_current.clone());
    let output = {
        let _caller = caller().attach();
        calls()
    };
    drop(guard);
    global::set_tracer_provider(SdkTracerProvider::builder().build());
    let ends = std::mem::take(&mut *ends_current.0.lock().unwrap());
    (output, ends)
}

#[traced]
fn fails(tag: &str) {
    panic!("{tag} failed");
}

#[traced]
async fn fails_awaited(tag: &str) {
    panic!("{tag} failed");
}

#[traced]
fn fails_listed(tag: &str) -> impl futures::Stream<Item = u32> {
    use futures::StreamExt as _;
    let tag = tag.to_owned();
    futures::stream::iter([1]).map(move |_| panic!("{tag} failed"))
}

#[traced]
fn fails_opening(tag: &str) -> impl std::future::Future<Output = u32> {
    assert!(tag.is_empty(), "{tag} failed");
    async { 1 }
}

#[traced]
fn fails_opening_stream(tag: &str) -> impl futures::Stream<Item = u32> {
    assert!(tag.is_empty(), "{tag} failed");
    futures::stream::iter([1])
}

/// A service that panics in `call` for a GET, in its future's poll for a POST, and
/// in its response body's poll for any other method.
#[derive(Clone, Copy)]
struct PanicsIn;

/// A response body whose first poll panics.
struct FailingBody;

impl http_body::Body for FailingBody {
    type Data = &'static [u8];
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<&'static [u8]>, Self::Error>>> {
        panic!("the body failed")
    }
}

impl tower_service::Service<http::Request<String>> for PanicsIn {
    type Response = http::Response<FailingBody>;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<String>) -> Self::Future {
        let method = request.method().clone();
        assert!(method != http::Method::GET, "the call failed");
        Box::pin(async move {
            assert!(method != http::Method::POST, "the future failed");
            Ok(http::Response::new(FailingBody))
        })
    }
}

/// Serves a `method` request through the HTTP server layer around [`PanicsIn`],
/// reading the response's body: whichever part panics, the panic goes on.
fn serve_failing(method: http::Method) -> bool {
    use http_body_util::BodyExt as _;
    use tower_layer::Layer as _;
    use tower_service::Service as _;
    let mut service = otel_traced::tower::HttpLayer::server().layer(PanicsIn);
    let request = http::Request::builder()
        .method(method)
        .uri("/stock")
        .body(String::new())
        .unwrap();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures::executor::block_on(async {
            let response = service.call(request).await.expect("served");
            response.into_body().collect().await.expect("read");
        })
    }))
    .is_err()
}

#[test]
fn a_span_a_panic_ends_ends_under_its_callers_context_not_its_own() {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    let (panicked, ends) = ends_under_the_caller(|| {
        [
            catch_unwind(|| fails("sync")).is_err(),
            catch_unwind(|| futures::executor::block_on(fails_awaited("async"))).is_err(),
            catch_unwind(|| futures::executor::block_on_stream(fails_listed("stream")).count())
                .is_err(),
            catch_unwind(|| drop(fails_opening("opening"))).is_err(),
            catch_unwind(|| drop(fails_opening_stream("opening"))).is_err(),
            catch_unwind(AssertUnwindSafe(|| {
                otel_traced::in_span("block", || panic!("the block failed"))
            }))
            .is_err(),
            serve_failing(http::Method::GET),
            serve_failing(http::Method::POST),
            serve_failing(http::Method::PUT),
        ]
    });
    assert_eq!(panicked, [true; 9], "every panic goes on");
    let ended = [
        "fails",
        "fails_awaited",
        "fails_listed",
        "fails_opening",
        "fails_opening_stream",
        "block",
        "GET",
        "POST",
        "PUT",
    ]
    .map(|name| (name.to_owned(), CALLER));
    assert_eq!(ends, ended);
}

#[traced]
fn misformats() -> Result<(), std::fmt::Error> {
    Err(std::fmt::Error)
}

#[traced]
fn gives_up() {
    panic!("a long panic message");
}

/// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` holds for the application's own provider too
/// (our pipelines cut what they export; this one is not ours): read once, in a
/// child process.
#[test]
fn an_errors_strings_are_cut_to_the_limit_for_the_applications_provider() {
    if std::env::var_os(otel_traced_tests::CHILD).is_none() {
        otel_traced_tests::passes_in_a_child_process(
            "an_errors_strings_are_cut_to_the_limit_for_the_applications_provider",
            &[
                ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "5"),
                ("RUST_BACKTRACE", "1"),
            ],
        );
        return;
    }
    let kept = Kept::default();
    let (_provider, _guard) = through_global(kept.clone());
    assert!(misformats().is_err());
    assert!(std::panic::catch_unwind(gives_up).is_err());
    let spans = kept.0.lock().unwrap().clone();
    let misformatted = &spans[0];
    for (key, value) in [
        ("error.type", "core:"),
        ("code.function.name", "globa"),
        ("code.file.path", "tests"),
    ] {
        assert!(
            misformatted.attributes.contains(&KeyValue::new(key, value)),
            "{key}: {:?}",
            misformatted.attributes
        );
    }
    let exception = &misformatted.events.events[0].attributes;
    assert_eq!(
        exception[..2],
        [
            KeyValue::new("exception.type", "core:"),
            KeyValue::new("exception.message", "an er")
        ]
    );
    let given_up = &spans[1].events.events[0].attributes;
    for key in ["code.file.path", "exception.stacktrace"] {
        let value = given_up
            .iter()
            .find(|attribute| attribute.key.as_str() == key)
            .map(|attribute| attribute.value.as_str().chars().count());
        assert_eq!(value, Some(5), "{key}: {given_up:?}");
    }
}

#[otel_traced::traced_rpc(http, route = "/orders")]
fn serve_order(request: &http::Request<()>) {
    let _ = request;
}

/// A caller's trace id, from the internet.
const CALLERS_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";

/// The trace id of the span a request carrying a caller's `traceparent` opens,
/// under `use_global_provider()` with the environment as it is.
fn served_trace_id() -> String {
    let kept = Kept::default();
    let (_provider, guard) = through_global(kept.clone());
    let request = http::Request::builder()
        .header(
            "traceparent",
            format!("00-{CALLERS_TRACE}-b7ad6b7169203331-01"),
        )
        .body(())
        .unwrap();
    serve_order(&request);
    drop(guard);
    let spans = kept.0.lock().unwrap().clone();
    assert_eq!(spans.len(), 1);
    spans[0].span_context.trace_id().to_string()
}

#[test]
fn an_unset_global_propagator_is_the_environments_none_or_else_w3c() {
    if std::env::var_os(otel_traced_tests::CHILD).is_some() {
        if std::env::var("OTEL_PROPAGATORS").as_deref() == Ok("tracecontxt") {
            let refused = otel_traced::use_global_provider().expect_err("a name no one knows");
            assert!(
                refused.to_string().contains("OTEL_PROPAGATORS"),
                "{refused}"
            );
            return;
        }
        let continued = served_trace_id() == CALLERS_TRACE;
        if std::env::var("OTEL_PROPAGATORS").as_deref() == Ok(" ") {
            // Blank is unset, as for every variable: the application's global
            // propagator stays its own (none), boundaries using W3C meanwhile.
            assert!(continued);
            assert!(global::get_text_map_propagator(|global| global
                .fields()
                .next()
                .is_none()));
            return;
        }
        assert_eq!(
            continued,
            !matches!(
                std::env::var("OTEL_PROPAGATORS").as_deref(),
                Ok("none" | "xray")
            ),
            "told to carry no trace, a server continues none; one of the specification's we do not have (the application's to install) is no error"
        );
        return;
    }
    for propagators in [
        &[][..],
        &[("OTEL_PROPAGATORS", "none")],
        &[("OTEL_PROPAGATORS", "tracecontext,xray")],
        // Ours none of them: none until the application sets its X-Ray one.
        &[("OTEL_PROPAGATORS", "xray")],
        &[("OTEL_PROPAGATORS", "tracecontxt")],
        &[("OTEL_PROPAGATORS", " ")],
    ] {
        otel_traced_tests::passes_in_a_child_process(
            "an_unset_global_propagator_is_the_environments_none_or_else_w3c",
            propagators,
        );
    }
}
