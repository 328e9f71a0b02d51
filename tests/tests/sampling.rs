//! `sample = always | never`: per-function hints over the configured sampler,
//! followed by descendants, under parent-based and non-parent-based samplers.

use otel_traced::opentelemetry::trace::{
    Link, SpanContext, SpanId, SpanKind, TraceContextExt, TraceFlags, TraceId, TraceState,
};
use otel_traced::opentelemetry::{Context, KeyValue};
use otel_traced::sdk::trace::{Sampler, SamplingDecision, SamplingResult, ShouldSample};
use otel_traced::testing::Capture;
use otel_traced::traced;

#[traced(sample = always)]
fn payment(amount: u64) -> u64 {
    ledger(amount)
}

#[traced]
fn ledger(amount: u64) -> u64 {
    amount
}

#[traced(sample = never)]
fn health_check() -> bool {
    probe()
}

#[traced]
fn probe() -> bool {
    Context::current().span().span_context().is_sampled()
}

#[traced]
fn request() {
    payment(5);
    health_check();
}

fn names(sampler: Sampler, call: fn()) -> Vec<String> {
    let captured = Capture::new().sampler(sampler).run(call);
    captured
        .spans()
        .iter()
        .map(|s| s.name.to_string())
        .collect()
}

#[test]
fn always_is_recorded_under_always_off_with_its_descendants() {
    assert_eq!(
        names(Sampler::AlwaysOff, || {
            payment(1);
        }),
        ["ledger", "payment"]
    );
    assert_eq!(
        names(Sampler::TraceIdRatioBased(0.0), || {
            payment(1);
        }),
        ["ledger", "payment"],
        "a non-parent-based sampler: the descendant follows through the inherited hint"
    );
}

#[test]
fn never_drops_a_span_and_its_descendants_under_always_on() {
    let captured = Capture::new().sampler(Sampler::AlwaysOn).run(health_check);
    assert!(!*captured.output(), "the descendant is not sampled either");
    assert!(captured.spans().is_empty());
}

#[test]
fn hints_hold_inside_a_parent_based_sampler() {
    // The parent is dropped by the ratio; the forced child is kept, the other hint
    // drops its subtree; nothing else is recorded.
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(0.0)));
    assert_eq!(names(sampler, request), ["ledger", "payment"]);
    let sampler = Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
    assert_eq!(names(sampler, request), ["ledger", "payment", "request"]);
}

/// A request that says what span it ran in, unsampled as it is.
#[traced]
fn request_in() -> SpanContext {
    payment(5);
    Context::current().span().span_context().clone()
}

#[test]
fn a_forced_span_under_an_unsampled_parent_keeps_the_parents_trace() {
    let captured = Capture::new().sampler(Sampler::AlwaysOff).run(request_in);
    let parent = captured.output();
    assert!(parent.is_valid() && !parent.is_sampled());
    let payment = captured.find("payment").expect("forced");
    assert!(payment.span_context.is_sampled());
    assert_eq!(payment.span_context.trace_id(), parent.trace_id());
    assert_eq!(
        payment.parent_span_id,
        parent.span_id(),
        "it names its (unexported) parent"
    );
}

#[traced]
fn located(amount: u64) -> u64 {
    amount
}

/// The current context with a local parent span that was not sampled, in trace
/// and span `id`.
fn under_an_unsampled_local_parent(id: u8) -> Context {
    use otel_traced::opentelemetry::trace::{SpanContext, TraceFlags};
    let parent = SpanContext::new(
        TraceId::from(u128::from(id)),
        SpanId::from(u64::from(id)),
        TraceFlags::default(),
        false,
        TraceState::NONE,
    );
    Context::current().with_remote_span_context(parent)
}

#[test]
fn a_span_recorded_under_an_unsampled_local_parent_has_its_code_attributes_first() {
    // Under such a parent the code attributes are left out of what the sampler
    // sees (a parent-based one drops the span anyway); a sampler that records it
    // all the same still gets them, in their usual place.
    let captured = Capture::new().sampler(Sampler::AlwaysOn).run(|| {
        let _parent = under_an_unsampled_local_parent(7).attach();
        located(3)
    });
    let span = captured.find("located").expect("recorded by AlwaysOn");
    let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "code.function.name",
            "code.file.path",
            "code.line.number",
            "amount"
        ]
    );
    assert_eq!(span.parent_span_id, SpanId::from(7_u64));
}

