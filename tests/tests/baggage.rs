//! Baggage: `baggage(..)` records entries of the current baggage, `set_baggage(..)`
//! adds entries for the body and everything it calls, `baggage::{get, with}`.

use otel_traced::baggage;
use otel_traced::opentelemetry::Value;
use otel_traced::testing::capture;
use otel_traced::{traced, traced_rpc};
use otel_traced_tests::{attribute, own_keys, string};

#[traced(baggage(user.id, tenant, "session-id" => session.id))]
fn handler(path: &str) -> Option<String> {
    let _ = path;
    baggage::get("user.id")
}

#[test]
fn baggage_entries_are_recorded_under_their_keys_and_only_those_named() {
    let entries = [
        ("user.id", "ada"),
        ("session-id", "s-1"),
        ("credit_card", "4111 1111 1111 1111"),
    ];
    let captured = capture(|| baggage::with(entries, || handler("/cart")));
    assert_eq!(captured.output().as_deref(), Some("ada"));
    let span = &captured.spans()[0];
    assert_eq!(own_keys(span), ["path", "user.id", "session.id"]);
    assert_eq!(attribute(span, "user.id"), Some(&string("ada")));
    assert_eq!(attribute(span, "session.id"), Some(&string("s-1")));
    assert_eq!(
        attribute(span, "tenant"),
        None,
        "absent entries record nothing"
    );
    assert_eq!(
        attribute(span, "credit_card"),
        None,
        "unnamed entries are never recorded"
    );
}

#[traced(set_baggage(user.id = user, "request-id" = %request))]
fn login(user: &str, request: u64) -> (Option<String>, Option<String>, Option<String>) {
    (
        baggage::get("user.id"),
        baggage::get("request-id"),
        downstream(),
    )
}

#[traced(baggage(user.id))]
fn downstream() -> Option<String> {
    baggage::get("user.id")
}

#[test]
fn set_baggage_reaches_the_body_and_everything_it_calls() {
    let captured = capture(|| login("grace", 7));
    assert_eq!(
        *captured.output(),
        (
            Some("grace".to_owned()),
            Some("7".to_owned()),
            Some("grace".to_owned())
        )
    );
    let downstream = captured.find("downstream").unwrap();
    assert_eq!(attribute(downstream, "user.id"), Some(&string("grace")));
    assert_eq!(baggage::get("user.id"), None, "only inside the call");
}

#[test]
fn set_baggage_works_without_tracing_installed() {
    // Outside any capture and with nothing installed: no span, but baggage still
    // propagates to what the body calls.
    assert_eq!(login("ada", 1).2.as_deref(), Some("ada"));
}

/// Code whose module has no prelude: the expansion names everything it calls.
mod without_prelude {
    #![no_implicit_prelude]

    #[::otel_traced::traced(set_baggage(tenant = tenant))]
    pub fn tenant_seen(tenant: &str) -> ::std::option::Option<::std::string::String> {
        ::otel_traced::baggage::get("tenant")
    }

    #[::otel_traced::traced(set_baggage(tenant = tenant), ret)]
    pub async fn parsed(
        tenant: &str,
        digits: &str,
    ) -> ::std::result::Result<u32, ::std::num::ParseIntError> {
        ::std::str::FromStr::from_str(digits)
    }
}

#[test]
fn set_baggage_works_in_a_module_without_the_prelude() {
    assert_eq!(
        without_prelude::tenant_seen("acme").as_deref(),
        Some("acme")
    );
    let captured = capture(|| futures::executor::block_on(without_prelude::parsed("acme", "x")));
    assert!(captured.output().is_err());
    assert_eq!(
        attribute(captured.find("parsed").unwrap(), "error.type"),
        Some(&string("core::num::error::ParseIntError"))
    );
}

#[traced(set_baggage(tier = "gold"))]
async fn priced() -> Option<String> {
    tokio::task::yield_now().await;
    baggage::get("tier")
}

#[tokio::test]
async fn set_baggage_holds_across_awaits() {
    assert_eq!(priced().await.as_deref(), Some("gold"));
}

#[traced(baggage(tier))]
async fn quoted() -> Option<String> {
    tokio::task::yield_now().await;
    baggage::get("tier")
}

