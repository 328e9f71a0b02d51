//! OTLP export (feature `otlp`), on a thread and tokio runtime of its own.
//!
//! The SDK's batch processor (0.33) exports from its worker thread by blocking on
//! the exporter's future. The tonic and reqwest clients need a tokio runtime to
//! make progress, and borrowing the application's deadlocks a shutdown under a
//! current-thread runtime (opentelemetry-rust issue 2583). So the exporter lives
//! on a dedicated thread running a current-thread runtime: the worker hands it
//! each batch over a channel and waits for the answer, which always comes within
//! the export timeout. Application threads never wait on the network.

use crate::config::{ClientIdentity, Compression, OtlpSettings, Protocol};
use crate::init::InitError;
use crate::outage::{Cause, Outage};
use crate::processor::Counters;
use crate::tls_files::TlsFiles;
use opentelemetry::InstrumentationScope;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter, SdkLogRecord};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use rustls::pki_types::pem::PemObject as _;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// What an export thread is asked to do with batches of type `B`.
enum Request<B> {
    Export(B, oneshot::Sender<OTelSdkResult>),
    SetResource(Resource),
    Shutdown(std::sync::mpsc::Sender<OTelSdkResult>),
}

/// An opentelemetry-otlp exporter of one signal, as its export thread drives it:
/// batches arrive owned, since they cross threads.
trait Signal: Sized + 'static {
    type Batch: Send + 'static;
    /// The export thread's name.
    const THREAD: &'static str;
    /// What it exports, as an outage is said.
    const SIGNAL: &'static str;

    /// The exporter; its HTTP client notes why a request failed in `cause`.
    fn build(settings: &OtlpSettings, cause: Cause) -> Result<Self, InitError>;
    fn export(&self, batch: Self::Batch) -> impl Future<Output = OTelSdkResult>;
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult;
    fn set_resource(&mut self, resource: &Resource);
}

impl Signal for opentelemetry_otlp::SpanExporter {
    type Batch = Vec<SpanData>;
    const THREAD: &'static str = "otel-traced-export";
    const SIGNAL: &'static str = "spans";

    fn build(settings: &OtlpSettings, cause: Cause) -> Result<Self, InitError> {
        let builder = opentelemetry_otlp::SpanExporter::builder();
        match settings.protocol {
            Protocol::Grpc => grpc(builder.with_tonic(), settings)?.build(),
            Protocol::HttpProtobuf => http(builder.with_http(), settings, cause)?.build(),
        }
        .map_err(|error| exporter_error(&error, settings))
    }

    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> {
        SpanExporter::export(self, batch)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        SpanExporter::shutdown_with_timeout(self, timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        SpanExporter::set_resource(self, resource);
    }
}

/// Log records with their scopes, owned: a `LogBatch` only borrows them.
type OwnedLogBatch = Vec<(SdkLogRecord, InstrumentationScope)>;

impl Signal for opentelemetry_otlp::LogExporter {
    type Batch = OwnedLogBatch;
    const THREAD: &'static str = "otel-traced-export-logs";
    const SIGNAL: &'static str = "log records";

    fn build(settings: &OtlpSettings, cause: Cause) -> Result<Self, InitError> {
        let builder = opentelemetry_otlp::LogExporter::builder();
        match settings.protocol {
            Protocol::Grpc => grpc(builder.with_tonic(), settings)?.build(),
            Protocol::HttpProtobuf => http(builder.with_http(), settings, cause)?.build(),
        }
        .map_err(|error| exporter_error(&error, settings))
    }

