//! Export failures, said on stderr when an outage starts: without this a
//! collector that refuses everything (a wrong port, a backend that takes no
//! metrics) loses data in silence until the guard's count at exit. Said once per
//! outage: the first failure after a success, or after the start (of a kind not
//! said in the last 5 minutes). Items a collector took but rejected (OTLP's
//! partial success) are said likewise, until an export is taken whole. A request
//! refused as too large is no outage (the next one goes through): it is said once
//! per pipeline and kind of refusal (for its size alone, or RESOURCE_EXHAUSTED,
//! a throttling collector's answer too), with what to change; but for metrics, whose export is one
//! request holding every series (cumulative, it stays as large), it is one.

use crate::config::{OtlpSettings, Protocol};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What the HTTP client heard of an export that the exporter's result does not
/// say. Why its last request failed: opentelemetry-otlp reduces every failure to
/// send one to "network error", and a refused connection, a name that does not
/// resolve and a certificate no root vouches for call for different fixes. What
/// the collector rejected of a request it took (OTLP's partial success), which
/// the exporter reports only in its internal logs, off in our build. And until
/// when the collector asked to be sent nothing more (`Retry-After`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Cause(Arc<Mutex<Heard>>);

#[derive(Debug, Default)]
struct Heard {
    failure: Option<String>,
    rejected: Option<Rejected>,
    /// Until when, and the status that asked.
    throttled: Option<(Instant, u16)>,
}

/// Items a collector took in a request but rejected, with its reason.
#[derive(Debug, PartialEq)]
pub(crate) struct Rejected {
    pub count: u64,
    pub reason: String,
}

/// The longest a collector's `Retry-After` holds the exports back: a longer one
/// (a proxy's hours, a mistake) would stop them for that long.
const LONGEST_THROTTLE: Duration = Duration::from_secs(5 * 60);