#[test]
fn with_async_carries_the_entries_into_the_futures_span_and_every_poll() {
    let captured =
        capture(|| futures::executor::block_on(baggage::with_async([("tier", "gold")], quoted())));
    assert_eq!(captured.output().as_deref(), Some("gold"));
    let span = captured.find("quoted").unwrap();
    assert_eq!(attribute(span, "tier"), Some(&string("gold")));
    assert_eq!(baggage::get("tier"), None, "only inside the future");
}

/// Pending once, woken at once: a future's await between two polls.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(move |task| {
        if std::mem::replace(&mut yielded, true) {
            std::task::Poll::Ready(())
        } else {
            task.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}

#[traced(set_baggage(tier = "gold"))]
async fn priced_after_a_yield() -> Option<String> {
    yield_once().await;
    baggage::get("tier")
}

#[traced]
async fn tier_after_a_yield() -> Option<String> {
    yield_once().await;
    baggage::get("tier")
}

/// Polls `future` once here, then to its end on another thread under the baggage
/// `tier = silver`; the baggage seen here between the polls, and its output.
fn polled_apart<F: std::future::Future<Output = Option<String>> + Send + 'static>(
    future: F,
) -> (Option<String>, Option<String>) {
    let mut future = Box::pin(future);
    let waker = futures::task::noop_waker();
    let first = future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(&waker));
    assert!(first.is_pending(), "it awaits once");
    let between = baggage::get("tier");
    let output = std::thread::spawn(move || {
        baggage::with([("tier", "silver")], || futures::executor::block_on(future))
    })
    .join()
    .expect("polled to its end");
    (between, output)
}

#[test]
fn baggage_a_future_carries_is_current_only_while_it_is_polled() {
    assert_eq!(
        polled_apart(priced_after_a_yield()),
        (None, Some("gold".to_owned())),
        "set_baggage"
    );
    assert_eq!(
        polled_apart(baggage::with_async(
            [("tier", "gold")],
            tier_after_a_yield()
        )),
        (None, Some("gold".to_owned())),
        "with_async"
    );
}

/// A tenant whose `Display` panics (a bug of its own).
struct Broken;

impl std::fmt::Display for Broken {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("no tenant to show")
    }
}

#[traced(set_baggage(tenant = %tenant, plan = ?plan))]
fn billed(tenant: Broken, plan: &str) -> (Option<String>, Option<String>) {
    let _ = tenant;
    (baggage::get("tenant"), baggage::get("plan"))
}

#[test]
fn set_baggage_leaves_out_a_value_whose_formatting_panics_and_keeps_the_others_whole() {
    let plan = "p".repeat(5_000);
    let captured = capture(|| billed(Broken, &plan));
    assert_eq!(
        *captured.output(),
        (None, Some(format!("{plan:?}"))),
        "no made-up tenant travels on; a long value within the W3C limit is not cut"
    );
    assert!(captured.find("billed").is_some(), "the call ran");
    // Nor does the value the caller's baggage had for it (from upstream, say).
    let inherited = capture(|| baggage::with([("tenant", "upstream")], || billed(Broken, "p")));
    assert_eq!(inherited.output().0, None, "the key taken out");
}

/// A client forwarding the incoming request's headers, tenant and all.
#[traced_rpc(client, http, carrier = request, set_baggage(tenant = %tenant))]
fn forward(request: &mut http::Request<()>, tenant: &dyn std::fmt::Display) {
    let _ = request;
}

#[test]
fn a_key_set_baggage_left_out_does_not_travel_on_in_a_forwarded_header() {
    let forwarded = |tenant: &dyn std::fmt::Display| {
        let mut request = http::Request::new(());
        request.headers_mut().insert(
            "baggage",
            http::HeaderValue::from_static("tenant=old,plan=gold"),
        );
        let _ = capture(|| forward(&mut request, tenant));
        request
            .headers()
            .get("baggage")
            .map(|value| value.to_str().unwrap().to_owned())
    };
    // Its value could not be made, or is past the W3C limit: the caller's
    // baggage is written in place of the forwarded header, and here it has none.
    assert_eq!(forwarded(&Broken), None);
    assert_eq!(forwarded(&"t".repeat(9_000)), None);
    // Set: the context's baggage is written, as always.
    assert_eq!(forwarded(&"new").as_deref(), Some("tenant=new"));
}