    async fn export(&self, batch: OwnedLogBatch) -> OTelSdkResult {
        let borrowed: Vec<(&SdkLogRecord, &InstrumentationScope)> = batch
            .iter()
            .map(|(record, scope)| (record, scope))
            .collect();
        LogExporter::export(self, LogBatch::new(&borrowed)).await
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        LogExporter::shutdown_with_timeout(self, timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        LogExporter::set_resource(self, resource);
    }
}

/// The sending end of an export thread.
#[derive(Debug)]
struct Relay<B> {
    requests: mpsc::UnboundedSender<Request<B>>,
}

impl<B> Relay<B> {
    /// Starts the export thread of signal `S` and builds its exporter there (tonic
    /// builds its channel inside a runtime). One export is cut off after
    /// `export_timeout` (`OTEL_BSP_EXPORT_TIMEOUT`, for logs
    /// `OTEL_BLRP_EXPORT_TIMEOUT`) or the OTLP request timeout, whichever is shorter.
    fn start<S: Signal<Batch = B>>(
        settings: OtlpSettings,
        export_timeout: Duration,
        counters: Arc<Counters>,
    ) -> Result<Self, InitError>
    where
        B: Send + 'static,
    {
        let (requests, mut incoming) = mpsc::unbounded_channel::<Request<B>>();
        let (built, outcome) = std::sync::mpsc::channel::<Result<(), InitError>>();
        let timeout = settings.timeout.min(export_timeout);
        // The exporter's own deadline too (its retries', its HTTP client's): cut
        // from outside first, an export said a bare timeout where the collector's
        // answer (a 503 asking to retry later) was the news. (The metrics'
        // exporter is built so too.)
        let settings = OtlpSettings {
            timeout,
            ..settings
        };
        std::thread::Builder::new()
            .name(S::THREAD.to_owned())
            .spawn(move || {
                crate::route::mark_export_thread();
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = built.send(Err(InitError::Exporter(format!(
                            "the export thread could not start a runtime: {error}"
                        ))));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let outage = Outage::new(S::SIGNAL, &settings);
                    let mut tls_files = TlsFiles::of(&settings);
                    let mut resource = None;
                    let mut exporter = match S::build(&settings, outage.cause()) {
                        Ok(exporter) => {
                            let _ = built.send(Ok(()));
                            exporter
                        }
                        Err(error) => {
                            let _ = built.send(Err(error));
                            return;
                        }
                    };
                    while let Some(request) = incoming.recv().await {
                        match request {
                            Request::Export(batch, reply) => {
                                // Given the resource the one before was.
                                if tls_files.changed()
                                    && let Some(mut built) =
                                        crate::tls_files::rebuilt(S::SIGNAL, &settings, || {
                                            S::build(&settings, outage.cause())
                                        })
                                {
                                    if let Some(resource) = &resource {
                                        let _ = crate::panic::contained(|| {
                                            built.set_resource(resource);
                                        });
                                    }
                                    exporter = built;
                                }
                                let (result, rejected) =
                                    outage.export(timeout, || exporter.export(batch)).await;
                                // Counted failed as the result is settled.
                                counters.rejected(rejected);
                                let _ = reply.send(result);
                            }
                            // The exporter's, contained as its exports are: this
                            // thread carries every later export. The resource is
                            // kept for an exporter built again.
                            Request::SetResource(given) => {
                                let _ = crate::panic::contained(|| {
                                    exporter.set_resource(&given);
                                });
                                resource = Some(given);
                            }
                            Request::Shutdown(reply) => {
                                let shut_down = crate::panic::contained(|| {
                                    exporter.shutdown_with_timeout(timeout)
                                });
                                let _ = reply.send(shut_down.unwrap_or_else(|| {
                                    Err(OTelSdkError::InternalFailure(
                                        "the exporter panicked while shutting down".to_owned(),
                                    ))
                                }));
                                break;
                            }
                        }
                    }
                });
            })
            .map_err(|error| {
                InitError::Exporter(format!("the export thread could not start: {error}"))
            })?;
        outcome.recv().map_err(|_| {
            InitError::Exporter("the export thread stopped while starting".to_owned())
        })??;
        Ok(Relay { requests })
    }

    async fn export(&self, batch: B) -> OTelSdkResult {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::Export(batch, reply))
            .map_err(|_| OTelSdkError::AlreadyShutdown)?;
        answer
            .await
            .map_err(|_| OTelSdkError::InternalFailure("the export thread stopped".to_owned()))?
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let (reply, answer) = std::sync::mpsc::channel();
        if self.requests.send(Request::Shutdown(reply)).is_err() {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        answer
            .recv_timeout(timeout)
            .unwrap_or_else(|error| match error {
                std::sync::mpsc::RecvTimeoutError::Timeout => Err(OTelSdkError::Timeout(timeout)),
                // The thread ends at a shutdown: this one was queued behind it.
                std::sync::mpsc::RecvTimeoutError::Disconnected => {
                    Err(OTelSdkError::AlreadyShutdown)
                }
            })
    }

    fn set_resource(&self, resource: &Resource) {
        let _ = self.requests.send(Request::SetResource(resource.clone()));
    }
}

/// The OTLP span exporter, running on its own thread and runtime.
#[derive(Debug)]
pub(crate) struct OtlpExporter(Relay<Vec<SpanData>>);

/// Starts the span export thread; see [`Relay::start`].
pub(crate) fn exporter(
    settings: OtlpSettings,
    export_timeout: Duration,
    counters: Arc<Counters>,
) -> Result<OtlpExporter, InitError> {
    Relay::start::<opentelemetry_otlp::SpanExporter>(settings, export_timeout, counters)
        .map(OtlpExporter)
}

impl SpanExporter for OtlpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.export(batch).await
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// The OTLP log exporter, running on its own thread and runtime.
#[derive(Debug)]
pub(crate) struct OtlpLogExporter(Relay<OwnedLogBatch>);

/// Starts the log export thread; see [`Relay::start`].
pub(crate) fn log_exporter(
    settings: OtlpSettings,
    export_timeout: Duration,
    counters: Arc<Counters>,
) -> Result<OtlpLogExporter, InitError> {
    Relay::start::<opentelemetry_otlp::LogExporter>(settings, export_timeout, counters)
        .map(OtlpLogExporter)
}

impl LogExporter for OtlpLogExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let owned = batch
            .iter()
            .map(|(record, scope)| (record.clone(), scope.clone()))
            .collect();
        self.0.export(owned).await
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// The `User-Agent` of our exports, as the OTLP exporter specification asks
/// (the exporter, its language, its version), unless the configured headers name
/// one. Set with the configured headers: opentelemetry-otlp's own is among those
/// our requests replace (see [`grpc`]).
const USER_AGENT: &str = concat!(
    "OTel-OTLP-Exporter-Rust otel-traced/",
    env!("CARGO_PKG_VERSION")
);

/// How an export retries a collector that cannot take it now (what the exporter
/// classes as passing: a refused connection, gRPC `UNAVAILABLE`, HTTP 429, 502,
/// 503, 504), within the export's timeout: after 0.25, 0.5, 1 and 2 s (each with
/// up to 0.1 s of jitter), so that a collector back within about 4 s loses no
/// batch, and within the guard's 5 s, so that a program
/// ending while the collector is down still says why at its end. The exporter's
/// default gives up after about 1 s. A collector's own `Retry-After` or
/// `RetryInfo` delay is honoured where the timeout leaves room.
fn retry_policy() -> opentelemetry_otlp::RetryPolicy {
    opentelemetry_otlp::RetryPolicy::recommended()
        .with_max_retries(4)
        .with_initial_delay(Duration::from_millis(250))
        .with_max_delay(Duration::from_secs(2))
        .with_max_jitter(Duration::from_millis(100))
}