#[test]
fn under_an_unsampled_local_parent_nothing_is_recorded_and_the_trace_goes_on() {
    let sampler = Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
    let captured = Capture::new().sampler(sampler).run(|| {
        let _parent = under_an_unsampled_local_parent(9).attach();
        (located(1), probe_trace())
    });
    assert!(captured.spans().is_empty());
    let (_, (trace_id, sampled)) = captured.output();
    assert_eq!(
        *trace_id,
        TraceId::from(9_u128),
        "the body runs in the parent's trace"
    );
    assert!(!sampled);
}

#[traced]
fn probe_trace() -> (TraceId, bool) {
    let current = Context::current();
    let span = current.span();
    (
        span.span_context().trace_id(),
        span.span_context().is_sampled(),
    )
}

/// A sampler that keeps the spans whose name starts with `kept`, marks the trace
/// state of every decision, and remembers what it was asked.
#[derive(Clone, Debug, Default)]
struct Asked(std::sync::Arc<std::sync::Mutex<Vec<(String, TraceId)>>>);

impl ShouldSample for Asked {
    fn should_sample(
        &self,
        _parent: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        _kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        self.0.lock().unwrap().push((name.to_owned(), trace_id));
        let decision = if name.starts_with("kept") {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        };
        SamplingResult {
            decision,
            attributes: Vec::new(),
            trace_state: TraceState::from_key_value([("asked", name)]).unwrap(),
        }
    }
}

impl Asked {
    fn questions(&self) -> Vec<(String, TraceId)> {
        self.0.lock().unwrap().clone()
    }
}

/// What the body of a span sees of its own span context.
#[derive(Debug, PartialEq)]
struct Seen {
    trace_id: TraceId,
    span_id: SpanId,
    sampled: bool,
    trace_state: String,
}

fn seen() -> Seen {
    let current = Context::current();
    let span = current.span();
    let context = span.span_context();
    Seen {
        trace_id: context.trace_id(),
        span_id: context.span_id(),
        sampled: context.is_sampled(),
        trace_state: context.trace_state().header(),
    }
}

#[traced]
fn kept_root() -> (Seen, Seen) {
    (seen(), dropped_child())
}

#[traced]
fn dropped_child() -> Seen {
    seen()
}

#[traced]
fn dropped_root() -> (Seen, Seen) {
    (seen(), kept_child())
}

#[traced]
fn kept_child() -> Seen {
    seen()
}

#[test]
fn the_sampler_is_asked_once_per_span_and_its_trace_id_is_the_spans() {
    let asked = Asked::default();
    let captured = Capture::new().sampler(asked.clone()).run(kept_root);
    let (root, child) = captured.output();
    assert_eq!(
        asked.questions(),
        [
            ("kept_root".to_owned(), root.trace_id),
            ("dropped_child".to_owned(), root.trace_id)
        ]
    );
    let [span] = captured.spans() else {
        panic!("only the kept root is exported: {:?}", captured.spans());
    };
    assert_eq!(span.name, "kept_root");
    assert_eq!(span.span_context.trace_id(), root.trace_id);
    assert_eq!(span.span_context.span_id(), root.span_id);
    assert_eq!(span.span_context.trace_state().header(), "asked=kept_root");
    assert!(root.sampled);
    // The dropped child still carries a context of its own through its body: the
    // same trace, a new span id, not sampled, the trace state its decision gave.
    assert_eq!(child.trace_id, root.trace_id);
    assert_ne!(child.span_id, root.span_id);
    assert_ne!(child.span_id, SpanId::INVALID);
    assert!(!child.sampled);
    assert_eq!(child.trace_state, "asked=dropped_child");
}