/// A producer whose message was made from a copy of the incoming headers.
#[traced_rpc(messaging, send, system = "kafka", destination = "orders", carrier = headers, set_baggage(tenant = %tenant))]
fn publish(
    headers: &mut std::collections::HashMap<String, String>,
    tenant: &dyn std::fmt::Display,
) {
    let _ = headers;
}

#[test]
fn a_key_set_baggage_left_out_does_not_travel_on_in_a_new_message() {
    let published = |tenant: &dyn std::fmt::Display| {
        let mut headers = std::collections::HashMap::from([(
            "baggage".to_owned(),
            "tenant=old,plan=gold".to_owned(),
        )]);
        let _ = capture(|| baggage::with([("region", "eu")], || publish(&mut headers, tenant)));
        headers.get("baggage").cloned()
    };
    // The message's own entries but the one left out, under the call's.
    assert_eq!(published(&Broken).as_deref(), Some("plan=gold,region=eu"));
    // Also where the call has no other entry.
    let mut headers = std::collections::HashMap::from([(
        "baggage".to_owned(),
        "tenant=old,plan=gold".to_owned(),
    )]);
    let _ = capture(|| publish(&mut headers, &Broken));
    assert_eq!(
        headers.get("baggage").map(String::as_str),
        Some("plan=gold")
    );
    // Set: the message's own entries stay for the keys the call has none of.
    assert_eq!(
        published(&"new").as_deref(),
        Some("plan=gold,region=eu,tenant=new")
    );
}

#[traced(baggage(tenant))]
fn tenant_now() -> Option<String> {
    baggage::get("tenant")
}

#[test]
fn a_capture_keeps_the_callers_baggage() {
    use otel_traced::opentelemetry::baggage::BaggageExt as _;
    let _tenant = otel_traced::opentelemetry::Context::current_with_baggage([
        otel_traced::opentelemetry::KeyValue::new("tenant", "acme"),
    ])
    .attach();
    let captured = capture(tenant_now);
    assert_eq!(captured.output().as_deref(), Some("acme"));
    assert_eq!(
        attribute(&captured.spans()[0], "tenant"),
        Some(&string("acme"))
    );
}

#[test]
fn the_w3c_limit_of_64_entries_holds() {
    let many: Vec<(String, String)> = (0..70).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    baggage::with(many, || {
        use otel_traced::opentelemetry::baggage::BaggageExt as _;
        assert_eq!(baggage::get("k63").as_deref(), Some("v"));
        assert_eq!(baggage::get("k64"), None, "entries beyond 64 are not added");
        let count =
            otel_traced::opentelemetry::Context::map_current(|current| current.baggage().len());
        assert_eq!(count, 64);
    });
}

#[traced(baggage(retries))]
fn typed(attempt: u8) {
    let _ = attempt;
}

#[test]
fn baggage_values_are_strings() {
    let captured = capture(|| baggage::with([("retries", "3")], || typed(1)));
    assert_eq!(
        attribute(&captured.spans()[0], "retries"),
        Some(&Value::String("3".into()))
    );
}

/// A message's handler: it runs under the context the message carried.
#[traced(parent = carried, baggage(tenant), skip(carried))]
fn handle_message(carried: &otel_traced::opentelemetry::Context) -> Option<String> {
    let _ = carried;
    baggage::get("tenant")
}

#[test]
fn baggage_entries_are_read_from_an_explicit_parent_as_the_body_reads_them() {
    use otel_traced::opentelemetry::Context;
    use otel_traced::opentelemetry::baggage::BaggageExt as _;
    let captured = capture(|| {
        let carried = Context::current()
            .with_baggage([otel_traced::opentelemetry::KeyValue::new("tenant", "acme")]);
        // The caller's own baggage says another.
        baggage::with([("tenant", "globex")], || handle_message(&carried))
    });
    assert_eq!(captured.output().as_deref(), Some("acme"), "the body's");
    assert_eq!(
        attribute(&captured.spans()[0], "tenant"),
        Some(&string("acme")),
        "the span's, as the body's"
    );
}

/// A client call continuing the context a job carried.
#[traced_rpc(client, http, carrier = request, parent = carried, baggage(tenant), skip(carried))]
fn notify(
    request: &mut http::Request<()>,
    carried: &otel_traced::opentelemetry::Context,
) -> http::StatusCode {
    let _ = (request, carried);
    http::StatusCode::OK
}

