//! An OTLP receiver inside the test process, on 127.0.0.1: gRPC on the official
//! `opentelemetry-proto` tonic service, or HTTP/protobuf on hyper decoding the same
//! messages. It keeps every export request it accepts, and can be told to answer
//! slowly or with errors, or be stopped and started again on the same port. Logs
//! and metrics (`/v1/logs`, `/v1/metrics`, their gRPC services) are always
//! accepted and kept. It takes gzip bodies, as a collector does, and keeps the
//! headers each traces export came with, to check what the exporter sent. It can
//! serve TLS and ask clients for a certificate ([`ServerTls`]).

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::trace::v1::Span;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How the receiver answers an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Keep the spans, answer OK.
    Accept,
    /// Keep the spans, answer OK after this long.
    Slow(Duration),
    /// Keep nothing, answer with an error (gRPC UNAVAILABLE / HTTP 503).
    Fail,
    /// Answer this many exports as `Fail` does, then accept: a collector
    /// restarting.
    FailFirst(usize),
    /// Count the spans without keeping them, answer OK: for loads that would not
    /// fit in memory as requests.
    Count,
    /// Keep the spans, answer OK saying this many of each export were rejected
    /// (OTLP's partial success), for the reason [`REJECTED_BECAUSE`].
    Reject(i64),
    /// Keep nothing, answer as a web server would: 200 with an HTML page (over
    /// gRPC, as `Fail` does).
    WebPage,
    /// Keep nothing, answer 429 asking for no export for this many seconds
    /// (`Retry-After`; metrics too, over HTTP; over gRPC, as `Fail` does).
    Throttle(u64),
    /// Keep the spans, answer OK; answer 404 to metrics and logs, as a backend
    /// taking only traces does (Jaeger, Tempo), over HTTP.
    TracesOnly,
}

/// The reason a [`Behaviour::Reject`] receiver gives.
const REJECTED_BECAUSE: &str = "timestamps too old";

/// How the receiver answers one traces export.
enum Answer {
    Taken(ExportTraceServiceResponse),
    Refused,
    WebPage,
    Throttled(u64),
}

/// The transport the receiver speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// OTLP/gRPC.
    Grpc,
    /// OTLP over HTTP with protobuf bodies.
    Http,
}

#[derive(Debug)]
struct State {
    requests: Mutex<Vec<ExportTraceServiceRequest>>,
    /// The headers (gRPC: metadata) of every traces export, kept or not.
    headers: Mutex<Vec<http::HeaderMap>>,
    logs: Mutex<Vec<ExportLogsServiceRequest>>,
    metrics: Mutex<Vec<ExportMetricsServiceRequest>>,
    behaviour: Mutex<Behaviour>,
    /// Spans received under [`Behaviour::Count`].
    counted: std::sync::atomic::AtomicU64,
}

impl State {
    /// Applies the behaviour to one request.
    async fn receive(
        &self,
        headers: http::HeaderMap,
        request: ExportTraceServiceRequest,
    ) -> Answer {
        keep(&self.headers, headers);
        let behaviour = {
            let mut behaviour = self
                .behaviour
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let now = *behaviour;
            if let Behaviour::FailFirst(left) = now {
                *behaviour = match left {
                    0 | 1 => Behaviour::Accept,
                    _ => Behaviour::FailFirst(left - 1),
                };
            }
            now
        };
        let mut answer = ExportTraceServiceResponse::default();
        match behaviour {
            Behaviour::Fail | Behaviour::FailFirst(1..) => return Answer::Refused,
            Behaviour::WebPage => return Answer::WebPage,
            Behaviour::Throttle(seconds) => return Answer::Throttled(seconds),
            Behaviour::FailFirst(0) | Behaviour::Accept | Behaviour::TracesOnly => {}
            Behaviour::Slow(delay) => tokio::time::sleep(delay).await,
            Behaviour::Reject(rejected_spans) => {
                answer.partial_success = Some(ExportTracePartialSuccess {
                    rejected_spans,
                    error_message: REJECTED_BECAUSE.to_owned(),
                });
            }
            Behaviour::Count => {
                let spans = request
                    .resource_spans
                    .iter()
                    .flat_map(|resource| &resource.scope_spans)
                    .map(|scope| scope.spans.len() as u64)
                    .sum();
                self.counted
                    .fetch_add(spans, std::sync::atomic::Ordering::Relaxed);
                return Answer::Taken(answer);
            }
        }
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
        Answer::Taken(answer)
    }
}

