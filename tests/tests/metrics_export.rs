//! RED metrics from the annotations (DESIGN §10), exported over OTLP to the
//! in-process receiver: the function and boundary duration histograms with the
//! conventions' names, units, buckets and attributes, and counts equal to the
//! calls made, also when no span was sampled. `init()` is process-wide: the tests
//! take turns.

use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, HistogramDataPoint, Metric, NumberDataPoint, metric, number_data_point,
};
use otel_traced::{Config, traced, traced_rpc};
use otel_traced_tests::installing_turn as turn;
use otel_traced_tests::receiver::{
    Receiver, TextAttributes, Transport, text_attributes, text_pairs,
};
use tonic::{Request, Response};

/// The bucket boundaries the HTTP and RPC conventions advise, in seconds.
const ADVISED_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Those of a function's durations: from a microsecond.
const FUNCTION_BUCKETS: [f64; 16] = [
    0.000_001, 0.000_005, 0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5,
    1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug)]
struct Declined;

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for Declined {}

#[traced(metrics)]
fn charge(amount: u64) -> Result<u64, Declined> {
    if amount.is_multiple_of(3) {
        Err(Declined)
    } else {
        Ok(amount)
    }
}

#[traced(metrics)]
async fn ship(parcel: u64) -> Result<(), Declined> {
    tokio::task::yield_now().await;
    if parcel == 0 { Err(Declined) } else { Ok(()) }
}

#[traced(metrics)]
fn explode() {
    panic!("boom");
}

/// Declines one refund, then panics: the panic, the last failure, is the call's.
#[traced(metrics)]
fn refunds() -> impl futures::Stream<Item = Result<u64, Declined>> {
    use futures::StreamExt as _;
    futures::stream::iter([Err(Declined), Ok(1)]).map(|refund| {
        assert!(refund.is_err(), "the ledger is gone");
        refund
    })
}

#[traced]
fn unmeasured() {}

#[traced_rpc(http, route = "/users/{id}")]
fn get_user(request: &http::Request<()>, id: u64) -> http::Response<()> {
    let _ = request;
    let status = if id == 0 { 500 } else { 200 };
    http::Response::builder()
        .status(status)
        .body(())
        .expect("a response")
}

#[traced_rpc(service = "shop.v1.Inventory")]
fn reserve(request: Request<&'static str>) -> Result<Response<u32>, tonic::Status> {
    match *request.get_ref() {
        "missing" => Err(tonic::Status::not_found("no such sku")),
        "broken" => Err(tonic::Status::internal("stock table unreadable")),
        _ => Ok(Response::new(1)),
    }
}

/// A server-streaming handler: the call goes on in the stream it returns.
#[traced_rpc(service = "shop.v1.Inventory")]
fn watch_stock(
    request: Request<&str>,
) -> Result<Response<futures::stream::Iter<std::vec::IntoIter<u32>>>, tonic::Status> {
    match *request.get_ref() {
        "down" => Err(tonic::Status::unavailable("stock table down")),
        _ => Ok(Response::new(futures::stream::iter(vec![1, 2]))),
    }
}

#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Reserve",
    server = "inventory:50051"
)]
fn call_reserve(request: Request<()>) -> Result<Response<()>, tonic::Status> {
    let _ = request;
    Err(tonic::Status::unavailable("down"))
}

/// Answered over HTTP/2, as a client negotiates it (ALPN) for a request that
/// says HTTP/1.1: the reply's version is recorded.
#[traced_rpc(client, http, template = "/users/{id}")]
fn fetch_user(request: http::Request<()>) -> http::Response<()> {
    let status = match request.uri().path() {
        "/users/0" => http::StatusCode::NOT_FOUND,
        _ => http::StatusCode::OK,
    };
    http::Response::builder()
        .status(status)
        .version(http::Version::HTTP_2)
        .body(())
        .unwrap()
}

/// An HTTP service to wrap in the tower layers: its function answers each request.
struct Answering(fn(&http::Request<()>) -> http::Response<String>);

impl tower_service::Service<http::Request<()>> for Answering {
    type Response = http::Response<String>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<()>) -> Self::Future {
        std::future::ready(Ok((self.0)(&request)))
    }
}

/// 503 for user 0.
fn users(request: &http::Request<()>) -> http::Response<String> {
    let status = if request.uri().path() == "/layered/0" {
        503
    } else {
        200
    };
    http::Response::builder()
        .status(status)
        .body(String::new())
        .expect("a response")
}

/// The data points of the histogram `name` in the last export (cumulative, so it
/// holds every call), keyed by their attributes; and the metric itself.
fn histogram(
    receiver: &Receiver,
    name: &str,
) -> (Metric, Vec<(TextAttributes, HistogramDataPoint)>) {
    let (metric, points, temporality) = histogram_as(receiver, name);
    assert_eq!(temporality, AggregationTemporality::Cumulative, "{name}");
    (metric, points)
}

/// [`histogram`] with the temporality the export says.
fn histogram_as(
    receiver: &Receiver,
    name: &str,
) -> (
    Metric,
    Vec<(TextAttributes, HistogramDataPoint)>,
    AggregationTemporality,
) {
    let metric = receiver.last_metric(name);
    let Some(metric::Data::Histogram(data)) = &metric.data else {
        panic!("{name} is not a histogram: {:?}", metric.data);
    };
    let points = data
        .data_points
        .iter()
        .map(|point| (text_attributes(&point.attributes), point.clone()))
        .collect();
    let temporality = AggregationTemporality::try_from(data.aggregation_temporality)
        .unwrap_or(AggregationTemporality::Unspecified);
    (metric, points, temporality)
}

/// `common` and then `extra`: a series' attributes.
fn joined<'a>(
    common: &[(&'a str, &'a str)],
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    common.iter().chain(extra).copied().collect()
}

/// The count of the point with exactly these attributes, 0 when there is none.
fn count(points: &[(TextAttributes, HistogramDataPoint)], pairs: &[(&str, &str)]) -> u64 {
    let wanted = text_pairs(pairs);
    points
        .iter()
        .filter(|(attributes, _)| *attributes == wanted)
        .map(|(_, point)| point.count)
        .sum()
}

/// The data points of the monotonic sum `name` in the last export, keyed by their
/// attributes, with their integer values; and the metric itself.
fn counter(receiver: &Receiver, name: &str) -> (Metric, Vec<(TextAttributes, i64)>) {
    sum(receiver, name, true)
}

/// The points of the non-monotonic sum `name` in the last export, as `counter`.
fn up_down_counter(receiver: &Receiver, name: &str) -> Vec<(TextAttributes, i64)> {
    sum(receiver, name, false).1
}

/// The points of the sum `name` in the last export, which is `monotonic` or not.
fn sum(receiver: &Receiver, name: &str, monotonic: bool) -> (Metric, Vec<(TextAttributes, i64)>) {
    let metric = receiver.last_metric(name);
    let Some(metric::Data::Sum(sum)) = &metric.data else {
        panic!("{name} is not a sum: {:?}", metric.data);
    };
    assert_eq!(sum.is_monotonic, monotonic, "{name}");
    let points = sum
        .data_points
        .iter()
        .map(|point: &NumberDataPoint| {
            let Some(number_data_point::Value::AsInt(value)) = point.value else {
                panic!("{name} counts in integers: {point:?}");
            };
            (text_attributes(&point.attributes), value)
        })
        .collect();
    (metric, points)
}