#[test]
fn a_span_kept_under_a_dropped_root_is_in_the_roots_trace_and_names_it() {
    let asked = Asked::default();
    let captured = Capture::new().sampler(asked.clone()).run(|| {
        let first = dropped_root();
        let second = dropped_root();
        (first, second)
    });
    let ((root, child), (second_root, _)) = captured.output();
    assert_ne!(root.trace_id, TraceId::INVALID);
    assert_ne!(
        root.trace_id, second_root.trace_id,
        "each root gets a trace of its own"
    );
    assert!(!root.sampled);
    assert_eq!(root.trace_state, "asked=dropped_root");
    assert_eq!(
        asked.questions(),
        [
            ("dropped_root".to_owned(), root.trace_id),
            ("kept_child".to_owned(), root.trace_id),
            ("dropped_root".to_owned(), second_root.trace_id),
            ("kept_child".to_owned(), second_root.trace_id)
        ]
    );
    let kept: Vec<_> = captured.spans().iter().map(|s| &s.name).collect();
    assert_eq!(kept, ["kept_child", "kept_child"]);
    let span = captured.find("kept_child").expect("kept");
    assert_eq!(span.span_context.trace_id(), root.trace_id);
    assert_eq!(span.span_context.span_id(), child.span_id);
    assert_eq!(span.parent_span_id, root.span_id);
    assert!(child.sampled);
}

/// A no-op span of the global API is current (a library using
/// `opentelemetry::global::tracer` where no provider is set there): it is no
/// parent, so a parent-based sampler does not drop what runs under it.
#[test]
fn a_no_op_span_of_the_global_api_is_no_parent() {
    use otel_traced::opentelemetry::trace::noop::NoopSpan;
    let captured = Capture::new()
        .sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .run(|| {
            let _noop = Context::current().with_span(NoopSpan::DEFAULT).attach();
            ledger(3)
        });
    assert_eq!(*captured.output(), 3);
    let span = captured.find("ledger").expect("recorded as a root");
    assert_eq!(span.parent_span_id, SpanId::INVALID);
}

/// Records roots without sampling them, drops their children: a parent that
/// records without being sampled.
#[derive(Debug, Clone)]
struct RecordOnlyRoots;

impl ShouldSample for RecordOnlyRoots {
    fn should_sample(
        &self,
        parent: Option<&Context>,
        _trace_id: TraceId,
        _name: &str,
        _kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        let has_parent = parent.is_some_and(|parent| parent.span().span_context().is_valid());
        let decision = if has_parent {
            SamplingDecision::Drop
        } else {
            SamplingDecision::RecordOnly
        };
        SamplingResult {
            decision,
            attributes: Vec::new(),
            trace_state: TraceState::NONE,
        }
    }
}

#[traced]
fn recorded_only() {
    unsampled_child();
}

#[traced]
fn unsampled_child() {
    otel_traced::record!(child.note = "mine");
}

#[test]
fn a_unsampled_childs_record_does_not_reach_a_parent_that_records_unsampled() {
    let captured = Capture::new().sampler(RecordOnlyRoots).run(recorded_only);
    let parent = captured
        .find("recorded_only")
        .expect("the capture keeps a span that records");
    assert!(
        !parent.span_context.is_sampled(),
        "recorded, not sampled: {parent:?}"
    );
    assert!(
        parent
            .attributes
            .iter()
            .all(|attribute| attribute.key.as_str() != "child.note"),
        "the child's record stayed out of its parent: {parent:?}"
    );
    assert!(captured.find("unsampled_child").is_none());
}

/// A health check, never sampled, at a server boundary.
#[otel_traced::traced_rpc(server, http, route = "/healthz", sample = never)]
fn healthz(request: http::Request<()>) -> http::StatusCode {
    let _ = request;
    if probe() {
        http::StatusCode::OK
    } else {
        http::StatusCode::NO_CONTENT
    }
}

/// A consumer loop kept out of traces, handling a message of a trace its producer
/// sampled.
#[traced(sample = never)]
fn consume(carried: SpanContext) -> bool {
    handle_order(&carried)
}

#[traced(parent = carried)]
fn handle_order(carried: &SpanContext) -> bool {
    let _ = carried;
    probe()
}

#[test]
fn a_callers_hint_does_not_reach_a_span_continuing_another_trace() {
    let carried = SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
        SpanId::from(0x00f0_67aa_0ba9_02b7),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    // Only the carried trace's flag keeps a span here.
    let captured = Capture::new()
        .sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
        .run(|| consume(carried.clone()));
    assert!(*captured.output(), "the message's trace is sampled");
    let handle = captured
        .find("handle_order")
        .expect("kept, as its producer's trace is");
    assert_eq!(handle.span_context.trace_id(), carried.trace_id());
    assert_eq!(handle.parent_span_id, carried.span_id());
    assert!(captured.find("consume").is_none(), "the loop itself is not");
}