impl Cause {
    fn heard(&self) -> std::sync::MutexGuard<'_, Heard> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes `error`'s causes, its own message left out (reqwest's names the URL,
    /// which may hold a secret; the outage says the endpoint without it).
    pub(crate) fn note(&self, error: &(dyn std::error::Error + 'static)) {
        let mut said = String::new();
        let mut source = error.source();
        while let Some(cause) = source {
            if !said.is_empty() {
                said.push_str(": ");
            }
            said.push_str(&cause.to_string());
            source = cause.source();
        }
        if said.is_empty() {
            said = error.to_string();
        }
        self.heard().failure = Some(said);
    }

    fn take(&self) -> Option<String> {
        self.heard().failure.take()
    }

    /// Notes why the collector (or what answered for it) refused a request, as
    /// its answer said.
    pub(crate) fn note_refusal(&self, said: String) {
        self.heard().failure = Some(said);
    }

    /// Notes what the collector rejected of a request it took.
    pub(crate) fn note_rejected(&self, rejected: Rejected) {
        let noted = &mut self.heard().rejected;
        match noted.as_mut() {
            Some(earlier) => earlier.count += rejected.count,
            None => *noted = Some(rejected),
        }
    }

    fn take_rejected(&self) -> Option<Rejected> {
        self.heard().rejected.take()
    }

    /// Notes that the collector, answering `status`, asked to be sent nothing
    /// for `delay` (at most [`LONGEST_THROTTLE`]).
    pub(crate) fn throttle(&self, status: u16, delay: Duration) {
        self.heard().throttled = Some((Instant::now() + delay.min(LONGEST_THROTTLE), status));
    }

    /// Forgets a throttle: the collector took a request.
    pub(crate) fn unthrottle(&self) {
        self.heard().throttled = None;
    }

    /// How long the collector still asks to be sent nothing, if it does, and the
    /// status it asked with.
    fn throttled(&self) -> Option<(Duration, u16)> {
        let (until, status) = self.heard().throttled?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some((left, status))
    }

    /// Forgets what an earlier request of the export said: the last one was
    /// answered (a retried export's answer is its own, not a connection refused
    /// before it).
    pub(crate) fn clear(&self) {
        drop(self.take());
    }
}

/// The signal whose export is one request ([`Outage::metrics_too_large`]).
pub(crate) const METRICS: &str = "metrics";

/// One OTLP pipeline's export outcomes.
#[derive(Debug)]
pub(crate) struct Outage {
    /// What is exported: `spans`, `log records`, `metrics`.
    signal: &'static str,
    endpoint: String,
    protocol: Protocol,
    /// The kinds of failure said ([`failure_kind`]): when, and whether during
    /// the outage going on.
    failing: Mutex<Vec<Said>>,
    /// Whether a request refused as too large was said: refused for its size
    /// alone ([`crate::batches::refused_for_its_size`]), or as RESOURCE_EXHAUSTED
    /// (a throttling collector's answer too), whose messages differ.
    said_too_large: [AtomicBool; 2],
    /// Whether items rejected by the collector were said, since the last export
    /// it took whole, and when they were last said.
    said_rejected: AtomicBool,
    rejected_said_at: Mutex<Option<Instant>>,
    /// Why the last HTTP request failed, when the exporter's error does not say.
    cause: Cause,
    /// The certificate authorities' file given, said where it does not vouch
    /// for the collector.
    certificate: Option<std::path::PathBuf>,
}

impl Outage {
    pub(crate) fn new(signal: &'static str, settings: &OtlpSettings) -> Self {
        Outage {
            signal,
            endpoint: crate::config::without_secrets(&settings.endpoint),
            protocol: settings.protocol,
            failing: Mutex::new(Vec::new()),
            said_too_large: [AtomicBool::new(false), AtomicBool::new(false)],
            said_rejected: AtomicBool::new(false),
            rejected_said_at: Mutex::new(None),
            cause: Cause::default(),
            certificate: settings.certificate.clone(),
        }
    }

    /// Where the exporter's HTTP client notes why a request failed.
    pub(crate) fn cause(&self) -> Cause {
        self.cause.clone()
    }

    /// Why an export is not to be sent now: the collector asked (HTTP 429 or
    /// 503 with `Retry-After`) to be sent nothing for a while, longer than its
    /// export's retries could wait; the specification has the client hold back
    /// rather than send the next batches into the same refusal. Said as that
    /// refusal, so as its kind of failure.
    fn held_back(&self) -> Option<OTelSdkError> {
        let (left, status) = self.cause.throttled()?;
        Some(OTelSdkError::InternalFailure(format!(
            "HTTP export failed with status code: {status}, asking for no export for {} s more (Retry-After): not sent",
            left.as_millis().div_ceil(1000)
        )))
    }

    /// Runs `export`, unless the collector asked to be sent nothing now
    /// ([`Outage::held_back`]): cut off after `timeout`, a panic of the exporter
    /// contained. Its result, noted ([`Outage::note`]), and how many items the
    /// collector said it rejected of it.
    pub(crate) async fn export<F: Future<Output = OTelSdkResult>>(
        &self,
        timeout: Duration,
        export: impl FnOnce() -> F,
    ) -> (OTelSdkResult, u64) {
        let result = match self.held_back() {
            Some(held_back) => Err(held_back),
            None => tokio::time::timeout(timeout, crate::panic::contained_export(export))
                .await
                .unwrap_or(Err(OTelSdkError::Timeout(timeout))),
        };
        let rejected = self.note(&result);
        (result, rejected)
    }

    /// Notes an export's result, saying the first failure of an outage, and the
    /// first export since one taken whole of which the collector rejected items:
    /// how many it said it rejected.
    fn note(&self, result: &OTelSdkResult) -> u64 {
        let (rejected, said_rejected) = self.rejection(result);
        for said in [self.to_say(result), said_rejected].into_iter().flatten() {
            crate::notice::aside(said);
        }
        rejected
    }

    /// [`Outage::rejection_at`] now.
    fn rejection(&self, result: &OTelSdkResult) -> (u64, Option<String>) {
        self.rejection_at(result, Instant::now())
    }

    /// How many items the collector rejected of an export it took, and what
    /// [`Outage::note`] says of them at `now`: the first rejection since an export
    /// taken whole (a backend refusing old timestamps rejects some of every
    /// export), unless one was said less than [`SAID_AGAIN_AFTER`] ago (a backend
    /// rejecting one route's spans, between exports taken whole, would say each).
    fn rejection_at(&self, result: &OTelSdkResult, now: Instant) -> (u64, Option<String>) {
        match self.cause.take_rejected().filter(|_| result.is_ok()) {
            Some(rejected) => {
                let mut said_at =
                    (self.rejected_said_at.lock()).unwrap_or_else(PoisonError::into_inner);
                let due = !self.said_rejected.load(Ordering::Relaxed)
                    && said_at
                        .is_none_or(|at| now.saturating_duration_since(at) >= SAID_AGAIN_AFTER);
                if due {
                    self.said_rejected.store(true, Ordering::Relaxed);
                    *said_at = Some(now);
                }
                (rejected.count, due.then(|| self.said_rejected(&rejected)))
            }
            None => {
                if result.is_ok() {
                    self.said_rejected.store(false, Ordering::Relaxed);
                }
                (0, None)
            }
        }
    }

    /// Items the collector took and rejected: lost, the others exported.
    fn said_rejected(&self, rejected: &Rejected) -> String {
        let Outage {
            signal, endpoint, ..
        } = self;
        let Rejected { count, reason } = rejected;
        // What the count of a metrics export's partial success counts.
        let items = if *signal == METRICS {
            "data points"
        } else {
            signal
        };
        let reason = if reason.is_empty() {
            "it gave no reason".to_owned()
        } else {
            format!("it said {reason:?}")
        };
        format!(
            "exporting {signal} to {endpoint}: the collector took an export but said it rejected {count} {items} of it ({reason}); they are lost, the others are exported (said again after an export taken whole, at most every 5 minutes)"
        )
    }

    /// [`Outage::to_say_at`] now.
    fn to_say(&self, result: &OTelSdkResult) -> Option<String> {
        self.to_say_at(result, Instant::now())
    }

    /// What [`Outage::note`] says of `result` at `now`: the first failure of each
    /// kind in an outage (a collector that came up refusing the credentials,
    /// after refusing connections: what to do changed), unless that kind was
    /// said less than [`SAID_AGAIN_AFTER`] ago (a collector failing every
    /// twentieth export would say each); nothing for the failures after it, nor
    /// for a success, which ends it; the first request refused as too large,
    /// which neither starts nor ends one.
    fn to_say_at(&self, result: &OTelSdkResult, now: Instant) -> Option<String> {
        let cause = self.cause.take();
        let mut failing = self.failing.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(()) => {
                for said in failing.iter_mut() {
                    said.ongoing = false;
                }
                None
            }
            Err(error) if crate::batches::refused_as_too_large(error) && self.signal == METRICS => {
                Said::first(&mut failing, "too large".to_owned(), now)
                    .then(|| self.metrics_too_large(error))
            }
            Err(error) if crate::batches::refused_as_too_large(error) => {
                let said =
                    &self.said_too_large[usize::from(crate::batches::refused_for_its_size(error))];
                (!said.swap(true, Ordering::Relaxed)).then(|| self.said_too_large(error))
            }
            Err(error) => {
                let kind = failure_kind(&error.to_string(), cause.as_deref());
                Said::first(&mut failing, kind, now)
                    .then(|| self.said_with(error, cause.as_deref()))
            }
        }
    }

    /// A metrics export refused as too large: every series is in it, and the next
    /// one holds them all again.
    fn metrics_too_large(&self, error: &dyn std::fmt::Display) -> String {
        let error = error.to_string();
        // The HTTP exporter's own limit, which no setting raises.
        let raise = if error.contains(crate::batches::EXPORTERS_OWN_LIMIT) {
            ""
        } else {
            " or raise the collector's request size limit"
        };
        format!(
            "exporting metrics to {}: the export was refused as too large, or while the collector was short of resources ({error}); metrics go out in one request per export, so they are lost until one is taken: record fewer series (OTEL_TRACED_FUNCTION_METRICS unset, attributes of fewer values){raise} (said again after an export succeeds, at most every 5 minutes)",
            self.endpoint
        )
    }

    /// A request refused as too large: what it held is lost, the rest goes on.
    fn said_too_large(&self, error: &OTelSdkError) -> String {
        let Outage {
            signal, endpoint, ..
        } = self;
        // Where the refusal was for its size alone ([`crate::batches::Budget`]).
        let smaller = if crate::batches::refused_for_its_size(error) {
            " (in smaller requests from now on, where it held several)"
        } else {
            ""
        };
        format!(
            "exporting {signal} to {endpoint}: a request was refused as too large, or while the collector was short of resources ({error}); the {signal} in it are lost, the others are still exported{smaller}. Large values are the usual cause: cap them with OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, or raise the collector's request size limit (the HTTP exporter's own is 64 MiB); a collector throttling needs more capacity (said once per kind of refusal)"
        )
    }

    /// [`Outage::said`] of `error`, with the `cause` the HTTP client gave and what
    /// to do about a TLS failure either says (gRPC's error holds its own cause).
    fn said_with(&self, error: &dyn std::fmt::Display, cause: Option<&str>) -> String {
        match cause {
            Some(cause) => self.said(&format_args!(
                "{error} ({cause}){}",
                tls_hint(cause, self.certificate.as_deref())
            )),
            None => {
                let error = error.to_string();
                let hint = tls_hint(&error, self.certificate.as_deref());
                self.said(&format_args!("{error}{hint}"))
            }
        }
    }

    fn said(&self, error: &dyn std::fmt::Display) -> String {
        let Outage {
            signal,
            endpoint,
            protocol,
            ..
        } = self;
        let (protocol, own_port, other_port, other) = match protocol {
            Protocol::Grpc => ("grpc", "4317", ":4318", "http/protobuf"),
            Protocol::HttpProtobuf => ("http/protobuf", "4318", ":4317", "grpc"),
        };
        let port_hint = if endpoint
            .split('/')
            .nth(2)
            .is_some_and(|authority| authority.ends_with(other_port))
        {
            format!(
                " (port {} is where collectors take OTLP {other}: set OTEL_EXPORTER_OTLP_PROTOCOL={other} or use the {protocol} port, {own_port})",
                &other_port[1..]
            )
        } else {
            String::new()
        };
        let status_hint = status_hint(&error.to_string(), self.signal);
        format!(
            "exporting {signal} to {endpoint} over {protocol} failed: {error}{port_hint}{status_hint}; {signal} are lost until an export succeeds (said once per outage and kind of failure, at most every 5 minutes)"
        )
    }
}

/// How long after a kind of failure was said it is said again, in a new outage.
const SAID_AGAIN_AFTER: Duration = Duration::from_secs(5 * 60);

/// A kind of failure said.
#[derive(Debug)]
struct Said {
    kind: String,
    at: Instant,
    /// Whether it was seen in the outage going on.
    ongoing: bool,
}

impl Said {
    /// Whether a failure of `kind` at `now` is to be said: the first of its
    /// outage, and not said within [`SAID_AGAIN_AFTER`]. (The kinds are a few:
    /// HTTP statuses, gRPC codes, one for the network.)
    fn first(said: &mut Vec<Said>, kind: String, now: Instant) -> bool {
        match said.iter_mut().find(|said| said.kind == kind) {
            Some(earlier) if earlier.ongoing => false,
            Some(earlier) => {
                earlier.ongoing = true;
                let again = now.saturating_duration_since(earlier.at) >= SAID_AGAIN_AFTER;
                if again {
                    earlier.at = now;
                }
                again
            }
            None => {
                said.push(Said {
                    kind,
                    at: now,
                    ongoing: true,
                });
                true
            }
        }
    }
}

/// The kind of an export's failure `error` (with the HTTP client's `cause`)
/// says: the collector's answer (an HTTP status, a gRPC code), else what failed
/// on the way ([`NETWORK_FAILURES`]; one kind for any other), each mended its own
/// way: a collector that comes up with a certificate not trusted, after refusing
/// connections, is said again.
fn failure_kind(error: &str, cause: Option<&str>) -> String {
    let on_the_way = || {
        let text = format!("{error} {}", cause.unwrap_or_default()).to_lowercase();
        NETWORK_FAILURES
            .iter()
            .find(|(_, says)| says.iter().any(|said| text.contains(said)))
            .map_or("", |(kind, _)| kind)
    };
    let answer = ["status code: ", "gRPC code: "]
        .into_iter()
        .find_map(|said| {
            let (_, after) = error.split_once(said)?;
            let code: String = after
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            Some(format!("{said}{code}"))
        });
    match answer {
        // tonic's for any connection that failed: what failed is in its sources.
        Some(answer) if answer == "gRPC code: Unavailable" => format!("{answer} {}", on_the_way()),
        Some(answer) => answer,
        None => on_the_way().to_owned(),
    }
}

/// Failures on the way to the collector, by what their text says (lowercase; the
/// first that matches): TLS not agreed, a name not resolved, a connection
/// refused, a timeout. Few kinds: each is said once an outage.
const NETWORK_FAILURES: [(&str, &[&str]); 4] = [
    (
        "tls",
        &[
            "certificate",
            "unknownissuer",
            "invalidcontenttype",
            "tls",
            "handshake",
        ],
    ),
    (
        "name",
        &[
            "dns error",
            "failed to lookup address",
            "name or service not known",
            "nodename nor servname",
            "no such host",
        ],
    ),
    (
        "refused",
        &[
            "connection refused",
            "connectionrefused",
            // Windows' WSAECONNREFUSED.
            "actively refused",
        ],
    ),
    ("timeout", &["timed out", "timeout", "deadline has elapsed"]),
];

/// What to do about an answer of the collector that `error` reports: no OTLP at
/// that path (or, for logs and metrics beside spans, a backend that takes traces
/// only), or credentials refused.
fn status_hint(error: &str, signal: &str) -> String {
    const REFUSED: [&str; 4] = [
        "status code: 401",
        "status code: 403",
        "gRPC code: Unauthenticated",
        "gRPC code: PermissionDenied",
    ];
    let no_path = error.contains("status code: 404");
    if no_path || error.contains("gRPC code: Unimplemented") {
        let (path, variable) = match signal {
            "spans" => ("traces", "TRACES"),
            "log records" => ("logs", "LOGS"),
            _ => ("metrics", "METRICS"),
        };
        // For logs and metrics beside spans, a traces-only backend is the usual
        // cause: said first.
        let traces_only = (signal != "spans").then(|| {
            format!(
                "a backend taking traces only (Jaeger, Tempo) takes no {path}, set OTEL_{variable}_EXPORTER=none there, or OTEL_EXPORTER_OTLP_{variable}_ENDPOINT to a collector"
            )
        });
        let endpoint = no_path.then(|| {
            format!(
                "OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL, /v1/{path} is appended; OTEL_EXPORTER_OTLP_{variable}_ENDPOINT is used as it is"
            )
        });
        let hints: Vec<String> = traces_only.into_iter().chain(endpoint).collect();
        match hints.is_empty() {
            true => format!(" (nothing takes OTLP {path} there)"),
            false => format!(" (nothing takes OTLP {path} there: {})", hints.join("; ")),
        }
    } else if REFUSED.iter().any(|refusal| error.contains(refusal)) {
        " (the collector refused the credentials: set them with OTEL_EXPORTER_OTLP_HEADERS, such as `authorization=Bearer%20<token>`)".to_owned()
    } else {
        String::new()
    }
}

/// What to do about a certificate no trusted root vouches for, or a collector
/// asking for one of ours, when `cause` says so (an expired one, or one for
/// another name, is the collector's to mend).
fn tls_hint(cause: &str, certificate: Option<&std::path::Path>) -> std::borrow::Cow<'static, str> {
    if cause.contains("UnknownIssuer") {
        match certificate {
            Some(file) => format!(
                " (no certificate authority of {}, the certificate file given, vouches for the collector's certificate: give the file of the CA that signed it)",
                file.display()
            )
            .into(),
            None => " (a collector whose certificate a private CA signed: set OTEL_EXPORTER_OTLP_CERTIFICATE to that CA's PEM file, or add it to the system's trusted certificates)".into(),
        }
    } else if cause.contains("CertificateRequired") {
        " (the collector asks for a client certificate: set OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY)".into()
    } else if cause.contains("InvalidContentType") {
        " (the collector answered without TLS: write its endpoint with http://, or, for a gRPC host:port, set OTEL_EXPORTER_OTLP_INSECURE=true)".into()
    } else {
        "".into()
    }
}