/// Keeps one request of the signals always accepted (logs, metrics).
fn keep<T>(list: &Mutex<Vec<T>>, request: T) {
    list.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request);
}

/// The HTTP answer to an export of a signal always accepted: the request decoded
/// as `Request` and kept (400 when it does not decode), an empty `Response`.
fn kept<Request: prost::Message + Default, Response: prost::Message + Default>(
    body: hyper::body::Bytes,
    list: &Mutex<Vec<Request>>,
) -> hyper::Response<http_body_util::Full<hyper::body::Bytes>> {
    let status = match Request::decode(body) {
        Ok(export) => {
            keep(list, export);
            200
        }
        Err(_) => 400,
    };
    protobuf_response(status, Response::default().encode_to_vec())
}

/// A throttling collector's answer: 429, asking for no export for `seconds`.
fn throttled(seconds: u64) -> hyper::Response<http_body_util::Full<hyper::body::Bytes>> {
    let mut response = protobuf_response(429, Vec::new());
    response
        .headers_mut()
        .insert("retry-after", http::HeaderValue::from(seconds));
    response
}

fn protobuf_response(
    status: u16,
    body: Vec<u8>,
) -> hyper::Response<http_body_util::Full<hyper::body::Bytes>> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/x-protobuf")
        .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
        .expect("a valid response")
}

/// `body` as its `content-encoding` (none or gzip) says; `None` when it does not
/// decode, or names another encoding.
fn decoded(headers: &http::HeaderMap, body: hyper::body::Bytes) -> Option<hyper::body::Bytes> {
    use std::io::Read as _;
    match headers.get(http::header::CONTENT_ENCODING) {
        None => Some(body),
        Some(encoding) if encoding == "gzip" => {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut plain)
                .ok()?;
            Some(plain.into())
        }
        Some(_) => None,
    }
}