fn install(
    receiver: &Receiver,
    protocol: &str,
    extra: &[(&'static str, &'static str)],
) -> otel_traced::Guard {
    let endpoint = receiver.endpoint();
    let mut vars = vec![
        // Metrics go beside the spans: the same collector, their own path.
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT".to_owned(), endpoint),
        (
            "OTEL_EXPORTER_OTLP_PROTOCOL".to_owned(),
            protocol.to_owned(),
        ),
        ("OTEL_BSP_SCHEDULE_DELAY".to_owned(), "50".to_owned()),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    );
    Config::from_vars(vars).install().expect("installs")
}

#[test]
fn function_and_boundary_histograms_count_every_call_even_unsampled() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    // Nothing is sampled: the metrics must count every call all the same.
    let guard = install(&receiver, "grpc", &[("OTEL_TRACES_SAMPLER", "always_off")]);
    for amount in 0..7 {
        let _ = charge(amount);
    }
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(async {
            for parcel in 0..4 {
                let _ = ship(parcel).await;
            }
        });
    assert!(std::panic::catch_unwind(explode).is_err());
    assert!(
        std::panic::catch_unwind(|| {
            use futures::StreamExt as _;
            futures::executor::block_on(refunds().collect::<Vec<_>>())
        })
        .is_err()
    );
    // Given up after its `Err` item: that failure stays the call's.
    futures::executor::block_on(async {
        use futures::StreamExt as _;
        let mut refunds = Box::pin(refunds());
        assert!(refunds.next().await.is_some_and(|refund| refund.is_err()));
    });
    unmeasured();
    let request = http::Request::get("http://shop.test/users/7")
        .body(())
        .expect("a request");
    for id in [1, 0, 2] {
        let _ = get_user(&request, id);
    }
    for sku in ["ok", "missing", "broken", "ok"] {
        let _ = reserve(Request::new(sku));
    }
    let _ = call_reserve(Request::new(()));
    let _ = watch_stock(Request::new("sku-1"));
    let _ = watch_stock(Request::new("down"));
    for path in ["/layered/0", "/layered/1"] {
        use tower_layer::Layer as _;
        use tower_service::Service as _;
        let mut layered = otel_traced::tower::HttpLayer::server()
            .route(|_| Some("/layered/{id}".to_owned()))
            .layer(Answering(users));
        let request = http::Request::get(path).body(()).expect("a request");
        let response = futures::executor::block_on(layered.call(request)).expect("served");
        // The layer's span, and its measure, end with the response body.
        drop(response);
    }
    for id in [0, 1, 2] {
        let request = http::Request::get(format!("https://users.test/users/{id}"))
            .body(())
            .expect("a request");
        let _ = fetch_user(request);
    }
    guard.shutdown().expect("a clean shutdown");
    assert!(
        receiver.spans().is_empty(),
        "always_off: no span is exported"
    );

    let (metric, functions) = histogram(&receiver, "otel_traced.function.duration");
    assert_eq!(metric.unit, "s");
    let function = |name: &str| format!("metrics_export::{name}");
    let charge_fn = function("charge");
    assert_eq!(count(&functions, &[("code.function.name", &charge_fn)]), 4);
    assert_eq!(
        count(
            &functions,
            &[
                ("code.function.name", &charge_fn),
                ("error.type", "metrics_export::Declined")
            ]
        ),
        3,
        "amounts 0, 3 and 6 are declined"
    );
    let ship_fn = function("ship");
    assert_eq!(count(&functions, &[("code.function.name", &ship_fn)]), 3);
    assert_eq!(
        count(
            &functions,
            &[
                ("code.function.name", &ship_fn),
                ("error.type", "metrics_export::Declined")
            ]
        ),
        1
    );
    assert_eq!(
        count(
            &functions,
            &[
                ("code.function.name", &function("explode")),
                ("error.type", "panic")
            ]
        ),
        1
    );
    assert_eq!(
        count(
            &functions,
            &[
                ("code.function.name", &function("refunds")),
                ("error.type", "panic")
            ]
        ),
        1,
        "the last failure, as the span's status says"
    );
    assert_eq!(
        count(
            &functions,
            &[
                ("code.function.name", &function("refunds")),
                ("error.type", "metrics_export::Declined")
            ]
        ),
        1,
        "given up after failing: not cancelled"
    );
    assert_eq!(
        functions.len(),
        7,
        "only `metrics` functions are measured: {functions:?}"
    );
    let (_, point) = &functions[0];
    assert_eq!(point.explicit_bounds, FUNCTION_BUCKETS);
    let requests = receiver.metrics_requests();
    let scopes: Vec<&str> = requests
        .iter()
        .flat_map(|request| &request.resource_metrics)
        .flat_map(|resource| &resource.scope_metrics)
        .map(|scope| scope.schema_url.as_str())
        .collect();
    assert!(
        !scopes.is_empty()
            && scopes
                .iter()
                .all(|url| *url == "https://opentelemetry.io/schemas/1.44.0"),
        "{scopes:?}"
    );

    let (metric, http) = histogram(&receiver, "http.server.request.duration");
    assert_eq!(metric.unit, "s");
    // `http::Request` defaults to HTTP/1.1.
    let route = [
        ("http.request.method", "GET"),
        ("http.route", "/users/{id}"),
        ("url.scheme", "http"),
        ("network.protocol.version", "1.1"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| joined(&route, extra);
    assert_eq!(
        count(&http, &with(&[("http.response.status_code", "200")])),
        2
    );
    assert_eq!(
        count(
            &http,
            &with(&[("http.response.status_code", "500"), ("error.type", "500")])
        ),
        1
    );
    let layered = [
        ("http.request.method", "GET"),
        ("http.route", "/layered/{id}"),
        ("url.scheme", "http"),
        ("network.protocol.version", "1.1"),
    ];
    assert_eq!(
        count(
            &http,
            &joined(&layered, &[("http.response.status_code", "200")])
        ),
        1,
        "the tower layer measures as the attribute does"
    );
    assert_eq!(
        count(
            &http,
            &joined(
                &layered,
                &[("http.response.status_code", "503"), ("error.type", "503")]
            )
        ),
        1
    );
    assert_eq!(http.len(), 4, "{http:?}");
    assert_eq!(http[0].1.explicit_bounds, ADVISED_BUCKETS);

    let (metric, rpc) = histogram(&receiver, "rpc.server.call.duration");
    assert_eq!(metric.unit, "s");
    let method = [
        ("rpc.method", "shop.v1.Inventory/Reserve"),
        ("rpc.system.name", "grpc"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| joined(&method, extra);
    assert_eq!(count(&rpc, &with(&[("rpc.response.status_code", "OK")])), 2);
    assert!(
        rpc.iter().all(|(attributes, _)| !attributes
            .get("rpc.method")
            .is_some_and(|method| method.ends_with("/WatchStock"))),
        "a streaming response's call goes on in its stream: its start is no call's duration, \
         and its failures alone would make a series of errors: {rpc:?}"
    );
    assert_eq!(
        count(&rpc, &with(&[("rpc.response.status_code", "NOT_FOUND")])),
        1,
        "NOT_FOUND is the caller's error, not the server's"
    );
    assert_eq!(
        count(
            &rpc,
            &with(&[
                ("rpc.response.status_code", "INTERNAL"),
                ("error.type", "INTERNAL")
            ])
        ),
        1
    );

    let (_, client) = histogram(&receiver, "rpc.client.call.duration");
    assert_eq!(
        count(
            &client,
            &[
                ("error.type", "UNAVAILABLE"),
                ("rpc.method", "shop.v1.Inventory/Reserve"),
                ("rpc.response.status_code", "UNAVAILABLE"),
                ("rpc.system.name", "grpc"),
                ("server.address", "inventory"),
                ("server.port", "50051"),
            ]
        ),
        1
    );

    let (metric, http_client) = histogram(&receiver, "http.client.request.duration");
    assert_eq!(metric.unit, "s");
    let request = [
        ("http.request.method", "GET"),
        ("server.address", "users.test"),
        ("server.port", "443"),
        ("url.template", "/users/{id}"),
        ("network.protocol.version", "2"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| joined(&request, extra);
    assert_eq!(
        count(&http_client, &with(&[("http.response.status_code", "200")])),
        2
    );
    assert_eq!(
        count(
            &http_client,
            &with(&[("http.response.status_code", "404"), ("error.type", "404")])
        ),
        1,
        "4xx is an error on a client"
    );
    assert_eq!(rpc.len(), 3, "{rpc:?}");
    assert_eq!(client.len(), 1, "{client:?}");
    assert_eq!(http_client.len(), 2, "{http_client:?}");
}

#[test]
fn a_tests_capture_keeps_its_calls_out_of_the_installed_metrics() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[]);
    let request = http::Request::get("http://shop.test/users/7")
        .body(())
        .expect("a request");
    let _ = charge(1);
    let _ = get_user(&request, 1);
    // Another test's capture, running meanwhile in the same process.
    let captured = otel_traced::testing::capture(|| {
        let _ = charge(2);
        let _ = get_user(&request, 2);
    });
    assert_eq!(captured.spans().len(), 2, "the capture's own");
    guard.shutdown().expect("a clean shutdown");
    let (_, functions) = histogram(&receiver, "otel_traced.function.duration");
    let charge_fn = "metrics_export::charge";
    assert_eq!(count(&functions, &[("code.function.name", charge_fn)]), 1);
    let (_, http) = histogram(&receiver, "http.server.request.duration");
    let calls: u64 = http.iter().map(|(_, point)| point.count).sum();
    assert_eq!(calls, 1);
}

#[test]
fn every_function_is_measured_when_the_variable_says_so_over_http() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Http);
    let guard = install(
        &receiver,
        "http/protobuf",
        &[
            ("OTEL_TRACED_FUNCTION_METRICS", "true"),
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.5"),
        ],
    );
    for _ in 0..25 {
        unmeasured();
    }
    // Not an annotated function: no series of its own.
    otel_traced::in_span("adhoc", || ());
    guard.shutdown().expect("a clean shutdown");
    let sampled = receiver.spans().len();
    assert!(
        (1..25).contains(&sampled),
        "about half sampled (each 1 in 2: all or none is a chance in 2^25), {sampled} were"
    );
    let (_, functions) = histogram(&receiver, "otel_traced.function.duration");
    assert_eq!(
        count(
            &functions,
            &[("code.function.name", "metrics_export::unmeasured")]
        ),
        25,
        "every call, sampled or not"
    );
    assert_eq!(functions.len(), 1, "{functions:?}");
}

#[test]
fn delta_temporality_when_the_collector_asks_for_it() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(
        &receiver,
        "grpc",
        &[("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta")],
    );
    let _ = charge(1);
    // Exported on its own: the last export has only the calls made after it.
    guard.force_flush().expect("flushed");
    // A second init() fails, and its own pipeline, taken down, stops nothing of
    // the first's.
    let second = Config::from_vars([("OTEL_METRICS_EXPORTER", "console")]).install();
    assert!(matches!(
        second,
        Err(otel_traced::InitError::AlreadyInitialized)
    ));
    for amount in [2, 3] {
        let _ = charge(amount);
    }
    guard.shutdown().expect("a clean shutdown");
    let (_, points, temporality) = histogram_as(&receiver, "otel_traced.function.duration");
    assert_eq!(temporality, AggregationTemporality::Delta);
    assert_eq!(
        count(&points, &[("code.function.name", "metrics_export::charge")]),
        1,
        "charge(2) alone: charge(1) was in the flush before (cumulative, 2)"
    );
    assert_eq!(
        count(
            &points,
            &[
                ("code.function.name", "metrics_export::charge"),
                ("error.type", "metrics_export::Declined")
            ]
        ),
        1,
        "charge(3)"
    );
}