/// The longest a connection to the collector may take to open: an address that
/// swallows the connection attempt (a collector's pod gone with its IP) is given
/// up in time for the retries above, not after the export's whole timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a gRPC connection idles before TCP keepalive probes it: well under
/// the idle limits of NAT gateways and load balancers (4 to 6 minutes), which
/// drop an idle connection silently; an export written into such a connection
/// would wait its whole timeout, and every later one too, until the kernel gave
/// up on it. Then a probe every 15 s, three unanswered ending it, as reqwest
/// probes HTTP's connections by default. Not HTTP/2 pings: a collector's gRPC
/// server may answer pings more often than every 5 minutes by closing the
/// connection.
const TCP_KEEPALIVE: Duration = Duration::from_secs(60);
const TCP_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
const TCP_KEEPALIVE_RETRIES: u32 = 3;

/// How long what a gRPC connection sent may stay unacknowledged before the kernel
/// closes it (TCP_USER_TIMEOUT, on Linux), as reqwest bounds HTTP's: a collector's
/// pod gone without closing its connections (a node lost, a partition) leaves a
/// connection that keepalive never probes while exports keep writing into it.
/// tonic keeps one connection and makes another only once it is closed, so every
/// export would wait its timeout and fail until the kernel gave up retransmitting,
/// about 15 minutes later.
#[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

fn compression(settings: &OtlpSettings) -> Option<opentelemetry_otlp::Compression> {
    settings
        .compression
        .map(|Compression::Gzip| opentelemetry_otlp::Compression::Gzip)
}

/// The exporter's refusal of `settings` (an endpoint that passed our checks but not
/// its URI parser), with the endpoint it quotes shown without its user information
/// and query, which may hold a token.
fn exporter_error(error: &impl std::fmt::Display, settings: &OtlpSettings) -> InitError {
    let endpoint = &settings.endpoint;
    let shown = crate::config::without_secrets(endpoint);
    InitError::Exporter(error.to_string().replace(endpoint.as_str(), &shown))
}

/// The gRPC channel's refusal of `settings`' endpoint (tonic's error says only
/// "invalid URI", with its cause beneath), naming the endpoint without its
/// secrets, as the exporter's own refusal did.
fn endpoint_refused(error: &tonic::transport::Error, settings: &OtlpSettings) -> InitError {
    exporter_error(
        &format_args!(
            "invalid endpoint '{}': {}",
            settings.endpoint,
            crate::outcome::described_with_sources(error)
        ),
        settings,
    )
}

/// A gRPC exporter builder of either signal, every setting applied explicitly.
fn grpc<B: WithExportConfig + WithTonicConfig>(
    builder: B,
    settings: &OtlpSettings,
) -> Result<B, InitError> {
    let mut metadata = tonic::metadata::MetadataMap::new();
    for (key, value) in &settings.headers {
        let key = tonic::metadata::MetadataKey::from_bytes(key.to_ascii_lowercase().as_bytes())
            .map_err(|_| {
                let why = if key.to_ascii_lowercase().ends_with("-bin") {
                    "a name ending in `-bin` is binary metadata, which the exporter does not send"
                } else {
                    "it is not a valid gRPC header name"
                };
                InitError::Exporter(format!(
                    "OTEL_EXPORTER_OTLP_HEADERS (or its signal's) names `{key}`: {why}"
                ))
            })?;
        let mut value: tonic::metadata::MetadataValue<_> = value.parse().map_err(|_| {
            InitError::Exporter(format!("the value of header `{key}` is not valid"))
        })?;
        // As over HTTP: out of `Debug` and of HTTP/2's compression tables.
        value.set_sensitive(true);
        metadata.insert(key, value);
    }
    if !metadata.contains_key("user-agent") {
        metadata.insert(
            "user-agent",
            tonic::metadata::MetadataValue::from_static(USER_AGENT),
        );
    }
    // Set by an interceptor rather than `with_metadata`: the exporter adds the
    // headers of the process's own `OTEL_EXPORTER_OTLP_*HEADERS` to those, theirs
    // winning, whatever it was built with, and the configured headers (of
    // `Config::from_vars`, of the builder) must be the only ones sent.
    let mut builder = builder
        .with_timeout(settings.timeout)
        .with_retry_policy(retry_policy())
        .with_interceptor(move |mut request: tonic::Request<()>| {
            *request.metadata_mut() = metadata.clone();
            Ok(request)
        });
    if let Some(compression) = compression(settings) {
        builder = builder.with_compression(compression);
    }
    // Checked whatever the scheme: a file that holds no certificate is a mistake
    // to say now, not when the endpoint turns to https.
    let certificate = match &settings.certificate {
        Some(path) => Some(certificates(path, CA)?.0),
        None => None,
    };
    let identity = match &settings.client_identity {
        Some(identity) => Some(client_identity(identity)?),
        None => None,
    };
    // The channel is ours, for its connection settings (the exporter's has no
    // connect timeout and no keepalive); each attempt's timeout is the export's,
    // as the exporter sets it on the channel it would build.
    let connect_timeout = CONNECT_TIMEOUT.min(settings.timeout);
    // The connection's bound is the connector's, on TCP alone, as tonic's own
    // connector has it: the endpoint's would cover the name's resolution and the
    // TLS handshake too, within the same 2 s.
    let mut endpoint = tonic::transport::Endpoint::from_shared(settings.endpoint.clone())
        .map_err(|error| endpoint_refused(&error, settings))?
        .timeout(settings.timeout);
    if settings.endpoint.starts_with("https://") {
        // The handshake has its own bound, as the connection has (the connector's
        // stops at TCP): a collector that takes the connection and stalls it.
        let mut tls = tonic::transport::ClientTlsConfig::new()
            .timeout(connect_timeout)
            .with_webpki_roots()
            .trust_anchors(system_roots());
        if let Some(pem) = certificate {
            tls = tls.ca_certificate(tonic::transport::Certificate::from_pem(pem));
        }
        if let Some(identity) = identity {
            tls = tls.identity(tonic::transport::Identity::from_pem(
                identity.certificate_pem,
                identity.key_pem,
            ));
        }
        endpoint = endpoint.tls_config(tls).map_err(|error| {
            InitError::Exporter(format!(
                "the TLS settings cannot be used: {}",
                crate::outcome::described_with_sources(&error)
            ))
        })?;
    }
    Ok(builder.with_channel(endpoint.connect_with_connector_lazy(tcp_connector(connect_timeout))))
}