#[cfg(test)]
mod tests {
    use super::Outage;
    use crate::config::without_secrets;
    use crate::config::{OtlpSettings, Protocol};
    use std::time::{Duration, Instant};

    fn outage(endpoint: &str, protocol: Protocol) -> Outage {
        outage_of("spans", endpoint, protocol)
    }

    fn outage_of(signal: &'static str, endpoint: &str, protocol: Protocol) -> Outage {
        Outage::new(
            signal,
            &OtlpSettings {
                endpoint: endpoint.to_owned(),
                protocol,
                headers: Vec::new(),
                timeout: Duration::from_secs(10),
                compression: None,
                certificate: None,
                client_identity: None,
            },
        )
    }

    #[test]
    fn the_message_says_what_failed_and_suspects_a_port_of_the_other_protocol() {
        assert_eq!(
            outage("http://collector:4317/v1/traces", Protocol::HttpProtobuf).said(&"refused"),
            "exporting spans to http://collector:4317/v1/traces over http/protobuf failed: refused (port 4317 is where collectors take OTLP grpc: set OTEL_EXPORTER_OTLP_PROTOCOL=grpc or use the http/protobuf port, 4318); spans are lost until an export succeeds (said once per outage and kind of failure, at most every 5 minutes)"
        );
        assert_eq!(
            outage("http://collector:4317", Protocol::Grpc).said(&"unavailable"),
            "exporting spans to http://collector:4317 over grpc failed: unavailable; spans are lost until an export succeeds (said once per outage and kind of failure, at most every 5 minutes)"
        );
    }