#[test]
fn exponential_histograms_when_the_variable_asks_for_them() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Http);
    let guard = install(
        &receiver,
        "http/protobuf",
        &[(
            "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
            "base2_exponential_bucket_histogram",
        )],
    );
    for amount in [1, 2] {
        let _ = charge(amount);
    }
    guard.shutdown().expect("a clean shutdown");
    let metric = receiver.last_metric("otel_traced.function.duration");
    let Some(metric::Data::ExponentialHistogram(data)) = &metric.data else {
        panic!("not an exponential histogram: {:?}", metric.data);
    };
    let calls: u64 = data.data_points.iter().map(|point| point.count).sum();
    assert_eq!(calls, 2, "{data:?}");
    assert!(
        data.data_points
            .iter()
            .all(|point| point.scale <= 20 && point.min.is_some()),
        "{data:?}"
    );
}

/// A consumer and a producer: each records its conventions' duration histogram,
/// with the broker they name.
#[traced_rpc(messaging, process, system = "kafka", destination = "orders", server = "kafka-1:9092", carrier = headers)]
fn handle_order(headers: &std::collections::HashMap<String, String>) -> Result<(), String> {
    match headers.get("order") {
        Some(_) => Ok(()),
        None => Err("no order".to_owned()),
    }
}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", server = "kafka-1:9092", batch = batch)]
fn send_orders(batch: &mut [std::collections::HashMap<String, String>]) {
    let _ = batch;
}

/// A pull consumer: what it receives is counted as consumed there, not again
/// when each message is processed.
#[traced_rpc(messaging, receive, system = "kafka", destination = "restock", batch = return)]
fn poll_restock(available: usize) -> Vec<std::collections::HashMap<String, String>> {
    vec![std::collections::HashMap::new(); available]
}

#[traced_rpc(messaging, process, system = "kafka", destination = "restock", carrier = headers)]
fn handle_restock(headers: &std::collections::HashMap<String, String>) {
    let _ = headers;
}

/// A pull consumer of one message at a time, of a consumer group: the message it
/// returns is counted.
#[traced_rpc(messaging, receive, system = "kafka", destination = "refunds", consumer_group = "billing", carrier = return)]
fn poll_refund(available: bool) -> Option<std::collections::HashMap<String, String>> {
    available.then(std::collections::HashMap::new)
}