/// The TCP connections of a gRPC channel: tonic's own settings (any scheme, TLS
/// being the channel's; no Nagle delay), with the keepalive and, where the system
/// has it, the user timeout above, which tonic's endpoint cannot set.
fn tcp_connector(connect_timeout: Duration) -> hyper_util::client::legacy::connect::HttpConnector {
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.enforce_http(false);
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(connect_timeout));
    connector.set_keepalive(Some(TCP_KEEPALIVE));
    connector.set_keepalive_interval(Some(TCP_KEEPALIVE_INTERVAL));
    connector.set_keepalive_retries(Some(TCP_KEEPALIVE_RETRIES));
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    connector.set_tcp_user_timeout(Some(TCP_USER_TIMEOUT));
    connector
}

/// An HTTP/protobuf exporter builder of either signal, every setting applied
/// explicitly.
fn http<B: WithExportConfig + WithHttpConfig>(
    builder: B,
    settings: &OtlpSettings,
    cause: Cause,
) -> Result<B, InitError> {
    let mut headers = HeaderMap::new();
    for (key, value) in &settings.headers {
        let name = HeaderName::from_bytes(key.as_bytes())
            .map_err(|_| InitError::Exporter(format!("`{key}` is not a valid HTTP header name")))?;
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            InitError::Exporter(format!("the value of header `{key}` is not valid"))
        })?;
        // An API key, most often: kept out of `Debug` and of HTTP/2's header
        // compression tables.
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    if !headers.contains_key(reqwest::header::USER_AGENT) {
        headers.insert(
            reqwest::header::USER_AGENT,
            HeaderValue::from_static(USER_AGENT),
        );
    }
    let mut builder = builder
        .with_http_client(Reporting {
            client: http_client(settings)?,
            headers,
            cause,
        })
        .with_endpoint(settings.endpoint.clone())
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_timeout(settings.timeout)
        .with_retry_policy(retry_policy());
    if let Some(compression) = compression(settings) {
        builder = builder.with_compression(compression);
    }
    Ok(builder)
}

/// The HTTP client of an exporter, which sends the configured headers and notes
/// why a request failed (the exporter's error says only "network error").
#[derive(Debug)]
struct Reporting {
    client: reqwest::Client,
    /// Set on each request here rather than given to the exporter, which adds the
    /// process's own `OTEL_EXPORTER_OTLP_*HEADERS` to those it is given, theirs
    /// winning: the configured headers (of `Config::from_vars`, of the builder)
    /// must be the only ones sent.
    headers: HeaderMap,
    cause: Cause,
}

impl Reporting {
    /// `sent`'s headers made the exporter's description of its body (type and
    /// encoding) and the configured ones.
    fn set_headers(&self, sent: &mut HeaderMap) {
        let body = [CONTENT_TYPE, CONTENT_ENCODING]
            .map(|name| sent.remove(&name).map(|value| (name, value)));
        sent.clear();
        sent.extend(body.into_iter().flatten());
        for (name, value) in &self.headers {
            sent.insert(name, value.clone());
        }
    }
}

impl opentelemetry_http::HttpClient for Reporting {
    // The trait is `async_trait`'s; this is its signature written out.
    fn send_bytes<'client, 'sent>(
        &'client self,
        request: opentelemetry_http::Request<opentelemetry_http::Bytes>,
    ) -> std::pin::Pin<
        Box<
            dyn Future<
                    Output = Result<
                        opentelemetry_http::Response<opentelemetry_http::Bytes>,
                        opentelemetry_http::HttpError,
                    >,
                > + Send
                + 'sent,
        >,
    >
    where
        'client: 'sent,
        Self: 'sent,
    {
        let mut request = request;
        self.set_headers(request.headers_mut());
        Box::pin(async move {
            let mut sent = self.client.send_bytes(request).await;
            match &mut sent {
                Err(error) => self.cause.note(&**error),
                Ok(response) => {
                    self.cause.clear();
                    if let Some(refusal) = refusal(response) {
                        self.cause.note_refusal(refusal);
                    }
                    if let Some(delay) = retry_after(response) {
                        self.cause.throttle(response.status().as_u16(), delay);
                    } else if response.status().is_success() {
                        // Taken (at a retry the exporter made after a wait of
                        // its own, shorter than asked): nothing is held back.
                        self.cause.unthrottle();
                        if let Some(page) = web_page(response) {
                            // Refused as a collector would refuse what it cannot
                            // take (not retried: the page will not change).
                            self.cause.note(&page);
                            *response.status_mut() = reqwest::StatusCode::NOT_ACCEPTABLE;
                        } else if let Some(rejected) = rejected(response.body()) {
                            self.cause.note_rejected(rejected);
                        }
                    }
                }
            }
            sent
        })
    }
}

