//! The adaptive sampler on real annotated calls: the outcome counters the calls
//! feed decide it, sampled or not. (Its statistics, interval changes and
//! cool-down on a clock the test moves are unit tests in
//! `runtime/src/sampling/adaptive.rs`.)

use otel_traced::sdk::trace::Sampler;
use otel_traced::testing::Capture;
use otel_traced::{AdaptiveSampler, traced};

#[traced]
fn lookup(key: u64) -> u64 {
    key
}

#[traced]
fn flaky(attempt: u64) -> Result<u64, String> {
    Err(format!("attempt {attempt} failed"))
}

#[traced]
fn parent_of_many() {
    for key in 0..10 {
        lookup_child(key);
    }
}

#[traced]
fn lookup_child(key: u64) -> u64 {
    key
}

/// No ratio beyond the first calls, so every sampled root is explained by the
/// rules under test.
fn sampler() -> Sampler {
    AdaptiveSampler::new(0.0)
        .first(5)
        .min_calls(10)
        .error_threshold(0.5)
        .into()
}

#[test]
fn the_first_calls_of_an_operation_are_sampled_then_the_ratio() {
    let captured = Capture::new().sampler(sampler()).run(|| {
        for key in 0..40 {
            lookup(key);
        }
    });
    assert_eq!(captured.spans().len(), 5, "the first 5, then ratio 0");
}

#[test]
fn each_name_of_in_span_is_an_operation_of_its_own() {
    let captured = Capture::new().sampler(sampler()).run(|| {
        for key in 0..40 {
            otel_traced::in_span("validate", || key);
            otel_traced::in_span("store", || key);
        }
    });
    for name in ["validate", "store"] {
        let spans = captured.spans().iter().filter(|span| span.name == name);
        assert_eq!(spans.count(), 5, "{name}: the first 5, then ratio 0");
    }
}

#[test]
fn a_failing_operation_is_sampled_in_full_once_its_error_rate_counts() {
    let captured = Capture::new().sampler(sampler()).run(|| {
        for attempt in 0..30 {
            let _ = flaky(attempt);
        }
    });
    // Calls 1-5: the first ones. Calls 6-10: ratio 0, and fewer than 10 calls
    // ended to judge the error rate by. Calls 11-30: every one of them failed
    // before, far above 0.5: all sampled.
    let attempts: Vec<i64> = captured
        .spans()
        .iter()
        .filter_map(|span| {
            span.attributes
                .iter()
                .find(|attribute| attribute.key.as_str() == "attempt")
                .and_then(|attribute| match attribute.value {
                    otel_traced::opentelemetry::Value::I64(attempt) => Some(attempt),
                    _ => None,
                })
        })
        .collect();
    let expected: Vec<i64> = (0..5).chain(10..30).collect();
    assert_eq!(attempts, expected);
}

#[test]
fn children_follow_their_root() {
    let captured = Capture::new().sampler(sampler()).run(|| {
        for _ in 0..8 {
            parent_of_many();
        }
    });
    // 5 roots sampled, each with its 10 children; the 3 others dropped whole,
    // although their children, never roots, would be "first calls" of their own.
    assert_eq!(captured.spans().len(), 5 * 11);
}

#[otel_traced::traced_rpc(http, route = "/carts/{id}", code = false)]
fn cart(request: http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

#[test]
fn each_method_of_a_route_is_an_operation_of_its_own() {
    let captured = Capture::new().sampler(sampler()).run(|| {
        for method in ["GET", "DELETE"] {
            for _ in 0..20 {
                let request = http::Request::builder()
                    .method(method)
                    .uri("/carts/7")
                    .body(())
                    .unwrap();
                cart(request);
            }
        }
    });
    let names: Vec<&str> = captured.spans().iter().map(|span| &*span.name).collect();
    let count = |name: &str| names.iter().filter(|sampled| **sampled == name).count();
    assert_eq!(count("GET /carts/{id}"), 5, "{names:?}");
    assert_eq!(
        count("DELETE /carts/{id}"),
        5,
        "its own first calls, not GET's: {names:?}"
    );
}

/// An HTTP server continuing its caller's trace.
#[otel_traced::traced_rpc(server, http, route = "/adaptive/orders")]
fn orders(request: http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

#[test]
fn a_remote_caller_that_sampled_nothing_uses_up_no_first_call() {
    let request = |traceparent: Option<&str>| {
        let mut request = http::Request::get("/adaptive/orders");
        if let Some(traceparent) = traceparent {
            request = request.header("traceparent", traceparent);
        }
        request.body(()).unwrap()
    };
    let captured = Capture::new().sampler(sampler()).run(|| {
        for _ in 0..5 {
            orders(request(Some(
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
            )));
        }
        for _ in 0..5 {
            orders(request(None));
        }
    });
    let recorded = captured.spans();
    assert_eq!(recorded.len(), 5, "the 5 roots, the first of the interval");
    assert!(
        recorded
            .iter()
            .all(|span| span.parent_span_id == otel_traced::opentelemetry::trace::SpanId::INVALID)
    );
}