/// What `read` gives once it holds at least `count` items, or when `timeout` has
/// passed: read every 10 ms.
pub fn at_least<T>(count: usize, timeout: Duration, read: impl Fn() -> Vec<T>) -> Vec<T> {
    let deadline = Instant::now() + timeout;
    loop {
        let items = read();
        if items.len() >= count || Instant::now() >= deadline {
            return items;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The TLS a receiver serves: its certificate and key, and the CA whose
/// certificate it asks every client for (mutual TLS), all PEM.
#[derive(Clone, Debug)]
pub struct ServerTls {
    certificate: Vec<u8>,
    key: Vec<u8>,
    client_ca: Vec<u8>,
}

impl ServerTls {
    /// The files of `tests/fixtures/mtls`: a server certificate for `localhost`
    /// and `127.0.0.1`, signed by `ca.pem`, which signed `client.pem` too.
    pub fn fixtures() -> ServerTls {
        ServerTls {
            certificate: fixture("server.pem"),
            key: fixture("server-key.pem"),
            client_ca: fixture("ca.pem"),
        }
    }

    /// The rustls configuration of the HTTP side.
    fn rustls(&self) -> rustls::ServerConfig {
        use rustls::pki_types::pem::PemObject as _;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        for certificate in CertificateDer::pem_slice_iter(&self.client_ca) {
            roots
                .add(certificate.expect("a PEM CA"))
                .expect("a CA certificate");
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::clone(&provider),
        )
        .build()
        .expect("a client verifier");
        let chain = CertificateDer::pem_slice_iter(&self.certificate)
            .collect::<Result<Vec<_>, _>>()
            .expect("a PEM certificate");
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                chain,
                PrivateKeyDer::from_pem_slice(&self.key).expect("a PEM key"),
            )
            .expect("a server certificate and its key")
    }

    /// The tonic configuration of the gRPC side.
    fn tonic(&self) -> tonic::transport::ServerTlsConfig {
        tonic::transport::ServerTlsConfig::new()
            .identity(tonic::transport::Identity::from_pem(
                &self.certificate,
                &self.key,
            ))
            .client_ca_root(tonic::transport::Certificate::from_pem(&self.client_ca))
    }
}

/// The path of a file of `tests/fixtures/mtls`.
pub fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/mtls")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).expect("the fixtures of tests/fixtures/mtls")
}

/// A running receiver; dropping it stops it.
#[derive(Debug)]
pub struct Receiver {
    transport: Transport,
    tls: Option<ServerTls>,
    address: SocketAddr,
    state: Arc<State>,
    server: Option<(
        tokio::sync::oneshot::Sender<()>,
        std::thread::JoinHandle<()>,
    )>,
}

impl Receiver {
    /// Starts a receiver on a free port of 127.0.0.1.
    pub fn start(transport: Transport) -> Receiver {
        Receiver::start_at(transport, "127.0.0.1:0").expect("a free port")
    }

    /// Starts a receiver on `address` (`127.0.0.1:4318`, say).
    pub fn start_at(transport: Transport, address: &str) -> std::io::Result<Receiver> {
        Receiver::start_with(transport, address, None)
    }

    /// Starts a receiver serving `tls` on a free port of 127.0.0.1.
    pub fn start_tls(transport: Transport, tls: ServerTls) -> Receiver {
        Receiver::start_with(transport, "127.0.0.1:0", Some(tls)).expect("a free port")
    }

    fn start_with(
        transport: Transport,
        address: &str,
        tls: Option<ServerTls>,
    ) -> std::io::Result<Receiver> {
        let listener = std::net::TcpListener::bind(address)?;
        let state = Arc::new(State {
            requests: Mutex::default(),
            headers: Mutex::default(),
            logs: Mutex::default(),
            metrics: Mutex::default(),
            behaviour: Mutex::new(Behaviour::Accept),
            counted: std::sync::atomic::AtomicU64::new(0),
        });
        let address = listener.local_addr()?;
        let mut receiver = Receiver {
            transport,
            tls,
            address,
            state,
            server: None,
        };
        receiver.serve(listener);
        Ok(receiver)
    }

    /// The endpoint to configure: the server for gRPC, the traces URL for HTTP
    /// (`https://localhost:..` when it serves TLS: its certificate names it).
    pub fn endpoint(&self) -> String {
        let server = match self.tls {
            Some(_) => format!("https://localhost:{}", self.address.port()),
            None => format!("http://{}", self.address),
        };
        match self.transport {
            Transport::Grpc => server,
            Transport::Http => format!("{server}/v1/traces"),
        }
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Changes how the receiver answers from now on.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self
            .state
            .behaviour
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = behaviour;
    }

    /// Spans received under [`Behaviour::Count`].
    pub fn counted(&self) -> u64 {
        self.state
            .counted
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<ExportTraceServiceRequest> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The headers of every traces export received so far, in order: HTTP
    /// headers, or gRPC metadata with its reserved headers (`grpc-encoding`).
    pub fn trace_headers(&self) -> Vec<http::HeaderMap> {
        self.state
            .headers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.requests()
            .into_iter()
            .flat_map(|request| request.resource_spans)
            .flat_map(|resource| resource.scope_spans)
            .flat_map(|scope| scope.spans)
            .collect()
    }

    /// Every log record received so far.
    pub fn log_records(&self) -> Vec<LogRecord> {
        self.log_scopes()
            .into_iter()
            .flat_map(|scope| scope.log_records)
            .collect()
    }

    /// Every log record received so far, under its instrumentation scope.
    pub fn log_scopes(&self) -> Vec<ScopeLogs> {
        self.state
            .logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .flat_map(|request| &request.resource_logs)
            .flat_map(|resource| resource.scope_logs.clone())
            .collect()
    }

    /// Every metrics export request received so far, in order.
    pub fn metrics_requests(&self) -> Vec<ExportMetricsServiceRequest> {
        self.state
            .metrics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The metric `name` as the last metrics export that holds it says it.
    pub fn last_metric(&self, name: &str) -> Metric {
        let requests = self.metrics_requests();
        requests
            .iter()
            .rev()
            .flat_map(|request| &request.resource_metrics)
            .flat_map(|resource| &resource.scope_metrics)
            .flat_map(|scope| &scope.metrics)
            .find(|metric| metric.name == name)
            .unwrap_or_else(|| panic!("no {name} among {} export(s)", requests.len()))
            .clone()
    }

    /// Waits until at least `count` log records arrived, or `timeout` passed.
    pub fn wait_for_log_records(&self, count: usize, timeout: Duration) -> Vec<LogRecord> {
        at_least(count, timeout, || self.log_records())
    }

    /// Waits until at least `count` traces exports arrived (kept, refused or, under
    /// [`Behaviour::Slow`], not yet answered), or `timeout` passed; returns how many
    /// did.
    pub fn wait_for_exports(&self, count: usize, timeout: Duration) -> usize {
        at_least(count, timeout, || self.trace_headers()).len()
    }

    /// Waits until at least `count` spans arrived, or `timeout` passed.
    pub fn wait_for_spans(&self, count: usize, timeout: Duration) -> Vec<Span> {
        at_least(count, timeout, || self.spans())
    }

    /// Stops listening; [`Receiver::restart`] listens on the same port again (free
    /// meanwhile: a test sharing the binary could be given it, if rarely).
    pub fn stop(&mut self) {
        if let Some((stop, thread)) = self.server.take() {
            let _ = stop.send(());
            // A test asserting that nothing arrived must not pass against a
            // receiver that died (unless the test is failing already).
            if thread.join().is_err() && !std::thread::panicking() {
                panic!("the receiver's server failed");
            }
        }
    }

    /// Listens again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        let listener = std::net::TcpListener::bind(self.address).expect("the same port again");
        self.serve(listener);
    }

    fn serve(&mut self, listener: std::net::TcpListener) {
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = Arc::clone(&self.state);
        let transport = self.transport;
        let tls = self.tls.clone();
        let thread = std::thread::spawn(move || {
            // A collector runs in a process of its own: what its server libraries
            // emit (`tracing` spans and events of hyper, h2, tonic) must not reach
            // the pipeline under test through the process's global subscriber.
            let silent =
                || tracing::subscriber::set_default(tracing::subscriber::NoSubscriber::default());
            let _silent = silent();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .on_thread_start(move || std::mem::forget(silent()))
                .enable_all()
                .build()
                .expect("a runtime for the receiver");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                match transport {
                    Transport::Grpc => serve_grpc(listener, tls, state, stopped).await,
                    Transport::Http => serve_http(listener, tls, state, stopped).await,
                }
            });
        });
        self.server = Some((stop, thread));
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

struct GrpcService(Arc<State>);

#[tonic::async_trait]
impl TraceService for GrpcService {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let headers = request.metadata().clone().into_headers();
        match self.0.receive(headers, request.into_inner()).await {
            Answer::Taken(answer) => Ok(tonic::Response::new(answer)),
            Answer::Refused | Answer::WebPage | Answer::Throttled(_) => {
                Err(tonic::Status::unavailable("the test receiver refuses"))
            }
        }
    }
}

#[tonic::async_trait]
impl LogsService for GrpcService {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        keep(&self.0.logs, request.into_inner());
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for GrpcService {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        keep(&self.0.metrics, request.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

async fn serve_grpc(
    listener: tokio::net::TcpListener,
    tls: Option<ServerTls>,
    state: Arc<State>,
    stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let mut server = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        server = server.tls_config(tls.tonic()).expect("a TLS configuration");
    }
    server
        .add_service(
            TraceServiceServer::new(GrpcService(Arc::clone(&state)))
                .accept_compressed(tonic::codec::CompressionEncoding::Gzip),
        )
        .add_service(
            LogsServiceServer::new(GrpcService(Arc::clone(&state)))
                .accept_compressed(tonic::codec::CompressionEncoding::Gzip),
        )
        .add_service(
            MetricsServiceServer::new(GrpcService(state))
                .accept_compressed(tonic::codec::CompressionEncoding::Gzip),
        )
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener),
            async {
                let _ = stopped.await;
            },
        )
        .await
        .expect("the receiver serves until stopped");
}

async fn serve_http(
    listener: tokio::net::TcpListener,
    tls: Option<ServerTls>,
    state: Arc<State>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    use http_body_util::BodyExt as _;
    use prost::Message as _;
    let acceptor = tls.map(|tls| tokio_rustls::TlsAcceptor::from(Arc::new(tls.rustls())));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stopped => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let state = Arc::clone(&state);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                move |request: hyper::Request<hyper::body::Incoming>| {
                    let state = Arc::clone(&state);
                    async move {
                        let logs = request.uri().path() == "/v1/logs";
                        let metrics = request.uri().path() == "/v1/metrics";
                        let headers = request.headers().clone();
                        let body = request.into_body().collect().await?.to_bytes();
                        let Some(body) = decoded(&headers, body) else {
                            return Ok(protobuf_response(400, Vec::new()));
                        };
                        if metrics {
                            let behaviour = *state
                                .behaviour
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner);
                            return Ok(match behaviour {
                                Behaviour::Throttle(seconds) => throttled(seconds),
                                Behaviour::TracesOnly => protobuf_response(404, Vec::new()),
                                _ => kept::<_, ExportMetricsServiceResponse>(body, &state.metrics),
                            });
                        }
                        if logs {
                            let behaviour = *state
                                .behaviour
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner);
                            return Ok(match behaviour {
                                Behaviour::TracesOnly => protobuf_response(404, Vec::new()),
                                _ => kept::<_, ExportLogsServiceResponse>(body, &state.logs),
                            });
                        }
                        let Ok(export) = ExportTraceServiceRequest::decode(body) else {
                            return Ok(protobuf_response(400, Vec::new()));
                        };
                        Ok::<_, hyper::Error>(match state.receive(headers, export).await {
                            Answer::Taken(answer) => protobuf_response(200, answer.encode_to_vec()),
                            Answer::Refused => protobuf_response(503, Vec::new()),
                            Answer::Throttled(seconds) => throttled(seconds),
                            Answer::WebPage => hyper::Response::builder()
                                .header("content-type", "text/html; charset=utf-8")
                                .body(http_body_util::Full::new(hyper::body::Bytes::from_static(
                                    b"<!doctype html><title>Jaeger UI</title>",
                                )))
                                .expect("a valid response"),
                        })
                    }
                },
            );
            let connection = hyper::server::conn::http1::Builder::new();
            let _ = match acceptor {
                // A client without a certificate the CA signed fails here.
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => {
                        connection
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await
                    }
                    Err(_) => return,
                },
                None => {
                    connection
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await
                }
            };
        });
    }
}