/// How long a collector throttling (429, 503) asks to be sent nothing: its
/// `Retry-After`, in seconds or as a date (RFC 9110 allows both; a proxy's is
/// often a date), the date parsed with httpdate as the exporter parses it for
/// its own retries. A date passed asks nothing.
fn retry_after(
    response: &opentelemetry_http::Response<opentelemetry_http::Bytes>,
) -> Option<Duration> {
    let status = response.status();
    if status != reqwest::StatusCode::TOO_MANY_REQUESTS
        && status != reqwest::StatusCode::SERVICE_UNAVAILABLE
    {
        return None;
    }
    let asked = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let asked = asked.to_str().ok()?.trim();
    match asked.parse() {
        Ok(seconds) => Some(Duration::from_secs(seconds)),
        Err(_) => httpdate::parse_http_date(asked)
            .ok()?
            .duration_since(std::time::SystemTime::now())
            .ok(),
    }
}

/// A web page where a collector's answer was expected: a proxy's login page,
/// or a web UI on the port given (Jaeger's, at 16686, answers every path with
/// its page). The exporter would take its 200 for an export taken.
#[derive(Debug)]
struct WebPage;

impl std::fmt::Display for WebPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a web page answered (200, text/html; taken as 406), not an OTLP receiver: check the endpoint's port and path")
    }
}

impl std::error::Error for WebPage {}

/// `response`'s body is a web page, not an OTLP answer (protobuf; JSON from
/// some backends; nothing from others).
fn web_page(response: &opentelemetry_http::Response<opentelemetry_http::Bytes>) -> Option<WebPage> {
    let media_type = response.headers().get(CONTENT_TYPE)?.to_str().ok()?;
    media_type
        .trim_start()
        .get(.."text/html".len())
        .is_some_and(|start| start.eq_ignore_ascii_case("text/html"))
        .then_some(WebPage)
}

/// `google.rpc.Status`, what an OTLP/HTTP receiver answers a request it refuses
/// with (in protobuf, as the request was).
#[derive(Clone, PartialEq, prost::Message)]
struct RefusalStatus {
    #[prost(string, tag = "2")]
    message: String,
}

/// Why an answer that is no success refused the request, where it says: a
/// redirect's target (an exporter follows none), an OTLP receiver's status
/// message, or the first line of a text (a proxy's, Go's "Client sent an HTTP
/// request to an HTTPS server"), cut to [`REASON_LIMIT`], its URLs' credentials
/// and anything like a key hidden ([`crate::redact::without_keys`]: an answer may echo the
/// request's); none for a web page, an empty body, or one that is neither.
fn refusal(response: &opentelemetry_http::Response<opentelemetry_http::Bytes>) -> Option<String> {
    let status = response.status();
    if status.is_success() {
        return None;
    }
    if status.is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)?
            .to_str()
            .ok()?;
        let location = crate::config::without_secrets(location);
        return Some(format!(
            "redirected to {:?}, which an exporter does not follow: where that is the collector (an https:// one, say), write the signal's endpoint so",
            crate::value::text_within(&location, REASON_LIMIT)
        ));
    }
    let media_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|media_type| media_type.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let said = if media_type.contains("protobuf") {
        <RefusalStatus as prost::Message>::decode(response.body().as_ref())
            .ok()?
            .message
    } else if media_type.starts_with("text/html") {
        return None;
    } else {
        let text = std::str::from_utf8(response.body()).ok()?;
        text.lines()
            .find(|line| !line.trim().is_empty())?
            .trim()
            .to_owned()
    };
    // Hidden before it is cut: a cut inside a secret would leave its start.
    let said = crate::redact::without_keys(&crate::redact::redacted_urls(said.trim()));
    (!said.is_empty()).then(|| {
        format!(
            "the answer said {:?}",
            crate::value::text_within(&said, REASON_LIMIT)
        )
    })
}