#[test]
fn a_server_span_sampled_out_keeps_its_descendants_out_too() {
    // No `traceparent`: the server's span starts the trace, and is dropped; what
    // its body calls runs under it and is dropped with it, not a root of its own.
    let captured = Capture::new().run(|| healthz(http::Request::get("/healthz").body(()).unwrap()));
    assert_eq!(captured.tree(), "", "nothing recorded");
    assert_eq!(
        *captured.output(),
        http::StatusCode::NO_CONTENT,
        "probe saw it unsampled"
    );
}

/// Returns a future, whose child span opens when it is polled.
#[traced]
fn refresh() -> impl std::future::Future<Output = bool> {
    async { probe() }
}

#[test]
fn a_future_sampled_out_under_an_unsampled_local_parent_carries_that_parent() {
    let sampler = Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
    let captured = Capture::new().sampler(sampler).run(|| {
        let future = {
            let _parent = under_an_unsampled_local_parent(9).attach();
            refresh()
        };
        // Polled elsewhere, outside the parent: the parent's decision goes with it.
        futures::executor::block_on(future)
    });
    assert_eq!(captured.tree(), "", "nothing recorded");
    assert!(!*captured.output(), "probe ran under the unsampled parent");
}

/// A sampler that drops everything and remembers, per span name, the attributes
/// and the links' span contexts it was shown.
#[derive(Clone, Debug, Default)]
struct Shown(std::sync::Arc<std::sync::Mutex<Vec<Question>>>);

/// A span's name, the attributes (key and value, as text) and the span contexts
/// of the links its sampler was shown.
type Question = (String, Vec<(String, String)>, Vec<(TraceId, SpanId)>);

impl ShouldSample for Shown {
    fn should_sample(
        &self,
        _parent: Option<&Context>,
        _trace_id: TraceId,
        name: &str,
        _kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let attributes = attributes
            .iter()
            .map(|kv| (kv.key.to_string(), kv.value.to_string()))
            .collect();
        let links = links
            .iter()
            .map(|link| (link.span_context.trace_id(), link.span_context.span_id()))
            .collect();
        self.0
            .lock()
            .unwrap()
            .push((name.to_owned(), attributes, links));
        SamplingResult {
            decision: SamplingDecision::Drop,
            attributes: Vec::new(),
            trace_state: TraceState::NONE,
        }
    }
}

#[otel_traced::traced_rpc(http, route = "/orders/{id}")]
fn get_order(request: http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

#[otel_traced::traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Reserve",
    server = "inventory:50051"
)]
fn call_inventory(request: tonic::Request<()>) -> Result<tonic::Response<()>, tonic::Status> {
    let _ = request;
    Ok(tonic::Response::new(()))
}

#[otel_traced::traced_rpc(messaging, process, system = "kafka", destination = "orders", carrier = headers)]
fn handle(headers: &std::collections::HashMap<String, String>) {
    let _ = headers;
}

#[test]
fn samplers_see_the_boundary_attributes_and_links_when_the_span_is_created() {
    let shown = Shown::default();
    let message = std::collections::HashMap::from([(
        "traceparent".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
    )]);
    Capture::new().sampler(shown.clone()).run(|| {
        get_order(
            http::Request::get("/orders/7")
                .header("host", "shop:8080")
                .body(())
                .unwrap(),
        );
        let _ = call_inventory(tonic::Request::new(()));
        handle(&message);
    });
    let shown = shown.0.lock().unwrap().clone();
    let keys = |name: &str| {
        shown
            .iter()
            .find(|(asked, _, _)| asked == name)
            .unwrap_or_else(|| panic!("{name} not asked: {shown:?}"))
            .clone()
    };
    let shows = |attributes: &[(String, String)], expected: &[(&str, &str)]| {
        for (key, value) in expected {
            assert!(
                attributes.iter().any(|(k, v)| k == key && v == value),
                "{key}={value} in {attributes:?}"
            );
        }
    };
    let (_, server, _) = keys("GET /orders/{id}");
    shows(
        &server,
        &[
            ("http.request.method", "GET"),
            ("http.route", "/orders/{id}"),
            ("url.path", "/orders/7"),
            ("url.scheme", "http"),
            ("server.address", "shop"),
            ("server.port", "8080"),
        ],
    );
    let (_, client, _) = keys("shop.v1.Inventory/Reserve");
    shows(
        &client,
        &[
            ("rpc.system.name", "grpc"),
            ("rpc.method", "shop.v1.Inventory/Reserve"),
            ("server.address", "inventory"),
            ("server.port", "50051"),
        ],
    );
    let (_, consumer, links) = keys("process orders");
    shows(
        &consumer,
        &[
            ("messaging.system", "kafka"),
            ("messaging.operation.type", "process"),
            ("messaging.destination.name", "orders"),
        ],
    );
    assert_eq!(
        links,
        [(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap()
        )],
        "the message's creation context, as a link"
    );
}