/// The string value of an attribute of a received span or resource.
pub fn string_attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match value(attributes, key)? {
        any_value::Value::StringValue(text) => Some(text),
        _ => None,
    }
}

/// A data point's attributes by key, each value as text (an integer in decimal).
pub type TextAttributes = BTreeMap<String, String>;

/// The attributes of a received data point as [`TextAttributes`].
pub fn text_attributes(attributes: &[KeyValue]) -> TextAttributes {
    attributes
        .iter()
        .map(|attribute| {
            let value = match attribute
                .value
                .as_ref()
                .and_then(|value| value.value.as_ref())
            {
                Some(any_value::Value::StringValue(text)) => text.clone(),
                Some(any_value::Value::IntValue(number)) => number.to_string(),
                other => format!("{other:?}"),
            };
            (attribute.key.clone(), value)
        })
        .collect()
}

/// The [`TextAttributes`] `pairs` write.
pub fn text_pairs(pairs: &[(&str, &str)]) -> TextAttributes {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

/// The value of an attribute of a received span or resource.
pub fn value<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|AnyValue { value }| value.as_ref())
}

/// A local port that refuses connections for as long as it lives: bound, never
/// listening (a port freed instead could be handed to a receiver another test
/// starts meanwhile, and the export would then succeed).
#[derive(Debug)]
pub struct RefusingPort(socket2::Socket);