#[test]
fn a_clients_baggage_entries_are_read_from_its_explicit_parent() {
    use otel_traced::opentelemetry::Context;
    use otel_traced::opentelemetry::baggage::BaggageExt as _;
    let mut request = http::Request::new(());
    let captured = capture(|| {
        let carried = Context::current()
            .with_baggage([otel_traced::opentelemetry::KeyValue::new("tenant", "acme")]);
        baggage::with([("tenant", "globex")], || notify(&mut request, &carried))
    });
    assert_eq!(
        attribute(&captured.spans()[0], "tenant"),
        Some(&string("acme"))
    );
    assert_eq!(
        request
            .headers()
            .get("baggage")
            .map(|value| value.to_str().unwrap()),
        Some("tenant=acme"),
        "what the request carries"
    );
}

#[traced]
fn price_of() -> i64 {
    3
}

/// The tenant of the baggage current where it runs.
fn tenant_seen() -> String {
    baggage::get("tenant").unwrap_or_default()
}

#[traced(parent = carried, attrs(price = price_of(), tenant = tenant_seen()), skip(carried))]
fn handle_priced(carried: &otel_traced::opentelemetry::Context) {
    let _ = carried;
}

#[traced]
fn worker(carried: &otel_traced::opentelemetry::Context) {
    handle_priced(carried);
}

#[test]
fn an_attribute_expression_runs_in_the_callers_context_with_the_parents_baggage_alone() {
    use otel_traced::opentelemetry::Context;
    use otel_traced::opentelemetry::baggage::BaggageExt as _;
    use otel_traced::opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
    };
    let remote = SpanContext::new(
        TraceId::from(0xaa_u128),
        SpanId::from(0xbb_u64),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    );
    let carried = Context::new()
        .with_remote_span_context(remote.clone())
        .with_baggage([otel_traced::opentelemetry::KeyValue::new(
            "tenant", "parent's",
        )]);
    let captured = capture(|| baggage::with([("tenant", "caller's")], || worker(&carried)));
    let find = |name: &str| captured.find(name).expect(name);
    let (worker, handled, priced) = (find("worker"), find("handle_priced"), find("price_of"));
    assert_eq!(
        handled.parent_span_id,
        remote.span_id(),
        "the explicit parent"
    );
    otel_traced_tests::assert_child_of(priced, worker);
    assert_eq!(attribute(handled, "price"), Some(&Value::I64(3)));
    assert_eq!(attribute(handled, "tenant"), Some(&string("parent's")));
}

#[traced]
fn tenant_of(user: &str) -> String {
    format!("tenant-of-{user}")
}

#[test]
fn baggage_entries_made_by_traced_calls_are_added_with_their_spans() {
    let users = ["ada"];
    let captured = capture(|| {
        // The entries' iterator opens a span as it runs.
        let entries = users.iter().map(|user| ("tenant", tenant_of(user)));
        baggage::with(entries, || baggage::get("tenant"))
    });
    assert_eq!(captured.output().as_deref(), Some("tenant-of-ada"));
    let names: Vec<_> = captured.spans().iter().map(|span| &*span.name).collect();
    assert_eq!(names, ["tenant_of"]);
}

/// Records the entry it sets, as the body runs with it.
#[traced(set_baggage(tenant = tenant), baggage(tenant, region))]
fn switch_tenant(tenant: &str) -> Option<String> {
    let _ = tenant;
    baggage::get("tenant")
}

#[test]
fn baggage_records_the_entries_the_annotation_sets_as_the_body_has_them() {
    let captured = capture(|| {
        baggage::with([("tenant", "old"), ("region", "eu")], || {
            switch_tenant("acme")
        })
    });
    assert_eq!(captured.output().as_deref(), Some("acme"));
    let span = &captured.spans()[0];
    assert_eq!(attribute(span, "tenant"), Some(&string("acme")));
    assert_eq!(
        attribute(span, "region"),
        Some(&string("eu")),
        "the caller's"
    );
    let captured = capture(|| switch_tenant("acme"));
    assert_eq!(
        attribute(&captured.spans()[0], "tenant"),
        Some(&string("acme"))
    );
    // Past the W3C limits once escaped: not added, so neither recorded.
    let spaces = " ".repeat(3000);
    let captured = capture(|| switch_tenant(&spaces));
    assert_eq!(*captured.output(), None);
    assert_eq!(attribute(&captured.spans()[0], "tenant"), None);
}