#[traced_rpc(messaging, process, system = "kafka", destination = "refunds", carrier = headers)]
fn handle_refund(headers: &std::collections::HashMap<String, String>) {
    let _ = headers;
}

/// Another group's push consumer of what `billing` pulls: each group receives
/// every message, its deliveries its own.
#[traced_rpc(messaging, process, system = "kafka", destination = "refunds", consumer_group = "audit", carrier = headers)]
fn audit_refund(headers: &std::collections::HashMap<String, String>) {
    let _ = headers;
}

/// A `receive` that names no message counts nothing: its `process` counts.
#[traced_rpc(messaging, receive, system = "kafka", destination = "alerts")]
fn poll_alert() -> Option<std::collections::HashMap<String, String>> {
    Some(std::collections::HashMap::new())
}

#[traced_rpc(messaging, process, system = "kafka", destination = "alerts", carrier = headers)]
fn handle_alert(headers: &std::collections::HashMap<String, String>) {
    let _ = headers;
}

/// A consumer of several queues names none when it pulls; each message's
/// `process` names its own.
#[traced_rpc(messaging, receive, system = "rabbitmq", batch = return)]
fn poll_queues(available: usize) -> Vec<std::collections::HashMap<String, String>> {
    vec![std::collections::HashMap::new(); available]
}

#[traced_rpc(messaging, process, system = "rabbitmq", destination = "invoices", carrier = headers)]
fn handle_invoice(headers: &std::collections::HashMap<String, String>) {
    let _ = headers;
}

#[traced_rpc(messaging, send, system = "kafka", destination = "orders", server = "kafka-1:9092", carrier = headers)]
fn send_order(headers: &mut std::collections::HashMap<String, String>) -> Result<(), String> {
    match headers.contains_key("order") {
        true => Ok(()),
        false => Err("no order".to_owned()),
    }
}

#[test]
fn messaging_boundaries_count_the_messages_sent_and_consumed_once() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[("OTEL_TRACES_SAMPLER", "always_off")]);
    let mut order = std::collections::HashMap::from([("order".to_owned(), "A-1".to_owned())]);
    // Pushed to the application: `process` counts each delivery.
    handle_order(&order).expect("handled");
    let _ = handle_order(&std::collections::HashMap::new());
    send_orders(&mut [order.clone(), order.clone(), order.clone()]);
    send_order(&mut order).expect("sent");
    let _ = send_order(&mut std::collections::HashMap::new());
    // Pulled: `receive` counts them, `process` does not count them again.
    for message in poll_restock(2).iter().chain(&poll_restock(3)) {
        handle_restock(message);
    }
    let _ = poll_restock(0);
    for available in [true, false, true] {
        if let Some(refund) = poll_refund(available) {
            handle_refund(&refund);
            audit_refund(&refund);
        }
    }
    if let Some(alert) = poll_alert() {
        handle_alert(&alert);
    }
    for message in poll_queues(2) {
        handle_invoice(&message);
    }
    guard.shutdown().expect("a clean shutdown");

    let (metric, sent) = counter(&receiver, "messaging.client.sent.messages");
    assert_eq!(metric.unit, "{message}");
    let producer = [
        ("messaging.system", "kafka"),
        ("messaging.operation.name", "send"),
        ("messaging.destination.name", "orders"),
        ("server.address", "kafka-1"),
        ("server.port", "9092"),
    ];
    let failed = joined(&producer, &[("error.type", "alloc::string::String")]);
    assert_eq!(
        sorted(sent),
        sorted(vec![(text_pairs(&producer), 4), (text_pairs(&failed), 1)]),
        "three in a batch and one alone sent, one failed",
    );
    let (metric, consumed) = counter(&receiver, "messaging.client.consumed.messages");
    assert_eq!(metric.unit, "{message}");
    let pushed = [
        ("messaging.system", "kafka"),
        ("messaging.operation.name", "process"),
        ("messaging.destination.name", "orders"),
        ("server.address", "kafka-1"),
        ("server.port", "9092"),
    ];
    let pulled = [
        ("messaging.system", "kafka"),
        ("messaging.operation.name", "receive"),
        ("messaging.destination.name", "restock"),
    ];
    let failed = joined(&pushed, &[("error.type", "alloc::string::String")]);
    let alert = [
        ("messaging.system", "kafka"),
        ("messaging.operation.name", "process"),
        ("messaging.destination.name", "alerts"),
    ];
    let queues = [
        ("messaging.system", "rabbitmq"),
        ("messaging.operation.name", "receive"),
    ];
    let refunds = [
        ("messaging.system", "kafka"),
        ("messaging.operation.name", "receive"),
        ("messaging.destination.name", "refunds"),
        ("messaging.consumer.group.name", "billing"),
    ];
    let audited = [
        ("messaging.system", "kafka"),
        ("messaging.operation.name", "process"),
        ("messaging.destination.name", "refunds"),
        ("messaging.consumer.group.name", "audit"),
    ];
    assert_eq!(
        sorted(consumed),
        sorted(vec![
            (text_pairs(&pushed), 1),
            (text_pairs(&failed), 1),
            (text_pairs(&pulled), 5),
            (text_pairs(&refunds), 2),
            (text_pairs(&audited), 2),
            (text_pairs(&alert), 1),
            (text_pairs(&queues), 2),
        ]),
        "each delivery counted once, where it was received"
    );
}

fn sorted(mut points: Vec<(TextAttributes, i64)>) -> Vec<(TextAttributes, i64)> {
    points.sort();
    points
}

#[test]
fn messaging_boundaries_record_their_conventions_histograms_even_unsampled() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[("OTEL_TRACES_SAMPLER", "always_off")]);
    let order = std::collections::HashMap::from([("order".to_owned(), "A-1".to_owned())]);
    for _ in 0..3 {
        handle_order(&order).expect("handled");
    }
    let _ = handle_order(&std::collections::HashMap::new());
    send_orders(&mut [order.clone(), order]);
    guard.shutdown().expect("a clean shutdown");
    let consumer = [
        ("messaging.system", "kafka"),
        ("messaging.operation.name", "process"),
        ("messaging.destination.name", "orders"),
        ("server.address", "kafka-1"),
        ("server.port", "9092"),
    ];
    let (metric, processed) = histogram(&receiver, "messaging.process.duration");
    assert_eq!(metric.unit, "s");
    assert_eq!(count(&processed, &consumer), 3, "{processed:?}");
    let failed = joined(&consumer, &[("error.type", "alloc::string::String")]);
    assert_eq!(count(&processed, &failed), 1, "{processed:?}");
    assert_eq!(processed.len(), 2, "two series: {processed:?}");
    let (metric, sent) = histogram(&receiver, "messaging.client.operation.duration");
    assert_eq!(metric.unit, "s");
    let producer = [
        ("messaging.system", "kafka"),
        ("messaging.operation.name", "send"),
        ("messaging.operation.type", "send"),
        ("messaging.destination.name", "orders"),
        ("server.address", "kafka-1"),
        ("server.port", "9092"),
    ];
    assert_eq!(count(&sent, &producer), 1, "one batch, one call: {sent:?}");
}

/// Takes `millis` at least, and fails when told to.
#[traced(metrics)]
fn pause(millis: u64, fail: bool) -> Result<(), Declined> {
    std::thread::sleep(std::time::Duration::from_millis(millis));
    if fail { Err(Declined) } else { Ok(()) }
}