/// OTLP's partial success, the first field of each signal's export response:
/// the items rejected (`rejected_spans`, `rejected_log_records`,
/// `rejected_data_points`, all field 1) and why.
#[derive(Clone, PartialEq, prost::Message)]
struct ExportResponse {
    #[prost(message, optional, tag = "1")]
    partial_success: Option<PartialSuccess>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct PartialSuccess {
    #[prost(int64, tag = "1")]
    rejected: i64,
    #[prost(string, tag = "2")]
    error_message: String,
}

/// As much of a collector's reason for rejecting items as is said.
const REASON_LIMIT: usize = 1024;

/// What a collector's answer `body` says it rejected, if anything (an answer
/// that is not protobuf says nothing).
fn rejected(body: &[u8]) -> Option<crate::outage::Rejected> {
    let partial = <ExportResponse as prost::Message>::decode(body)
        .ok()?
        .partial_success?;
    let count = u64::try_from(partial.rejected)
        .ok()
        .filter(|count| *count > 0)?;
    Some(crate::outage::Rejected {
        count,
        reason: crate::value::text_within(&partial.error_message, REASON_LIMIT).to_owned(),
    })
}

/// The certificate authorities the system trusts (its store, or the files
/// `SSL_CERT_FILE` and `SSL_CERT_DIR` name), beside the webpki roots: a collector
/// whose certificate a company's own authority signed, installed on the machine,
/// is trusted, as other OpenTelemetry SDKs trust it, without
/// `OTEL_EXPORTER_OTLP_CERTIFICATE`. None where the system has none (a scratch
/// container), or where its certificates cannot be read: the webpki roots serve.
/// Read once: each signal's exporter trusts them, and a store is slow to read.
fn system_roots() -> Vec<rustls::pki_types::TrustAnchor<'static>> {
    static ROOTS: std::sync::OnceLock<Vec<rustls::pki_types::TrustAnchor<'static>>> =
        std::sync::OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut store = rustls::RootCertStore::empty();
            store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            store.roots
        })
        .clone()
}

/// The reqwest client for HTTP/protobuf: TLS through rustls with the `aws-lc-rs`
/// provider (rustls's and reqwest's default, so that an application on those
/// defaults has one provider, not two; one on `ring` has both, the README says
/// what then), trusting the webpki roots, the system's and the configured
/// certificate.
fn http_client(settings: &OtlpSettings) -> Result<reqwest::Client, InitError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if settings.endpoint.starts_with("https://") {
        roots.extend(system_roots());
    }
    if let Some(path) = &settings.certificate {
        let (_, certificates) = certificates(path, CA)?;
        for certificate in certificates {
            roots
                .add(certificate)
                .map_err(|error| InitError::Exporter(format!("{}: {error}", path.display())))?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| InitError::Exporter(error.to_string()))?
    .with_root_certificates(roots);
    let tls = match &settings.client_identity {
        Some(identity) => {
            let identity = client_identity(identity)?;
            tls.with_client_auth_cert(identity.chain, identity.key)
                .map_err(|error| {
                    InitError::Exporter(format!(
                        "the client certificate and key cannot be used: {error}"
                    ))
                })?
        }
        None => tls.with_no_client_auth(),
    };
    let mut client = reqwest::Client::builder();
    if on_this_machine(&settings.endpoint) {
        client = client.no_proxy();
    }
    client
        .use_preconfigured_tls(tls)
        .timeout(settings.timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(settings.timeout))
        // A redirect is a failed export the outage message names, not one to
        // follow: reqwest would send the spans, and headers such as an API key
        // (it strips only `authorization` and cookies), to the other host, and
        // turn a 301's POST into a GET.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| {
            InitError::Exporter(format!("the HTTP client could not be built: {error}"))
        })
}

/// Whether `endpoint` names this machine (`localhost`, a loopback address). A
/// collector there (a sidecar, an agent) is reached directly, whatever proxy the
/// environment names (`HTTP_PROXY`, `HTTPS_PROXY`, set for a corporate egress):
/// reqwest would send the exports to that proxy, which cannot reach this
/// machine's loopback; Go's clients, the collector's among them, never proxy it.
fn on_this_machine(endpoint: &str) -> bool {
    let Some(host) = reqwest::Url::parse(endpoint)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
    else {
        return false;
    };
    host.trim_end_matches('.').eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.to_canonical().is_loopback())
}

/// Whose certificate a file given as `OTEL_EXPORTER_OTLP_CERTIFICATE` holds.
const CA: &str = "the CA's certificate";

/// The certificates of the PEM file at `path` (`OTEL_EXPORTER_OTLP_CERTIFICATE`,
/// `whose` they are), and the file. One without any (a key, a DER file) is an
/// error: it would be taken for no certificate at all, and the exports fail later
/// with a TLS error.
fn certificates(
    path: &std::path::Path,
    whose: &str,
) -> Result<(Vec<u8>, Vec<rustls::pki_types::CertificateDer<'static>>), InitError> {
    let pem = read(path)?;
    let certificates = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            InitError::Exporter(format!("{} is not valid PEM: {error}", path.display()))
        })?;
    if certificates.is_empty() {
        return Err(InitError::Exporter(format!(
            "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give {whose}, in PEM",
            path.display()
        )));
    }
    Ok((pem, certificates))
}

/// The bytes of the file at `path` (a certificate, a key).
fn read(path: &std::path::Path) -> Result<Vec<u8>, InitError> {
    std::fs::read(path).map_err(|error| {
        InitError::Exporter(format!("{} could not be read: {error}", path.display()))
    })
}

/// A client's TLS identity, read and checked when the exporter is built: a file
/// that holds no key would fail every handshake later.
struct ReadIdentity {
    certificate_pem: Vec<u8>,
    key_pem: Vec<u8>,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
}

fn client_identity(identity: &ClientIdentity) -> Result<ReadIdentity, InitError> {
    let (certificate_pem, chain) = certificates(&identity.certificate, "the client's certificate")?;
    let key_pem = read(&identity.key)?;
    let path = identity.key.display();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| {
        InitError::Exporter(format!(
            "{path} holds no PEM private key ({error}): give the client's key, in PEM (PKCS#8, PKCS#1 or SEC1)"
        ))
    })?;
    Ok(ReadIdentity {
        certificate_pem,
        key_pem,
        chain,
        key,
    })
}