impl RefusingPort {
    /// Binds a free port of 127.0.0.1.
    pub fn new() -> Self {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("a socket");
        socket
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .expect("a free port");
        RefusingPort(socket)
    }

    /// The port refused.
    pub fn port(&self) -> u16 {
        self.0
            .local_addr()
            .ok()
            .and_then(|address| address.as_socket())
            .expect("a bound IPv4 socket")
            .port()
    }
}

impl Default for RefusingPort {
    fn default() -> Self {
        RefusingPort::new()
    }
}

/// A TCP peer at a collector's address that is not a collector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostility {
    /// Reads the request and answers bytes that are neither HTTP/1.1 nor HTTP/2.
    Garbage,
    /// Reads part of the request and closes the connection with data unread, so the
    /// kernel resets it mid-export.
    Reset,
    /// Reads the whole request and answers `307 Temporary Redirect` to this
    /// address's `/v1/traces`, over HTTP/1.1 (a misconfigured or hostile endpoint
    /// sending the spans, and the request's API key, to another host).
    Redirect(SocketAddr),
}

/// A running hostile peer; dropping it stops it.
#[derive(Debug)]
pub struct HostilePeer {
    address: SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HostilePeer {
    /// Starts a peer on a free port of 127.0.0.1.
    pub fn start(hostility: Hostility) -> HostilePeer {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = listener.local_addr().expect("bound");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let mut buffer = [0_u8; 16];
                let _ = stream.read(&mut buffer);
                match hostility {
                    Hostility::Garbage => {
                        let _ = stream.write_all(b"\x00\xff\x13 not a collector \xfe\r\n\r\n\x07");
                    }
                    Hostility::Reset => {}
                    Hostility::Redirect(target) => {
                        // The rest of the request read (until it pauses), so that
                        // the answer is not lost to a reset.
                        let mut rest = [0_u8; 4096];
                        while stream.read(&mut rest).is_ok_and(|read| read > 0) {}
                        let _ = write!(
                            stream,
                            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{target}/v1/traces\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        );
                    }
                }
                // Dropped with the rest of the request unread: for `Reset`, the
                // kernel answers with a reset.
            }
        });
        HostilePeer {
            address,
            stop,
            thread: Some(thread),
        }
    }

    /// The endpoint to configure, as [`Receiver::endpoint`] gives it.
    pub fn endpoint(&self, transport: Transport) -> String {
        match transport {
            Transport::Grpc => format!("http://{}", self.address),
            Transport::Http => format!("http://{}/v1/traces", self.address),
        }
    }
}

impl Drop for HostilePeer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // Wakes the accept loop so that it sees the flag.
        let _ = std::net::TcpStream::connect(self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