/// The same, as an `async fn`.
#[traced(metrics)]
async fn pause_async(millis: u64) {
    tokio::task::yield_now().await;
    std::thread::sleep(std::time::Duration::from_millis(millis));
}

/// Asserts that the `calls` durations of `point` each took `millis` at least: the
/// minimum, the sum, and no call in a bucket below. Within the clock's calibration
/// (a thousandth: the time-stamp counter's rate is measured over 5 ms), as
/// `metrics::clock`'s own test allows: a sleep may overshoot by less.
fn assert_took_at_least(point: &HistogramDataPoint, calls: u64, millis: u64) {
    let seconds = millis as f64 / 1e3;
    let least = seconds * (1.0 - 1e-3);
    assert_eq!(point.count, calls, "{point:?}");
    assert!(point.min.is_some_and(|min| min >= least), "{point:?}");
    assert!(
        point.sum.is_some_and(|sum| sum >= least * calls as f64),
        "{point:?}"
    );
    let below = point
        .explicit_bounds
        .iter()
        .filter(|bound| **bound < seconds)
        .count();
    assert!(
        point.bucket_counts[..below].iter().all(|count| *count == 0),
        "no call under {seconds} s: {point:?}"
    );
}

#[test]
fn durations_span_the_whole_body_sampled_or_not() {
    let _turn = turn();
    for sampler in ["always_on", "always_off"] {
        let receiver = Receiver::start(Transport::Grpc);
        let guard = install(&receiver, "grpc", &[("OTEL_TRACES_SAMPLER", sampler)]);
        for _ in 0..4 {
            pause(30, false).expect("not told to fail");
        }
        pause(30, true).expect_err("told to fail");
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(async {
                for _ in 0..2 {
                    pause_async(30).await;
                }
            });
        guard.shutdown().expect("a clean shutdown");
        let (_, points) = histogram(&receiver, "otel_traced.function.duration");
        let point = |pairs: &[(&str, &str)]| {
            let wanted = text_pairs(pairs);
            points
                .iter()
                .find(|(attributes, _)| *attributes == wanted)
                .map(|(_, point)| point.clone())
                .unwrap_or_else(|| panic!("{sampler}: no series {wanted:?} among {points:?}"))
        };
        let name = ("code.function.name", "metrics_export::pause");
        assert_took_at_least(&point(&[name]), 4, 30);
        let failed = [name, ("error.type", "metrics_export::Declined")];
        assert_took_at_least(&point(&failed), 1, 30);
        let name = ("code.function.name", "metrics_export::pause_async");
        assert_took_at_least(&point(&[name]), 2, 30);
    }
}

/// Answers over HTTP/2 whatever version the request asked for, as a connection
/// negotiated through ALPN does.
fn over_http2(_: &http::Request<()>) -> http::Response<String> {
    http::Response::builder()
        .version(http::Version::HTTP_2)
        .body(String::new())
        .expect("a response")
}

#[test]
fn an_http_client_records_the_protocol_version_it_negotiated() {
    use tower_layer::Layer as _;
    use tower_service::Service as _;
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[]);
    let mut client = otel_traced::tower::HttpLayer::client().layer(Answering(over_http2));
    let request = http::Request::get("https://stock.test/items/7")
        .version(http::Version::HTTP_11)
        .body(())
        .expect("a request");
    let response = futures::executor::block_on(client.call(request)).expect("answered");
    drop(response);
    guard.shutdown().expect("a clean shutdown");
    let spans = receiver.spans();
    let span = spans
        .iter()
        .find(|span| span.name == "GET")
        .expect("the client span");
    let versions: Vec<_> = span
        .attributes
        .iter()
        .filter(|attribute| attribute.key == "network.protocol.version")
        .map(|attribute| text_attributes(std::slice::from_ref(attribute)))
        .collect();
    assert_eq!(
        versions,
        [text_pairs(&[("network.protocol.version", "2")])],
        "once, negotiated: {:?}",
        span.attributes
    );
    let (_, points) = histogram(&receiver, "http.client.request.duration");
    assert_eq!(points.len(), 1, "{points:?}");
    assert_eq!(
        points[0]
            .0
            .get("network.protocol.version")
            .map(String::as_str),
        Some("2"),
        "{points:?}"
    );
}

/// A server stream's updates, the second of which the client's code panics on
/// when asked to.
#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Watch",
    server = "inventory:50051"
)]
fn watch(
    request: Request<bool>,
) -> std::pin::Pin<Box<dyn futures::Stream<Item = Result<u32, tonic::Status>> + Send>> {
    use futures::StreamExt as _;
    let panics = *request.get_ref();
    Box::pin(futures::stream::iter([9, 8, 7]).map(move |update| {
        assert!(!(panics && update == 8), "a corrupt update");
        Ok(update)
    }))
}

#[test]
fn a_stream_given_up_is_cancelled_and_one_that_panicked_is_the_panic() {
    use futures::StreamExt as _;
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[]);
    let first = |panics| futures::executor::block_on(watch(Request::new(panics)).take(1).count());
    assert_eq!(first(false), 1);
    let panicked = std::panic::catch_unwind(|| {
        futures::executor::block_on(watch(Request::new(true)).take(2).count())
    });
    assert!(panicked.is_err());
    // As a runtime's task: the panic caught first, the stream dropped after it.
    let mut stream = watch(Request::new(true));
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures::executor::block_on(stream.by_ref().take(2).count())
    }));
    assert!(panicked.is_err());
    drop(stream);
    guard.shutdown().expect("a clean shutdown");
    let (_, calls) = histogram(&receiver, "rpc.client.call.duration");
    let watch = [
        ("rpc.method", "shop.v1.Inventory/Watch"),
        ("rpc.system.name", "grpc"),
        ("server.address", "inventory"),
        ("server.port", "50051"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| joined(&watch, extra);
    assert_eq!(
        count(
            &calls,
            &with(&[
                ("rpc.response.status_code", "CANCELLED"),
                ("error.type", "CANCELLED")
            ])
        ),
        1,
        "{calls:#?}"
    );
    assert_eq!(
        count(&calls, &with(&[("error.type", "panic")])),
        2,
        "no status code beside the panic: {calls:#?}"
    );
}

/// Panics when dropped: a subscription whose release fails.
struct FailingRelease;

impl Drop for FailingRelease {
    fn drop(&mut self) {
        panic!("release failed");
    }
}

/// A server stream whose body holds what panics when dropped.
#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "WatchHeld",
    server = "inventory:50051"
)]
fn watch_held(
    request: Request<()>,
) -> std::pin::Pin<Box<dyn futures::Stream<Item = Result<u32, tonic::Status>> + Send>> {
    use futures::StreamExt as _;
    drop(request);
    let held = FailingRelease;
    Box::pin(futures::stream::iter([9, 8, 7]).map(move |update| {
        let _ = &held;
        Ok(update)
    }))
}