/// The OTLP metric exporter. An export only lends its metrics, so they cannot be
/// handed to an export thread as spans and logs are; the SDK's periodic reader
/// exports from a thread of its own (never the application's), and there this
/// exporter drives the OTLP client in a current-thread runtime of its own, each
/// export cut off after the OTLP timeout.
#[cfg(feature = "metrics")]
#[derive(Debug)]
pub(crate) struct OtlpMetricExporter {
    /// `None` once dropped (see `Drop`).
    runtime: Option<tokio::runtime::Runtime>,
    /// Replaced when its TLS files are ([`TlsFiles`]).
    inner: std::sync::RwLock<opentelemetry_otlp::MetricExporter>,
    tls_files: std::sync::Mutex<TlsFiles>,
    settings: OtlpSettings,
    temporality: opentelemetry_sdk::metrics::Temporality,
    outage: Outage,
}

#[cfg(feature = "metrics")]
pub(crate) fn metric_exporter(
    settings: &OtlpSettings,
    temporality: crate::config::Temporality,
    export_timeout: Duration,
) -> Result<OtlpMetricExporter, InitError> {
    use crate::config::Temporality;
    let temporality = match temporality {
        Temporality::Cumulative => opentelemetry_sdk::metrics::Temporality::Cumulative,
        Temporality::Delta => opentelemetry_sdk::metrics::Temporality::Delta,
        Temporality::LowMemory => opentelemetry_sdk::metrics::Temporality::LowMemory,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            InitError::Exporter(format!(
                "the metrics exporter could not start a runtime: {error}"
            ))
        })?;
    // The exporter's own deadline is the export's too, as for spans (`Relay`).
    let settings = &OtlpSettings {
        timeout: settings.timeout.min(export_timeout),
        ..settings.clone()
    };
    let outage = Outage::new(crate::outage::METRICS, settings);
    let tls_files = TlsFiles::of(settings);
    match built_metric_exporter(settings, temporality, &runtime, &outage) {
        Ok(inner) => Ok(OtlpMetricExporter {
            runtime: Some(runtime),
            inner: std::sync::RwLock::new(inner),
            tls_files: std::sync::Mutex::new(tls_files),
            settings: settings.clone(),
            temporality,
            outage,
        }),
        Err(error) => {
            // `init()` may run inside the application's runtime, where dropping
            // ours would panic: shut down without waiting, as `Drop` below does.
            runtime.shutdown_background();
            Err(error)
        }
    }
}

/// The opentelemetry-otlp metric exporter of `settings`, built in `runtime`
/// (tonic builds its channel inside one).
#[cfg(feature = "metrics")]
fn built_metric_exporter(
    settings: &OtlpSettings,
    temporality: opentelemetry_sdk::metrics::Temporality,
    runtime: &tokio::runtime::Runtime,
    outage: &Outage,
) -> Result<opentelemetry_otlp::MetricExporter, InitError> {
    let _runtime = runtime.enter();
    let builder = opentelemetry_otlp::MetricExporter::builder().with_temporality(temporality);
    match settings.protocol {
        Protocol::Grpc => grpc(builder.with_tonic(), settings)?.build(),
        Protocol::HttpProtobuf => http(builder.with_http(), settings, outage.cause())?.build(),
    }
    .map_err(|error| exporter_error(&error, settings))
}

#[cfg(feature = "metrics")]
impl OtlpMetricExporter {
    fn inner(&self) -> std::sync::RwLockReadGuard<'_, opentelemetry_otlp::MetricExporter> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Builds the exporter again where its TLS files were replaced, as the
    /// spans' export thread does ([`crate::tls_files::rebuilt`]).
    fn rebuild_if_rotated(&self, runtime: &tokio::runtime::Runtime) {
        let changed = self
            .tls_files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .changed();
        if changed
            && let Some(built) =
                crate::tls_files::rebuilt(crate::outage::METRICS, &self.settings, || {
                    built_metric_exporter(&self.settings, self.temporality, runtime, &self.outage)
                })
        {
            // The one replaced is dropped where its client was made.
            let _runtime = runtime.enter();
            *self
                .inner
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = built;
        }
    }
}

#[cfg(feature = "metrics")]
impl opentelemetry_sdk::metrics::exporter::PushMetricExporter for OtlpMetricExporter {
    async fn export(
        &self,
        metrics: &opentelemetry_sdk::metrics::data::ResourceMetrics,
    ) -> OTelSdkResult {
        crate::route::mark_export_thread();
        let Some(runtime) = &self.runtime else {
            return Err(OTelSdkError::AlreadyShutdown);
        };
        self.rebuild_if_rotated(runtime);
        let inner = self.inner();
        // The data points rejected are said, not counted (nothing counts
        // those of metrics).
        let (result, _) = runtime.block_on(
            self.outage
                .export(self.settings.timeout, || inner.export(metrics)),
        );
        result
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner().force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner().shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> opentelemetry_sdk::metrics::Temporality {
        self.temporality
    }
}

/// The last reference may go on a thread of the application's runtime, where
/// dropping a runtime panics: this one is shut down without waiting instead.
#[cfg(feature = "metrics")]
impl Drop for OtlpMetricExporter {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_success_is_read_from_any_signals_answer() {
        // Field 1 (partial success) holding field 1 (rejected: 3) and field 2
        // (why: "old"), as each signal's export response lays it out.
        let answer = [0x0a, 0x07, 0x08, 0x03, 0x12, 0x03, b'o', b'l', b'd'];
        assert_eq!(
            rejected(&answer),
            Some(crate::outage::Rejected {
                count: 3,
                reason: "old".to_owned()
            })
        );
        // Nothing rejected (a warning only), a negative count, an empty answer,
        // one that is not protobuf: nothing.
        for answer in [
            &[0x0a, 0x05, 0x12, 0x03, b'o', b'l', b'd'][..],
            &[
                0x0a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ][..],
            &[][..],
            b"<!doctype html>",
        ] {
            assert_eq!(rejected(answer), None, "{answer:?}");
        }
    }

