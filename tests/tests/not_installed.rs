//! With nothing installed (no `init()`, no capture open: a binary of its own), an
//! annotated call evaluates none of the expressions its options give but its
//! parent (`server =`, `link =` and its attributes), whose context the body runs
//! under (its baggage, a client's request its trace), a consumer still passes its
//! message's context through, a server called in a span of the application's
//! leaves it current, and a synchronous one runs its body as the bare function
//! does.

use otel_traced::opentelemetry::Context;
use otel_traced::opentelemetry::trace::{TraceContextExt as _, TraceId};
use otel_traced::{traced, traced_rpc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

static EVALUATED: AtomicUsize = AtomicUsize::new(0);

fn counted<T>(value: T) -> T {
    EVALUATED.fetch_add(1, Ordering::Relaxed);
    value
}

#[traced(parent = counted(Context::current()), link = counted(Context::current()), attrs(note = counted(1)))]
fn under_a_parent() -> u8 {
    1
}

#[traced_rpc(client, service = "shop.v1.Inventory", method = "Reserve", server = counted(format!("{}:{}", "inventory", 50051)))]
fn reserve(request: tonic::Request<u32>) -> Result<tonic::Response<u32>, tonic::Status> {
    Ok(tonic::Response::new(request.into_inner()))
}

/// A consumer naming its broker: the message's context still passes through.
#[traced_rpc(messaging, process, system = "kafka", destination = "orders", server = counted(format!("{}:{}", "kafka-1", 9092)), carrier = headers)]
fn process(headers: &HashMap<String, String>) -> TraceId {
    Context::current().span().span_context().trace_id()
}

#[test]
fn nothing_the_options_give_but_the_parent_is_evaluated() {
    assert_eq!(under_a_parent(), 1);
    assert_eq!(EVALUATED.swap(0, Ordering::Relaxed), 1, "the parent alone");
    let reply = reserve(tonic::Request::new(7));
    assert_eq!(reply.map(tonic::Response::into_inner).ok(), Some(7));
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let headers = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    assert_eq!(
        process(&headers),
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
        "the message's trace, passed through"
    );
    assert_eq!(EVALUATED.load(Ordering::Relaxed), 0);
}

/// A job's context relayed by a worker that traces nothing.
#[traced(parent = job)]
fn handle(job: &Context) -> Option<String> {
    otel_traced::baggage::get("tenant")
}

#[traced_rpc(client, http, carrier = request, parent = job)]
fn notify(request: &mut http::Request<()>, job: &Context) {}

#[test]
fn a_given_parent_is_the_bodys_context_and_a_clients_request_carries_it() {
    use otel_traced::opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceState};
    let job = otel_traced::baggage::with([("tenant", "acme")], Context::current)
        .with_remote_span_context(SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::NONE,
        ));
    let mut request = http::Request::new(());
    let seen = otel_traced::baggage::with([("tenant", "globex")], || {
        notify(&mut request, &job);
        handle(&job)
    });
    assert_eq!(seen.as_deref(), Some("acme"), "the job's, not the worker's");
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    assert_eq!(header("baggage"), Some("tenant=acme"));
    assert_eq!(
        header("traceparent"),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    );
}

#[traced]
fn sum(id: u64, name: &str) -> u64 {
    id + name.len() as u64
}

#[traced]
fn current_value() -> Option<u32> {
    Context::current().get::<u32>().copied()
}

#[traced]
fn fails(message: &str) -> u8 {
    panic!("{message}")
}

struct Counter {
    count: u32,
}

impl Counter {
    /// Hands out what its body captures: the body's closure is called once.
    #[traced]
    fn count_mut(&mut self) -> &mut u32 {
        &mut self.count
    }
}

#[test]
fn a_synchronous_call_runs_as_the_bare_function() {
    assert_eq!(sum(3, "four"), 7);
    let mut counter = Counter { count: 1 };
    *counter.count_mut() += 1;
    assert_eq!(counter.count, 2);
    {
        let _caller = Context::current_with_value(5_u32).attach();
        assert_eq!(current_value(), Some(5));
    }
    assert_eq!(current_value(), None);
    let payload = std::panic::catch_unwind(|| fails("left as it was")).unwrap_err();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("left as it was")
    );
}

#[traced]
fn lookup(id: u64) -> Option<u64> {
    otel_traced::record!(cache.hit = true);
    otel_traced::event!("looked up", lookup.id = id);
    otel_traced::set_status(otel_traced::opentelemetry::trace::Status::error(
        "not found",
    ));
    None
}

/// An application's own provider, not given to otel-traced, and the spans it ends.
fn applications_provider() -> (
    otel_traced_tests::Kept,
    otel_traced::sdk::trace::SdkTracerProvider,
) {
    let kept = otel_traced_tests::Kept::default();
    let provider = otel_traced::sdk::trace::SdkTracerProvider::builder()
        .with_span_processor(kept.clone())
        .build();
    (kept, provider)
}

#[test]
fn nothing_installed_the_callers_own_span_is_left_alone() {
    use otel_traced::opentelemetry::trace::{Status, Tracer as _, TracerProvider as _};
    let (kept, provider) = applications_provider();
    provider
        .tracer("app")
        .in_span("handler", |_| assert_eq!(lookup(7), None));
    let spans = kept.0.lock().unwrap().clone();
    let [handler] = &spans[..] else {
        panic!("the handler's span alone: {spans:#?}");
    };
    assert_eq!(handler.status, Status::Unset);
    assert!(handler.attributes.is_empty(), "{:?}", handler.attributes);
    assert!(handler.events.is_empty());
}

/// A server handler making spans of the application's own provider (a database
/// driver's), called inside a middleware's span of that provider.
#[traced_rpc(service = "shop.v1.Inventory")]
fn serve_with_query(request: tonic::Request<u32>) -> Result<tonic::Response<u32>, tonic::Status> {
    use otel_traced::opentelemetry::trace::{Tracer as _, TracerProvider as _};
    otel_traced::opentelemetry::global::tracer_provider()
        .tracer("driver")
        .in_span("query", |_| Ok(tonic::Response::new(request.into_inner())))
}

#[test]
fn nothing_installed_a_server_runs_under_the_span_it_was_called_in() {
    use otel_traced::opentelemetry::trace::{Tracer as _, TracerProvider as _};
    let (kept, provider) = applications_provider();
    otel_traced::opentelemetry::global::set_tracer_provider(provider.clone());
    // A request naming no trace: nothing records, so nothing starts one.
    provider.tracer("app").in_span("middleware", |_| {
        let reply = serve_with_query(tonic::Request::new(7));
        assert_eq!(reply.map(tonic::Response::into_inner).ok(), Some(7));
    });
    let spans = kept.0.lock().unwrap().clone();
    let (Some(query), Some(middleware)) = (
        spans.iter().find(|span| span.name == "query"),
        spans.iter().find(|span| span.name == "middleware"),
    ) else {
        panic!("the middleware's and the query's spans: {spans:#?}");
    };
    assert_eq!(
        query.parent_span_id,
        middleware.span_context.span_id(),
        "the query in the middleware's trace"
    );
}