#[test]
fn a_stream_given_up_whose_body_panics_when_dropped_is_the_panic_not_cancelled() {
    use futures::StreamExt as _;
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[]);
    let mut stream = watch_held(Request::new(()));
    assert_eq!(
        futures::executor::block_on(stream.by_ref().take(1).count()),
        1
    );
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(stream)));
    assert!(dropped.is_err(), "the panic reaches the caller");
    guard.shutdown().expect("a clean shutdown");
    let (_, calls) = histogram(&receiver, "rpc.client.call.duration");
    let held: Vec<_> = calls
        .iter()
        .filter(|(attributes, _)| {
            attributes.get("rpc.method").map(String::as_str) == Some("shop.v1.Inventory/WatchHeld")
        })
        .map(|(attributes, _)| attributes.clone())
        .collect();
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(
        held[0].get("error.type").map(String::as_str),
        Some("panic"),
        "{held:#?}"
    );
    assert_eq!(held[0].get("rpc.response.status_code"), None, "{held:#?}");
}

/// Its future panics on its first poll (an `async fn`'s own future would drop its
/// span as the panic unwinds; this one is kept in the future returned).
#[traced(metrics)]
fn collapse() -> impl std::future::Future<Output = ()> {
    async { panic!("collapsed") }
}

#[test]
fn a_panicked_calls_duration_ends_at_the_panic_not_when_its_future_is_dropped() {
    use futures::FutureExt as _;
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[]);
    let started = std::time::Instant::now();
    let mut future = Box::pin(collapse());
    let waker = std::task::Waker::noop();
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        future.poll_unpin(&mut std::task::Context::from_waker(waker))
    }));
    // The panic hook's time included (a backtrace printed under RUST_BACKTRACE).
    let until_caught = started.elapsed().as_secs_f64();
    assert!(polled.is_err(), "the panic went on");
    // Kept a while by whatever caught the panic.
    std::thread::sleep(std::time::Duration::from_millis(500));
    drop(future);
    guard.shutdown().expect("a clean shutdown");
    let (_, points) = histogram(&receiver, "otel_traced.function.duration");
    let [(attributes, point)] = &points[..] else {
        panic!("one series: {points:?}");
    };
    assert_eq!(
        attributes.get("error.type").map(String::as_str),
        Some("panic")
    );
    assert!(
        // The margin is the duration clock's coarseness; the wrong answer is 0.5 s on.
        point.sum.is_some_and(|sum| sum < until_caught + 0.05),
        "{until_caught} s until the panic was caught: {point:?}"
    );
}

/// Waits for a response that never comes.
#[traced_rpc(client, http, template = "/stock/{sku}")]
async fn poll_stock(request: http::Request<()>) -> http::Response<()> {
    let _ = request;
    std::future::pending().await
}

/// Waits for work that never comes.
#[traced(metrics)]
async fn next_job() -> u64 {
    std::future::pending().await
}

/// A server stream's updates.
#[traced_rpc(service = "shop.v1.Inventory", method = "Follow")]
fn follow(
    request: Request<()>,
) -> std::pin::Pin<Box<dyn futures::Stream<Item = Result<u32, tonic::Status>> + Send>> {
    let _ = request;
    Box::pin(futures::stream::iter([Ok(1), Ok(2)]))
}

#[test]
fn an_http_or_function_call_given_up_is_measured_apart_as_cancelled() {
    use futures::FutureExt as _;
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[]);
    let mut task = std::task::Context::from_waker(std::task::Waker::noop());
    let request = http::Request::get("https://stock.test/stock/7")
        .body(())
        .expect("a request");
    let mut call = Box::pin(poll_stock(request));
    assert!(call.poll_unpin(&mut task).is_pending());
    drop(call);
    let mut waiting = Box::pin(next_job());
    assert!(waiting.poll_unpin(&mut task).is_pending());
    drop(waiting);
    guard.shutdown().expect("a clean shutdown");
    let (_, http) = histogram(&receiver, "http.client.request.duration");
    let expected = [
        ("error.type", "cancelled"),
        ("http.request.method", "GET"),
        ("server.address", "stock.test"),
        ("server.port", "443"),
        ("url.template", "/stock/{sku}"),
    ];
    assert_eq!(count(&http, &expected), 1, "{http:#?}");
    assert_eq!(http.len(), 1, "{http:#?}");
    let (_, functions) = histogram(&receiver, "otel_traced.function.duration");
    let function = [
        ("code.function.name", "metrics_export::next_job"),
        ("error.type", "cancelled"),
    ];
    assert_eq!(count(&functions, &function), 1, "{functions:#?}");
    assert_eq!(functions.len(), 1, "{functions:#?}");
}

#[test]
fn a_server_stream_given_up_is_cancelled_and_no_error() {
    use futures::StreamExt as _;
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[]);
    assert_eq!(
        futures::executor::block_on(follow(Request::new(())).take(1).count()),
        1
    );
    guard.shutdown().expect("a clean shutdown");
    let (_, served) = histogram(&receiver, "rpc.server.call.duration");
    let cancelled = [
        ("rpc.method", "shop.v1.Inventory/Follow"),
        ("rpc.response.status_code", "CANCELLED"),
        ("rpc.system.name", "grpc"),
    ];
    assert_eq!(count(&served, &cancelled), 1, "{served:#?}");
    assert_eq!(served.len(), 1, "no error.type on the server: {served:#?}");
}

/// Waits for a reply that never comes.
#[traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Hold",
    server = "inventory:50051"
)]
async fn hold(request: Request<()>) -> Result<Response<()>, tonic::Status> {
    let _ = request;
    std::future::pending().await
}

/// A service whose reply never comes.
#[derive(Clone, Copy)]
struct Silent;

impl tower_service::Service<http::Request<()>> for Silent {
    type Response = http::Response<String>;
    type Error = std::convert::Infallible;
    type Future = std::future::Pending<Result<http::Response<String>, std::convert::Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<()>) -> Self::Future {
        std::future::pending()
    }
}

#[test]
fn a_grpc_call_given_up_is_measured_cancelled_sampled_or_not() {
    use futures::FutureExt as _;
    use tower_layer::Layer as _;
    use tower_service::Service as _;
    let _turn = turn();
    for sampler in ["always_on", "always_off"] {
        let receiver = Receiver::start(Transport::Grpc);
        let guard = install(&receiver, "grpc", &[("OTEL_TRACES_SAMPLER", sampler)]);
        let mut task = std::task::Context::from_waker(std::task::Waker::noop());
        let mut call = Box::pin(hold(Request::new(())));
        assert!(call.poll_unpin(&mut task).is_pending());
        drop(call);
        let request = http::Request::post("/shop.v1.Inventory/Hold")
            .body(())
            .expect("a request");
        let mut served = otel_traced::tower::GrpcLayer::server()
            .layer(Silent)
            .call(request);
        assert!(served.poll_unpin(&mut task).is_pending());
        drop(served);
        guard.shutdown().expect("a clean shutdown");
        let cancelled = [
            ("rpc.method", "shop.v1.Inventory/Hold"),
            ("rpc.response.status_code", "CANCELLED"),
            ("rpc.system.name", "grpc"),
        ];
        let (_, calls) = histogram(&receiver, "rpc.client.call.duration");
        let client = joined(
            &cancelled,
            &[
                ("error.type", "CANCELLED"),
                ("server.address", "inventory"),
                ("server.port", "50051"),
            ],
        );
        assert_eq!(count(&calls, &client), 1, "{sampler}: {calls:#?}");
        let (_, served) = histogram(&receiver, "rpc.server.call.duration");
        assert_eq!(count(&served, &cancelled), 1, "{sampler}: {served:#?}");
    }
}