    #[test]
    fn a_wrong_path_or_refused_credentials_are_said_with_what_to_set() {
        let http = outage(
            "http://collector:4318/v1/traces/v1/traces",
            Protocol::HttpProtobuf,
        );
        assert!(
            http.said(&"HTTP export failed with status code: 404")
                .contains("failed: HTTP export failed with status code: 404 (nothing takes OTLP traces there: OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL, /v1/traces is appended; OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is); spans are lost")
        );
        // Logs and metrics beside spans, to a backend that takes traces only.
        assert_eq!(
            super::status_hint("HTTP export failed with status code: 404", "log records"),
            " (nothing takes OTLP logs there: a backend taking traces only (Jaeger, Tempo) takes no logs, set OTEL_LOGS_EXPORTER=none there, or OTEL_EXPORTER_OTLP_LOGS_ENDPOINT to a collector; OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL, /v1/logs is appended; OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is used as it is)"
        );
        assert_eq!(
            super::status_hint(
                "TonicMetricsClient export failed with gRPC code: Unimplemented",
                "metrics"
            ),
            " (nothing takes OTLP metrics there: a backend taking traces only (Jaeger, Tempo) takes no metrics, set OTEL_METRICS_EXPORTER=none there, or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT to a collector)"
        );
        let grpc = outage("http://collector:4317", Protocol::Grpc);
        for refused in [
            "HTTP export failed with status code: 401",
            "TonicTracesClient export failed with gRPC code: Unauthenticated",
        ] {
            assert!(
                grpc.said(&refused)
                    .contains("(the collector refused the credentials: set them with OTEL_EXPORTER_OTLP_HEADERS"),
                "{refused}"
            );
        }
        assert!(
            !grpc
                .said(&"TonicTracesClient export failed with gRPC code: Unavailable")
                .contains(" (the")
        );
    }