/// An HTTP server continuing its caller's trace.
#[otel_traced::traced_rpc(server, http, route = "/orders")]
fn orders(request: http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

/// A request carrying a caller's context, sampled there or not.
fn from_caller(sampled: bool) -> http::Request<()> {
    let flags = if sampled { "01" } else { "00" };
    http::Request::get("/orders")
        .header(
            "traceparent",
            format!("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-{flags}"),
        )
        .body(())
        .unwrap()
}

#[test]
fn a_remote_callers_sampled_flag_decides_under_a_parent_based_sampler() {
    let on = || Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
    let dropped = Capture::new()
        .sampler(on())
        .run(|| orders(from_caller(false)));
    assert_eq!(dropped.tree(), "", "the caller did not sample it");
    let off = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(0.0)));
    let kept = Capture::new()
        .sampler(off)
        .run(|| orders(from_caller(true)));
    let span = kept.find("GET /orders").expect("the caller sampled it");
    assert_eq!(span.parent_span_id.to_string(), "b7ad6b7169203331");
    assert!(span.parent_span_is_remote);
}

/// The flags of the span this call runs in.
#[traced]
fn flags_here() -> u8 {
    Context::current()
        .span()
        .span_context()
        .trace_flags()
        .to_u8()
}

#[traced(sample = never)]
fn flags_here_never_sampled() -> u8 {
    Context::current()
        .span()
        .span_context()
        .trace_flags()
        .to_u8()
}

/// A remote parent with `flags`, in the current context (which routes spans to the
/// capture).
fn remote_parent(flags: u8) -> Context {
    Context::current().with_remote_span_context(SpanContext::new(
        TraceId::from(7),
        SpanId::from(9),
        TraceFlags::new(flags),
        true,
        TraceState::NONE,
    ))
}

/// The flags of a call below a span hinted `never`.
#[traced(sample = never)]
fn flags_below_never_sampled() -> u8 {
    flags_here()
}

#[test]
fn a_span_not_sampled_passes_on_the_random_flag_as_its_parent_had_it() {
    // Trace Context Level 2: the random flag (0x02) travels as received.
    let sampler = || Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
    let flags_here: fn() -> u8 = flags_here;
    let cases = [
        (flags_here, 0x02, 0x02),
        (flags_here, 0x00, 0x00),
        (flags_here_never_sampled, 0x03, 0x02),
        (flags_here_never_sampled, 0x01, 0x00),
    ];
    // Below a span hinted `never`, under a sampler that keeps everything else.
    let below: fn() -> u8 = flags_below_never_sampled;
    let all = cases
        .into_iter()
        .map(|case| (case, sampler()))
        .chain([((below, 0x03, 0x02), Sampler::AlwaysOn)]);
    for ((call, parent, expected), sampler) in all {
        let captured = Capture::new().sampler(sampler).run(|| {
            let _parent = remote_parent(parent).attach();
            call()
        });
        assert_eq!(
            *captured.output(),
            expected,
            "under a parent with {parent:#04x}: {}",
            captured.tree()
        );
        assert_eq!(captured.tree(), "", "nothing sampled");
    }
}

#[traced]
async fn settle_async(amount: u64) -> u64 {
    ledger(amount)
}

#[test]
fn a_capture_with_a_sampler_runs_a_future_and_gives_its_output_back() {
    let captured = futures::executor::block_on(
        Capture::new()
            .sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)))
            .run_async(async { settle_async(5).await + payment(2) }),
    );
    let names: Vec<&str> = captured.spans().iter().map(|span| &*span.name).collect();
    assert_eq!(
        names,
        ["ledger", "payment"],
        "the sampler decides in the future: only `sample = always` and its child"
    );
    assert_eq!(captured.into_output(), 7);
}