/// An error slow to say what it is (a `Display` that reads a file, say).
#[derive(Debug)]
struct SlowToSay;

impl std::fmt::Display for SlowToSay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::thread::sleep(std::time::Duration::from_secs(1));
        f.write_str("slow to say")
    }
}

impl std::error::Error for SlowToSay {}

#[traced(metrics)]
fn fails_slow_to_say() -> Result<(), SlowToSay> {
    Err(SlowToSay)
}

#[traced(metrics)]
async fn fails_slow_to_say_awaited() -> Result<(), SlowToSay> {
    Err(SlowToSay)
}

#[test]
fn a_calls_duration_ends_before_its_error_is_formatted() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[]);
    assert!(fails_slow_to_say().is_err());
    assert!(futures::executor::block_on(fails_slow_to_say_awaited()).is_err());
    guard.shutdown().expect("a clean shutdown");
    let (_, points) = histogram(&receiver, "otel_traced.function.duration");
    assert_eq!(points.len(), 2, "{points:?}");
    for (attributes, point) in &points {
        assert_eq!(
            attributes.get("error.type").map(String::as_str),
            Some("metrics_export::SlowToSay")
        );
        assert!(
            // The wrong answer is 1 s on: the span records, so its error is said.
            point.sum.is_some_and(|sum| sum < 0.5),
            "{attributes:?}: {point:?}"
        );
    }
}

/// An argument slow to describe (a `Debug` that walks a large structure).
struct SlowToDescribe;

impl std::fmt::Debug for SlowToDescribe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::thread::sleep(std::time::Duration::from_secs(1));
        f.write_str("slow to describe")
    }
}

#[traced(metrics)]
fn takes_slow_to_describe(#[attr] described: &SlowToDescribe) {
    let _ = described;
}

#[traced(metrics)]
async fn takes_slow_to_describe_awaited(#[attr] described: &SlowToDescribe) {
    let _ = described;
}

#[traced_rpc(http, route = "/slow", attrs(described = ?SlowToDescribe))]
fn serves_slow_to_describe(request: &http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

#[test]
fn a_calls_duration_starts_after_its_span_recorded_its_arguments() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[]);
    takes_slow_to_describe(&SlowToDescribe);
    futures::executor::block_on(takes_slow_to_describe_awaited(&SlowToDescribe));
    serves_slow_to_describe(&http::Request::new(()));
    guard.shutdown().expect("a clean shutdown");
    let (_, functions) = histogram(&receiver, "otel_traced.function.duration");
    let (_, served) = histogram(&receiver, "http.server.request.duration");
    assert_eq!(
        functions.len() + served.len(),
        3,
        "{functions:?} {served:?}"
    );
    for (attributes, point) in functions.iter().chain(&served) {
        assert!(
            // The wrong answer is 1 s on: a sampled-out call would not have
            // described its argument, and measured the same call shorter.
            point.sum.is_some_and(|sum| sum < 0.5),
            "{attributes:?}: {point:?}"
        );
    }
}

/// A metric exporter of the application's whose first export panics (a bug in a
/// bridge), counting its exports.
#[derive(Debug, Clone, Default)]
struct PanicsOnce(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl otel_traced::sdk::metrics::exporter::PushMetricExporter for PanicsOnce {
    async fn export(
        &self,
        _: &otel_traced::sdk::metrics::data::ResourceMetrics,
    ) -> otel_traced::sdk::error::OTelSdkResult {
        if self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            panic!("a bug in the bridge");
        }
        Ok(())
    }

    fn force_flush(&self) -> otel_traced::sdk::error::OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(
        &self,
        _: std::time::Duration,
    ) -> otel_traced::sdk::error::OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> otel_traced::sdk::metrics::Temporality {
        otel_traced::sdk::metrics::Temporality::Cumulative
    }
}

#[traced(metrics)]
fn measured_call() {}

#[test]
fn a_metric_exporter_that_panicked_once_still_exports_the_last_metrics() {
    let _turn = turn();
    let exports = PanicsOnce::default();
    let guard = Config::from_vars([("OTEL_TRACES_EXPORTER", "none")])
        .metric_exporter(exports.clone())
        .install()
        .expect("installs");
    measured_call();
    let flushed = guard.force_flush();
    assert!(
        flushed.is_err(),
        "the panic is a failed export: {flushed:?}"
    );
    measured_call();
    guard
        .shutdown()
        .expect("the reader lived on, and made the last export");
    assert_eq!(exports.0.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[traced_rpc(http, route = "/served/{id}")]
fn served_user(request: &http::Request<()>) -> http::Response<String> {
    let _ = request;
    http::Response::new(String::new())
}

#[test]
fn a_handler_behind_a_server_layer_leaves_the_requests_measure_to_the_layer() {
    use tower_layer::Layer as _;
    use tower_service::Service as _;
    let _turn = turn();
    for (sampler, routed) in [
        ("always_on", true),
        ("always_off", true),
        ("always_on", false),
    ] {
        // One each: the last export holding the histogram is this round's.
        let receiver = Receiver::start(Transport::Grpc);
        let guard = install(&receiver, "grpc", &[("OTEL_TRACES_SAMPLER", sampler)]);
        for id in 0..3 {
            let layer = otel_traced::tower::HttpLayer::server();
            let mut layered = if routed {
                layer.route(|_| Some("/served/{id}".to_owned()))
            } else {
                layer
            }
            .layer(Answering(served_user));
            let request = http::Request::get(format!("/served/{id}"))
                .body(())
                .expect("a request");
            drop(futures::executor::block_on(layered.call(request)).expect("served"));
        }
        guard.shutdown().expect("a clean shutdown");
        let (_, served) = histogram(&receiver, "http.server.request.duration");
        let by_route = |route: Option<&str>| -> u64 {
            (served.iter())
                .filter(|(attributes, _)| attributes.get("http.route").map(String::as_str) == route)
                .map(|(_, point)| point.count)
                .sum()
        };
        if routed {
            assert_eq!(
                by_route(Some("/served/{id}")),
                3,
                "{sampler}: by the layer alone"
            );
            assert_eq!(by_route(None), 0, "{sampler}");
        } else {
            // The layer's names no route: the handler's, which does, is kept too.
            assert_eq!(by_route(Some("/served/{id}")), 3, "by the handler");
            assert_eq!(by_route(None), 3, "by the layer");
        }
    }
}

#[test]
fn the_sdks_own_metrics_say_what_each_pipeline_processed_exported_and_lost() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(
        &receiver,
        "grpc",
        &[
            ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
            // A refused span export is not retried for long (the metrics'
            // exports keep the default).
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "1000"),
        ],
    );
    for _ in 0..10 {
        unmeasured();
    }
    guard.force_flush().expect("exported");
    // The collector refuses the spans (its metrics it still takes).
    receiver.set_behaviour(otel_traced_tests::receiver::Behaviour::Fail);
    for _ in 0..5 {
        unmeasured();
    }
    // Lost before the shutdown: the flush says so.
    assert!(guard.force_flush().is_err());
    let shut_down = guard.shutdown().expect_err("five spans lost");
    assert!(
        !shut_down.to_string().contains("metrics"),
        "the last metrics were exported: {shut_down}"
    );
    let processor = [
        ("otel.component.type", "batching_span_processor"),
        ("otel.component.name", "batching_span_processor/0"),
    ];
    let exporter = [
        ("otel.component.type", "otlp_grpc_span_exporter"),
        ("otel.component.name", "otlp_grpc_span_exporter/0"),
    ];
    let sorted = |mut points: Vec<(TextAttributes, i64)>| {
        points.sort();
        points
    };
    let (metric, processed) = counter(&receiver, "otel.sdk.processor.span.processed");
    assert_eq!(metric.unit, "{span}");
    assert_eq!(
        sorted(processed),
        sorted(vec![
            (text_pairs(&processor), 15),
            (
                text_pairs(&joined(&processor, &[("error.type", "queue_full")])),
                0
            ),
        ]),
        "every span handed to the exporter, none dropped from the queue"
    );
    let (_, exported) = counter(&receiver, "otel.sdk.exporter.span.exported");
    assert_eq!(
        sorted(exported),
        sorted(vec![
            (text_pairs(&exporter), 10),
            (
                text_pairs(&joined(&exporter, &[("error.type", "_OTHER")])),
                5
            ),
        ]),
        "ten exported, five refused"
    );
    assert_eq!(
        up_down_counter(&receiver, "otel.sdk.processor.span.queue.capacity"),
        [(text_pairs(&processor), 100)]
    );
    assert_eq!(
        up_down_counter(&receiver, "otel.sdk.processor.span.queue.size"),
        [(text_pairs(&processor), 0)],
        "emptied at shutdown"
    );
    // Logs go to the collector too: their pipeline is named for its exporter.
    let (_, logs_exported) = counter(&receiver, "otel.sdk.exporter.log.exported");
    assert!(
        logs_exported.contains(&(
            text_pairs(&[
                ("otel.component.type", "otlp_grpc_log_exporter"),
                ("otel.component.name", "otlp_grpc_log_exporter/0"),
            ]),
            0
        )),
        "{logs_exported:?}"
    );
}