    /// An error whose message names the URL, caused by a chain of others.
    #[derive(Debug)]
    struct Failed(&'static str, Option<Box<Failed>>);

    impl std::fmt::Display for Failed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Failed {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|cause| cause as _)
        }
    }

    #[test]
    fn an_http_failure_is_said_with_the_clients_reason_and_what_to_do() {
        let outage = outage("https://collector:4318/v1/traces", Protocol::HttpProtobuf);
        let cause = outage.cause();
        cause.note(&Failed(
            "error sending request for url (https://user:key@collector:4318/v1/traces)",
            Some(Box::new(Failed(
                "client error (Connect)",
                Some(Box::new(Failed(
                    "invalid peer certificate: UnknownIssuer",
                    None,
                ))),
            ))),
        ));
        let failed = |text: &str| {
            Err(opentelemetry_sdk::error::OTelSdkError::InternalFailure(
                text.to_owned(),
            ))
        };
        assert_eq!(
            outage
                .to_say(&failed("HTTP export failed: network error"))
                .expect("the outage's first failure is said"),
            "exporting spans to https://collector:4318/v1/traces over http/protobuf failed: Operation failed: HTTP export failed: network error (client error (Connect): invalid peer certificate: UnknownIssuer) (a collector whose certificate a private CA signed: set OTEL_EXPORTER_OTLP_CERTIFICATE to that CA's PEM file, or add it to the system's trusted certificates); spans are lost until an export succeeds (said once per outage and kind of failure, at most every 5 minutes)"
        );
        // The cause was the first failure's: a later one of another kind, with no
        // cause of its own, is said without it.
        let later = outage
            .to_say(&failed("HTTP export failed: status code: 503"))
            .expect("a failure of another kind is said");
        assert!(!later.contains("UnknownIssuer"), "{later}");
        // With a certificate file given, that file is the one to mend.
        let mut given = self::outage("https://collector:4318/v1/traces", Protocol::HttpProtobuf);
        given.certificate = Some("/etc/otel/ca.pem".into());
        let said = given.said_with(
            &"network error",
            Some("invalid peer certificate: UnknownIssuer"),
        );
        assert!(
            said.contains("(no certificate authority of /etc/otel/ca.pem, the certificate file given, vouches for the collector's certificate"),
            "{said}"
        );
    }

    #[test]
    fn items_a_collector_rejected_are_counted_and_said_once_until_an_export_is_taken_whole() {
        let outage = outage("http://collector:4318/v1/traces", Protocol::HttpProtobuf);
        let rejected = |count| {
            outage.cause().note_rejected(super::Rejected {
                count,
                reason: "timestamps \u{1b}[31mtoo old".to_owned(),
            });
        };
        let start = Instant::now();
        let later = |minutes: u64| start + Duration::from_secs(minutes * 60);
        rejected(3);
        assert_eq!(
            outage.rejection_at(&Ok(()), start),
            (
                3,
                Some("exporting spans to http://collector:4318/v1/traces: the collector took an export but said it rejected 3 spans of it (it said \"timestamps \\u{1b}[31mtoo old\"); they are lost, the others are exported (said again after an export taken whole, at most every 5 minutes)".to_owned())
            )
        );
        rejected(2);
        assert_eq!(outage.rejection_at(&Ok(()), start), (2, None), "said once");
        assert_eq!(
            outage.rejection_at(&Ok(()), later(1)),
            (0, None),
            "an export taken whole"
        );
        rejected(4);
        assert_eq!(
            outage.rejection_at(&Ok(()), later(2)),
            (4, None),
            "too soon after the last said"
        );
        // The same episode, five minutes after the last said: said, though no
        // export was taken whole meanwhile.
        rejected(30);
        let (count, said) = outage.rejection_at(&Ok(()), later(6));
        assert_eq!(
            count, 30,
            "as the collector said (the counters hold it to what was sent)"
        );
        assert!(
            said.expect("said again")
                .contains("said it rejected 30 spans")
        );
    }

    #[test]
    fn failures_on_the_way_are_told_apart_by_what_failed() {
        use super::failure_kind;
        let kind = |error: &str, cause: Option<&str>| failure_kind(error, cause);
        assert_eq!(
            kind(
                "Operation failed: error sending request",
                Some("tcp connect error: Connection refused (os error 111)")
            ),
            "refused"
        );
        assert_eq!(
            kind(
                "Operation failed: error sending request",
                Some(
                    "tcp connect error: No connection could be made because the target machine actively refused it. (os error 10061)"
                )
            ),
            "refused",
            "as Windows says it"
        );
        assert_eq!(
            kind(
                "Operation failed: error sending request",
                Some("dns error: failed to lookup address information: Name or service not known")
            ),
            "name"
        );
        assert_eq!(
            kind(
                "Operation failed: error sending request",
                Some("invalid peer certificate: UnknownIssuer")
            ),
            "tls"
        );
        assert_eq!(
            kind("gRPC code: ResourceExhausted, message: \"tls\"", None),
            "gRPC code: ResourceExhausted",
            "the collector's answer first"
        );
        assert_eq!(
            kind(
                "gRPC code: Unavailable, message: \"tcp connect error\", source: Connection refused (os error 111)",
                None
            ),
            "gRPC code: Unavailable refused",
            "tonic's for any connection failed, told apart by its sources"
        );
        assert_eq!(
            kind("Operation failed: operation timed out", None),
            "timeout"
        );
        assert_eq!(kind("Operation failed: refused", None), "");
    }

    #[test]
    fn exports_are_held_back_while_the_collector_asks_and_no_longer_once_it_took_one() {
        let outage = outage("http://collector:4318/v1/traces", Protocol::HttpProtobuf);
        assert!(outage.held_back().is_none());
        outage.cause().throttle(429, Duration::from_secs(60));
        let held_back = outage.held_back().expect("held back").to_string();
        assert!(
            held_back.contains("status code: 429, asking for no export for 60 s more"),
            "{held_back}"
        );
        assert_eq!(super::failure_kind(&held_back, None), "status code: 429");
        outage.cause().unthrottle();
        assert!(outage.held_back().is_none());
        // An hour asked for is held to five minutes.
        outage.cause().throttle(503, Duration::from_secs(3600));
        assert!(
            outage
                .held_back()
                .unwrap()
                .to_string()
                .contains("for 300 s more")
        );
    }

    #[test]
    fn a_collector_asking_for_a_client_certificate_says_which_variables_give_it() {
        let outage = outage("https://collector:4317", Protocol::Grpc);
        assert_eq!(
            outage.said_with(
                // What opentelemetry-otlp 0.33 says (seen in `otlp_export`'s mutual TLS).
                &"Operation failed: TonicTracesClient export failed with gRPC code: Unknown: transport error: connection error: received fatal alert: CertificateRequired",
                None
            ),
            "exporting spans to https://collector:4317 over grpc failed: Operation failed: TonicTracesClient export failed with gRPC code: Unknown: transport error: connection error: received fatal alert: CertificateRequired (the collector asks for a client certificate: set OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY); spans are lost until an export succeeds (said once per outage and kind of failure, at most every 5 minutes)"
        );
    }

    #[test]
    fn a_collector_answering_without_tls_says_how_to_reach_it_without() {
        let outage = outage("https://localhost:4318/v1/traces", Protocol::HttpProtobuf);
        let said = outage.said_with(
            &"HTTP export failed: network error",
            // What rustls says of a plain HTTP answer to its client hello.
            Some("client error (Connect): received corrupt message of type InvalidContentType"),
        );
        assert!(
            said.contains("InvalidContentType) (the collector answered without TLS: write its endpoint with http://, or, for a gRPC host:port, set OTEL_EXPORTER_OTLP_INSECURE=true);"),
            "{said}"
        );
    }

    #[test]
    fn a_request_too_large_is_said_once_but_metrics_refused_again_after_a_success() {
        use opentelemetry_sdk::error::OTelSdkError;
        let too_large = || {
            Err(OTelSdkError::InternalFailure(
                "export failed with gRPC code: ResourceExhausted".to_owned(),
            ))
        };
        let spans = outage("http://collector:4317", Protocol::Grpc);
        assert!(spans.to_say(&too_large()).is_some());
        assert!(spans.to_say(&Ok(())).is_none());
        assert!(spans.to_say(&too_large()).is_none(), "once per pipeline");
        let metrics = outage_of(super::METRICS, "http://collector:4317", Protocol::Grpc);
        let said = metrics.to_say(&too_large()).expect("said");
        assert!(
            said.contains("metrics go out in one request per export"),
            "{said}"
        );
        assert!(metrics.to_say(&too_large()).is_none(), "once an outage");
        assert!(metrics.to_say(&Ok(())).is_none());
        let later = Instant::now() + Duration::from_secs(5 * 60);
        assert!(
            metrics.to_say_at(&too_large(), later).is_some(),
            "again after a success (and five minutes)"
        );
    }

    #[test]
    fn an_endpoint_is_said_without_its_secrets() {
        assert_eq!(
            without_secrets("https://user:key@collector:4318/v1/traces?token=abc"),
            "https://collector:4318/v1/traces"
        );
        assert_eq!(
            without_secrets("http://collector:4317"),
            "http://collector:4317"
        );
        // A token holding `/` or `?` unescaped, with a scheme or without, and an
        // `@` in a path or query: no host is told, rather than a wrong one.
        for hidden in [
            "https://user:ab/cd@collector:4318/v1/traces",
            "https://collector:4318/v1/traces?to=a@b",
            "https://collector:4318/@tenant/v1/traces",
        ] {
            assert_eq!(without_secrets(hidden), "https://<hidden>", "{hidden}");
        }
        assert_eq!(without_secrets("user:to?ken@collector:4317"), "<hidden>");
        assert_eq!(
            without_secrets("user:token@collector:4317/?next=http://x"),
            "collector:4317/",
            "a `://` in the query is no scheme"
        );
        assert_eq!(
            without_secrets("user:token@collector:4317"),
            "collector:4317"
        );
    }

    #[test]
    fn an_outage_is_said_once_until_an_export_succeeds_and_five_minutes_passed() {
        let outage = outage("http://collector:4318/v1/traces", Protocol::HttpProtobuf);
        let failed = Err(opentelemetry_sdk::error::OTelSdkError::InternalFailure(
            "refused".to_owned(),
        ));
        let said = "exporting spans to http://collector:4318/v1/traces over http/protobuf failed: Operation failed: refused; spans are lost until an export succeeds (said once per outage and kind of failure, at most every 5 minutes)";
        let start = Instant::now();
        let later = |minutes: u64| start + Duration::from_secs(minutes * 60);
        assert_eq!(outage.to_say_at(&failed, start).as_deref(), Some(said));
        assert_eq!(outage.to_say_at(&failed, later(1)), None, "the same outage");
        assert_eq!(outage.to_say_at(&Ok(()), later(1)), None);
        assert_eq!(
            outage.to_say_at(&failed, later(2)),
            None,
            "a new outage, too soon after the last was said"
        );
        assert_eq!(outage.to_say_at(&Ok(()), later(5)), None);
        assert_eq!(
            outage.to_say_at(&failed, later(5)).as_deref(),
            Some(said),
            "a new outage"
        );
        // The collector came up, and refuses the credentials: said, once.
        let refused = Err(opentelemetry_sdk::error::OTelSdkError::InternalFailure(
            "HTTP export failed with status code: 401".to_owned(),
        ));
        let said = outage.to_say(&refused).expect("another kind of failure");
        assert!(
            said.contains("status code: 401 (the collector refused the credentials"),
            "{said}"
        );
        assert_eq!(outage.to_say(&refused), None, "the same kind");
        assert_eq!(outage.to_say(&failed), None, "each kind once an outage");
    }

    #[test]
    fn a_request_refused_as_too_large_is_said_once_and_is_no_outage() {
        let outage = outage("http://collector:4317", Protocol::Grpc);
        // What opentelemetry-otlp 0.33 says: the code, not the collector's message.
        let too_large = Err(opentelemetry_sdk::error::OTelSdkError::InternalFailure(
            "TonicTracesClient export failed with gRPC code: ResourceExhausted".to_owned(),
        ));
        let said = outage.to_say(&too_large).expect("said");
        assert!(
            said.starts_with("exporting spans to http://collector:4317: a request was refused as too large, or while the collector was short of resources (Operation failed: TonicTracesClient export failed with gRPC code: ResourceExhausted); the spans in it are lost, the others are still exported."),
            "{said}"
        );
        assert_eq!(outage.to_say(&Ok(())), None);
        assert_eq!(outage.to_say(&too_large), None, "said once");
        // Refused for its size alone (a proxy's 413), after that: said too, as later
        // requests are smaller.
        let said = outage
            .to_say(&Err(
                opentelemetry_sdk::error::OTelSdkError::InternalFailure(
                    "HTTP export failed with status code: 413".to_owned(),
                ),
            ))
            .expect("said");
        assert!(
            said.contains("still exported (in smaller requests from now on"),
            "{said}"
        );
        let down = Err(opentelemetry_sdk::error::OTelSdkError::InternalFailure(
            "unavailable".to_owned(),
        ));
        assert!(
            outage.to_say(&down).is_some(),
            "an outage is said after a refusal"
        );
    }
}