    #[test]
    fn a_refusal_says_why_where_its_answer_does() {
        let answer = |status: u16, headers: &[(&str, &str)], body: &[u8]| {
            let mut response = http::Response::builder().status(status);
            for (name, value) in headers {
                response = response.header(*name, *value);
            }
            response
                .body(opentelemetry_http::Bytes::copy_from_slice(body))
                .unwrap()
        };
        assert_eq!(
            refusal(&answer(
                400,
                &[("content-type", "text/plain; charset=utf-8")],
                b"Client sent an HTTP request to an HTTPS server.\n"
            ))
            .as_deref(),
            Some("the answer said \"Client sent an HTTP request to an HTTPS server.\"")
        );
        // google.rpc.Status { code: 3 (field 1), message: "bad span" (field 2) }.
        let status = [
            0x08, 0x03, 0x12, 0x08, b'b', b'a', b'd', b' ', b's', b'p', b'a', b'n',
        ];
        assert_eq!(
            refusal(&answer(
                400,
                &[("content-type", "application/x-protobuf")],
                &status
            ))
            .as_deref(),
            Some("the answer said \"bad span\"")
        );
        assert_eq!(
            refusal(&answer(
                308,
                &[("location", "https://user:key@collector:4318/v1/traces")],
                b""
            ))
            .as_deref(),
            Some(
                "redirected to \"https://collector:4318/v1/traces\", which an exporter does not follow: where that is the collector (an https:// one, say), write the signal's endpoint so"
            )
        );
        // What an answer echoes of the request's credentials is not said.
        assert_eq!(
            refusal(&answer(
                401,
                &[("content-type", "text/plain")],
                b"invalid key 9f8e7d6c5b4a39281706f5e4d3c2b1a0 for https://u:p@in.example/?token=abc"
            ))
            .as_deref(),
            Some(
                "the answer said \"invalid key <hidden> for https://REDACTED:REDACTED@in.example/?token=REDACTED\""
            )
        );
        // A web page, an empty body, a success: nothing said.
        assert_eq!(
            refusal(&answer(
                403,
                &[("content-type", "text/html")],
                b"<html>no</html>"
            )),
            None
        );
        assert_eq!(refusal(&answer(503, &[], b"")), None);
        assert_eq!(refusal(&answer(200, &[], b"fine")), None);
    }

    #[test]
    fn a_retry_after_is_read_in_seconds_or_as_a_date() {
        let asked = |status: u16, header: &str| {
            let mut response = opentelemetry_http::Response::new(opentelemetry_http::Bytes::new());
            *response.status_mut() = reqwest::StatusCode::from_u16(status).unwrap();
            response.headers_mut().insert(
                reqwest::header::RETRY_AFTER,
                HeaderValue::from_str(header).unwrap(),
            );
            retry_after(&response)
        };
        assert_eq!(asked(429, " 30 "), Some(Duration::from_secs(30)));
        assert_eq!(asked(503, "0"), Some(Duration::ZERO));
        let in_a_minute =
            httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(60));
        let delay = asked(503, &in_a_minute).expect("a date to come");
        assert!(
            (Duration::from_secs(58)..=Duration::from_secs(60)).contains(&delay),
            "{delay:?}"
        );
        // A date passed, a value neither, a status that throttles nothing.
        assert_eq!(asked(429, "Fri, 31 Dec 1999 23:59:59 GMT"), None);
        assert_eq!(asked(429, "soon"), None);
        assert_eq!(asked(502, "30"), None);
    }

    #[test]
    fn an_endpoint_on_this_machine_is_a_loopback_one() {
        for endpoint in [
            "http://localhost:4318/v1/traces",
            "https://LOCALHOST:4318",
            "http://127.0.0.1:4318",
            "http://127.3.2.1:4318",
            "http://[::1]:4318/v1/traces",
            "http://[::ffff:127.0.0.1]:4318",
            "http://localhost.:4318",
        ] {
            assert!(on_this_machine(endpoint), "{endpoint}");
        }
        for endpoint in [
            "http://collector:4318",
            "http://localhost.example.com:4318",
            "http://10.0.0.7:4318",
            "http://[2001:db8::1]:4318",
            "not a URL",
        ] {
            assert!(!on_this_machine(endpoint), "{endpoint}");
        }
    }

    #[test]
    fn an_html_answer_is_a_web_page_whatever_its_parameters() {
        let answered = |media_type: Option<&str>| {
            let mut response = opentelemetry_http::Response::new(opentelemetry_http::Bytes::new());
            if let Some(media_type) = media_type {
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_str(media_type).unwrap());
            }
            web_page(&response).is_some()
        };
        assert!(answered(Some("text/html")));
        assert!(answered(Some("Text/HTML; charset=utf-8")));
        for otlp in [
            Some("application/x-protobuf"),
            Some("application/json"),
            None,
        ] {
            assert!(!answered(otlp), "{otlp:?}");
        }
    }
}