#[test]
fn the_sdks_own_metrics_at_shutdown_count_the_last_spans_exported() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    // Exported at shutdown only.
    let guard = install(&receiver, "grpc", &[("OTEL_BSP_SCHEDULE_DELAY", "60000")]);
    for _ in 0..10 {
        unmeasured();
    }
    // No flush: the spans' last export and the metrics' last collection are
    // both the shutdown's.
    guard.shutdown().expect("a clean shutdown");
    assert_eq!(receiver.spans().len(), 10);
    assert_eq!(exported_spans(&receiver), 10, "the last export counted");
}

#[test]
fn the_sdks_own_metrics_of_a_flush_count_its_exports() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let guard = install(&receiver, "grpc", &[]);
    for _ in 0..10 {
        unmeasured();
    }
    // A function's flush as its invocation ends (a serverless one's): the
    // metrics it exports count the spans it exported.
    guard.force_flush().expect("exported");
    assert_eq!(receiver.spans().len(), 10);
    assert_eq!(exported_spans(&receiver), 10, "the flush's export counted");
    guard.shutdown().expect("a clean shutdown");
}

#[traced]
fn recorded_only() {}

/// Spans recorded but not sampled are left out of the export: neither lost nor
/// counted exported by the SDK's own metrics.
#[test]
fn the_sdks_own_metrics_do_not_count_spans_left_out_unsampled_as_exported() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    let endpoint = receiver.endpoint();
    let guard = Config::from_vars([
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ])
    .sampler(otel_traced::sdk::trace::Sampler::ParentBased(Box::new(
        otel_traced_tests::RecordsOnly,
    )))
    .install()
    .expect("installs");
    for _ in 0..4 {
        recorded_only();
    }
    for _ in 0..6 {
        unmeasured();
    }
    guard.force_flush().expect("no loss");
    assert_eq!(receiver.spans().len(), 6);
    assert_eq!(
        exported_spans(&receiver),
        6,
        "the unsampled four not among them"
    );
    let (_, processed) = counter(&receiver, "otel.sdk.processor.span.processed");
    assert_eq!(
        processed.iter().map(|(_, value)| value).sum::<i64>(),
        6,
        "nor among those handed to the exporter: {processed:?}"
    );
    guard.shutdown().expect("a clean shutdown");
}

/// The spans the SDK's own metrics last exported to `receiver` say were exported.
fn exported_spans(receiver: &Receiver) -> i64 {
    let (_, exported) = counter(receiver, "otel.sdk.exporter.span.exported");
    exported.iter().map(|(_, value)| value).sum()
}

#[test]
fn the_sdks_own_metrics_count_spans_a_collector_rejected_as_failed() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Http);
    receiver.set_behaviour(otel_traced_tests::receiver::Behaviour::Reject(1));
    let guard = install(&receiver, "http/protobuf", &[]);
    for _ in 0..10 {
        unmeasured();
    }
    let rejected = guard
        .force_flush()
        .expect_err("a span rejected")
        .dropped_spans();
    let _ = guard.shutdown();
    let (_, exported) = counter(&receiver, "otel.sdk.exporter.span.exported");
    let value = |failed: bool| {
        (exported.iter())
            .filter(|(attributes, _)| attributes.contains_key("error.type") == failed)
            .map(|(_, value)| *value)
            .sum::<i64>()
    };
    assert_eq!(value(true), rejected as i64, "{exported:?}");
    assert_eq!(value(false), 10 - rejected as i64, "{exported:?}");
}

#[test]
fn the_sdks_own_metrics_count_what_a_full_queue_dropped() {
    let _turn = turn();
    let receiver = Receiver::start(Transport::Grpc);
    // A slow collector and a queue of 4: most of a burst has nowhere to wait.
    receiver.set_behaviour(otel_traced_tests::receiver::Behaviour::Slow(
        std::time::Duration::from_millis(200),
    ));
    let guard = install(
        &receiver,
        "grpc",
        &[
            ("OTEL_BSP_MAX_QUEUE_SIZE", "4"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4"),
        ],
    );
    for _ in 0..200 {
        unmeasured();
    }
    // Dropped ones are lost: the flush says so, and counts them exactly.
    let lost = guard
        .force_flush()
        .expect_err("a full queue dropped spans")
        .dropped_spans();
    assert!(lost > 0);
    let _ = guard.shutdown();
    let (_, processed) = counter(&receiver, "otel.sdk.processor.span.processed");
    let value = |error: Option<&str>| {
        let mut pairs = vec![
            ("otel.component.type", "batching_span_processor"),
            ("otel.component.name", "batching_span_processor/0"),
        ];
        pairs.extend(error.map(|error| ("error.type", error)));
        let wanted = text_pairs(&pairs);
        processed
            .iter()
            .find(|(attributes, _)| *attributes == wanted)
            .map_or(0, |(_, value)| *value)
    };
    assert_eq!(value(Some("queue_full")), lost as i64, "{processed:?}");
    assert_eq!(
        value(None) + value(Some("queue_full")),
        200,
        "every span processed one way or the other: {processed:?}"
    );
}
