//! The OTLP exporter settings of one signal (traces, logs or metrics): its own
//! `OTEL_EXPORTER_OTLP_{SIGNAL}_*` variable before the general one, then the
//! specification's default.

use super::vars::{Variable, Vars};
use super::{ClientIdentity, Compression, OtlpSettings, Protocol};
use crate::init::InitError;
use std::path::PathBuf;
use std::time::Duration;

/// The variables of one signal, each signal-specific name before the general one.
#[derive(Debug)]
pub(crate) struct SignalVariables {
    pub endpoint: &'static str,
    /// Appended to the general endpoint for HTTP.
    path: &'static str,
    protocol: [&'static str; 2],
    headers: [&'static str; 2],
    timeout: [&'static str; 2],
    compression: [&'static str; 2],
    certificate: [&'static str; 2],
    /// Whether a gRPC endpoint written without a scheme is called without TLS.
    insecure: [&'static str; 2],
    /// The client's certificate and key, for mutual TLS.
    client_certificate: [&'static str; 2],
    client_key: [&'static str; 2],
}

/// The general variables, for the names the signals share.
const GENERAL_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

pub(crate) const TRACES: SignalVariables = SignalVariables {
    endpoint: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    path: "/v1/traces",
    protocol: [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ],
    headers: [
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        "OTEL_EXPORTER_OTLP_HEADERS",
    ],
    timeout: [
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ],
    compression: [
        "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
    ],
    certificate: [
        "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
    ],
    insecure: [
        "OTEL_EXPORTER_OTLP_TRACES_INSECURE",
        "OTEL_EXPORTER_OTLP_INSECURE",
    ],
    client_certificate: [
        "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
    ],
    client_key: [
        "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
        "OTEL_EXPORTER_OTLP_CLIENT_KEY",
    ],
};

pub(crate) const LOGS: SignalVariables = SignalVariables {
    endpoint: "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    path: "/v1/logs",
    protocol: [
        "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ],
    headers: [
        "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
        "OTEL_EXPORTER_OTLP_HEADERS",
    ],
    timeout: [
        "OTEL_EXPORTER_OTLP_LOGS_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ],
    compression: [
        "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
    ],
    certificate: [
        "OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
    ],
    insecure: [
        "OTEL_EXPORTER_OTLP_LOGS_INSECURE",
        "OTEL_EXPORTER_OTLP_INSECURE",
    ],
    client_certificate: [
        "OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
    ],
    client_key: [
        "OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY",
        "OTEL_EXPORTER_OTLP_CLIENT_KEY",
    ],
};

pub(crate) const METRICS: SignalVariables = SignalVariables {
    endpoint: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    path: "/v1/metrics",
    protocol: [
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ],
    headers: [
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
        "OTEL_EXPORTER_OTLP_HEADERS",
    ],
    timeout: [
        "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ],
    compression: [
        "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
    ],
    certificate: [
        "OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
    ],
    insecure: [
        "OTEL_EXPORTER_OTLP_METRICS_INSECURE",
        "OTEL_EXPORTER_OTLP_INSECURE",
    ],
    client_certificate: [
        "OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
    ],
    client_key: [
        "OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY",
        "OTEL_EXPORTER_OTLP_CLIENT_KEY",
    ],
};

impl SignalVariables {
    /// Whether the signal's own protocol variable is set (it then wins over the
    /// protocol another signal was given by a builder call).
    pub(crate) fn has_own_protocol(&self, vars: &Vars) -> bool {
        vars.get(self.protocol[0]).is_some()
    }

    /// Whether the signal's own endpoint variable is set.
    pub(crate) fn has_own_endpoint(&self, vars: &Vars) -> bool {
        vars.get(self.endpoint).is_some()
    }

    /// Whether an endpoint variable applies to this signal.
    pub(crate) fn has_endpoint(&self, vars: &Vars) -> bool {
        vars.first(&[self.endpoint, GENERAL_ENDPOINT]).is_some()
    }

    /// Whether an endpoint variable asks for this signal over OTLP when its
    /// exporter variable is unset: its own, or the general one in a build that can
    /// export over OTLP (a platform may set that one for every process: a build
    /// without the `otlp` feature leaves the signal where it goes rather than
    /// refuse to start).
    pub(crate) fn endpoint_asks_for_otlp(&self, vars: &Vars) -> bool {
        self.has_own_endpoint(vars) || (cfg!(feature = "otlp") && self.has_endpoint(vars))
    }
}

pub(crate) fn protocol(vars: &Vars, signal: &SignalVariables) -> Result<Protocol, InitError> {
    match vars.first(&signal.protocol) {
        Some(variable) => variable.choice(
            &[
                ("grpc", Protocol::Grpc),
                ("http/protobuf", Protocol::HttpProtobuf),
            ],
            "grpc or http/protobuf",
        ),
        None => Ok(Protocol::HttpProtobuf),
    }
}

/// The settings of `signal`; `endpoint` is one given by a builder call.
pub(crate) fn settings(
    vars: &Vars,
    signal: &SignalVariables,
    endpoint: Option<String>,
    protocol: Protocol,
) -> Result<OtlpSettings, InitError> {
    let endpoint = match endpoint {
        Some(endpoint) => {
            let shown = super::without_secrets(&endpoint);
            let url = endpoint_url(&endpoint).ok_or_else(|| {
                InitError::Exporter(format!(
                    "the endpoint {shown:?} given to the builder is not {ENDPOINT_ACCEPTED}"
                ))
            })?;
            if has_user_information(&url) {
                return Err(InitError::Exporter(format!(
                    "the endpoint {shown:?} given to the builder holds credentials, which are not sent as written: {CREDENTIALS_IN_HEADERS}"
                )));
            }
            url
        }
        None => endpoint_from_vars(vars, signal, protocol)?,
    };
    let headers = match vars.first(&signal.headers) {
        Some(variable) => variable.secret_pairs()?,
        None => Vec::new(),
    };
    let timeout = match vars.first(&signal.timeout) {
        Some(variable) => variable.timeout_millis()?,
        None => Duration::from_secs(10),
    };
    let compression = match vars.first(&signal.compression) {
        Some(variable) => variable.choice(
            &[("gzip", Some(Compression::Gzip)), ("none", None)],
            "gzip or none",
        )?,
        None => None,
    };
    let certificate = match vars.first(&signal.certificate) {
        Some(variable) => Some(existing_file(variable, CERTIFICATE_FILE)?),
        None => None,
    };
    Ok(OtlpSettings {
        endpoint,
        protocol,
        headers,
        timeout,
        compression,
        certificate,
        client_identity: client_identity(vars, signal)?,
    })
}

/// The client's certificate and key for mutual TLS: both variables or neither.
fn client_identity(
    vars: &Vars,
    signal: &SignalVariables,
) -> Result<Option<ClientIdentity>, InitError> {
    match (
        vars.first(&signal.client_certificate),
        vars.first(&signal.client_key),
    ) {
        (None, None) => Ok(None),
        (Some(certificate), Some(key)) => Ok(Some(ClientIdentity {
            certificate: existing_file(certificate, CERTIFICATE_FILE)?,
            key: existing_file(key, "the path of a readable PEM private key file")?,
        })),
        (Some(certificate), None) => Err(certificate.invalid(
            "the path of the client's PEM certificate, set together with OTEL_EXPORTER_OTLP_[SIGNAL_]CLIENT_KEY (mutual TLS needs both)",
        )),
        (None, Some(key)) => Err(key.invalid(
            "the path of the client's PEM private key, set together with OTEL_EXPORTER_OTLP_[SIGNAL_]CLIENT_CERTIFICATE (mutual TLS needs both)",
        )),
    }
}

/// The path a variable names, which must be a file; `accepted` says what file.
/// Made absolute (symbolic links kept, for a rotation to swap): the file is read
/// again when it is replaced ([`crate::tls_files`]), perhaps after the process
/// changed its working directory.
fn existing_file(variable: Variable<'_>, accepted: &'static str) -> Result<PathBuf, InitError> {
    let path = PathBuf::from(variable.value);
    if path.is_file() {
        Ok(std::path::absolute(&path).unwrap_or(path))
    } else {
        Err(variable.invalid(accepted))
    }
}

/// The signal's own endpoint variable is used as it is; the general
/// `OTEL_EXPORTER_OTLP_ENDPOINT` gets the signal's path (`/v1/traces`,
/// `/v1/logs`) appended for HTTP, as the specification says. For gRPC an endpoint
/// may also be written `host:port`, as gRPC clients take it: `https://` unless
/// `OTEL_EXPORTER_OTLP_[SIGNAL_]INSECURE` is true.
fn endpoint_from_vars(
    vars: &Vars,
    signal: &SignalVariables,
    protocol: Protocol,
) -> Result<String, InitError> {
    let valid = |variable: Variable<'_>| {
        let (url, accepted) = match protocol {
            Protocol::Grpc if !has_scheme(variable.value) => {
                let insecure = match vars.first(&signal.insecure) {
                    Some(insecure) => insecure.boolean()?,
                    None => false,
                };
                let scheme = if insecure { "http" } else { "https" };
                (
                    format!("{scheme}://{}", variable.value),
                    GRPC_ENDPOINT_ACCEPTED,
                )
            }
            Protocol::Grpc => (variable.value.to_owned(), GRPC_ENDPOINT_ACCEPTED),
            Protocol::HttpProtobuf => (variable.value.to_owned(), ENDPOINT_ACCEPTED),
        };
        let url = endpoint_url(&url).ok_or_else(|| variable.invalid(accepted))?;
        if has_user_information(&url) {
            return Err(variable.invalid(WITHOUT_CREDENTIALS));
        }
        Ok(url)
    };
    if let Some(variable) = vars.get(signal.endpoint) {
        return valid(variable);
    }
    if let Some(variable) = vars.get(GENERAL_ENDPOINT) {
        let base = valid(variable)?;
        return Ok(match protocol {
            Protocol::Grpc => base,
            Protocol::HttpProtobuf => with_signal_path(&base, None, signal.path),
        });
    }
    Ok(match protocol {
        Protocol::Grpc => "http://localhost:4317".to_owned(),
        Protocol::HttpProtobuf => format!("http://localhost:4318{}", signal.path),
    })
}

/// Whether `url` starts with a scheme (`https://`): a `://` before any `/`, `?` or
/// `#` (one in a query, `host:4317/p?next=http://x`, is not).
fn has_scheme(url: &str) -> bool {
    url.split_once("://")
        .is_some_and(|(scheme, _)| !scheme.contains(['/', '?', '#']))
}

/// What a certificate variable names.
const CERTIFICATE_FILE: &str = "the path of a readable PEM certificate file";

/// What an endpoint is written as.
const ENDPOINT_ACCEPTED: &str = "an http:// or https:// URL";

/// Where an endpoint's credentials go: the exporters send none written in it
/// (over HTTP they are dropped, over gRPC sent as written in the request's
/// authority, which RFC 9113 forbids).
macro_rules! credentials_in_headers {
    () => {
        "put them in OTEL_EXPORTER_OTLP_[SIGNAL_]HEADERS (authorization=Basic%20..)"
    };
}
const CREDENTIALS_IN_HEADERS: &str = credentials_in_headers!();

/// What an endpoint holding credentials is refused for.
const WITHOUT_CREDENTIALS: &str = concat!(
    "a URL without user information (credentials: ",
    credentials_in_headers!(),
    ")"
);

/// Whether the URL `url` (with its scheme) names user information (`user:token@`),
/// also where the user information holds a `/` unescaped (a token pasted as it
/// is: `https://Zm9v/YmFy@collector`, which would otherwise name the host `Zm9v`):
/// an `@` in the authority or in the first segment of the path. (A tenant's `@`
/// further on, `/v1/traces/@acme`, or in the query, is none.)
fn has_user_information(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (location, _) = split_query(rest);
    location.split('/').take(2).any(|part| part.contains('@'))
}

/// What a gRPC endpoint is written as.
const GRPC_ENDPOINT_ACCEPTED: &str =
    "an http:// or https:// URL, or host:port (https unless OTEL_EXPORTER_OTLP_INSECURE=true)";

/// `url` with `path` appended to its path, after any trailing `/` and in place of
/// a `replaced` path it ends with; its query and fragment (a tenant's
/// `?key=..`) stay after the path.
fn with_signal_path(url: &str, replaced: Option<&str>, path: &str) -> String {
    let (location, query) = split_query(url);
    let mut base = location.trim_end_matches('/');
    if let Some(replaced) = replaced {
        base = base
            .strip_suffix(replaced)
            .unwrap_or(base)
            .trim_end_matches('/');
    }
    format!("{base}{path}{query}")
}

/// `url` split before its query or fragment, if it has one.
fn split_query(url: &str) -> (&str, &str) {
    url.split_at(url.find(['?', '#']).unwrap_or(url.len()))
}

/// `url` as an endpoint: an `http://` or `https://` URL naming a host, its scheme
/// in lower case (the exporter sets TLS up by it); `None` for anything else (the
/// exporter would fail every export, or take it for another host).
fn endpoint_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let web = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    // The host: before a port, a path, a query; after any user information.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let has_host = !host_port.is_empty() && !host_port.starts_with(':');
    (web && has_host).then(|| format!("{}://{rest}", scheme.to_ascii_lowercase()))
}

/// Whether other signals can go beside spans sent to `traces`: over gRPC, the
/// collector's address takes every signal; over HTTP, only an endpoint whose path
/// is the standard `/v1/traces` (theirs in its place) or none (theirs added) says
/// where the others go. A vendor's own path (`/v2/trace/otlp`) says nothing of
/// theirs: the signal's path set after it would fail every export.
pub(crate) fn has_room_beside(traces: &OtlpSettings) -> bool {
    let path = endpoint_path(&traces.endpoint);
    traces.protocol == Protocol::Grpc || path.is_empty() || path.ends_with(TRACES.path)
}

/// The path of an endpoint URL, without its query and its last `/` (empty for
/// none).
pub(crate) fn endpoint_path(endpoint: &str) -> &str {
    let (location, _) = split_query(endpoint);
    let after_scheme = location
        .split_once("://")
        .map_or(location, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .map_or("", |start| &after_scheme[start..]);
    path.trim_end_matches('/')
}

/// The endpoint of `signal` on the collector that traces were sent to by a
/// builder call or their own variable ([`has_room_beside`]): the same address,
/// with the signal's path for HTTP.
fn endpoint_beside(traces: &OtlpSettings, signal: &SignalVariables) -> String {
    match traces.protocol {
        Protocol::Grpc => traces.endpoint.clone(),
        Protocol::HttpProtobuf => {
            with_signal_path(&traces.endpoint, Some(TRACES.path), signal.path)
        }
    }
}

/// Whether `signal` goes to the general endpoint and the traces went there too
/// (theirs neither a variable of their own nor a builder's).
fn to_general_as_traces(vars: &Vars, signal: &SignalVariables, traces: &OtlpSettings) -> bool {
    signal.has_endpoint(vars)
        && !signal.has_own_endpoint(vars)
        && !TRACES.has_own_endpoint(vars)
        && endpoint_from_vars(vars, &TRACES, traces.protocol)
            .is_ok_and(|general| general == traces.endpoint)
}

/// The settings of a signal sent beside spans going over OTLP: their protocol and
/// collector, unless the signal has variables of its own. Sent to the traces'
/// collector, it also takes what that collector needs and the signal's variables
/// (nor the general ones) do not set: the traces' headers (an API key),
/// certificate, timeout and compression.
pub(crate) fn settings_beside(
    vars: &Vars,
    signal: &SignalVariables,
    traces: Option<&OtlpSettings>,
) -> Result<OtlpSettings, InitError> {
    // Beside the traces (no endpoint variable applies to the signal), their
    // protocol, a builder's too, unless the signal's own variable says another.
    // Sent to the general endpoint the traces went to as well, theirs unless a
    // protocol variable applies. Anywhere else, the signal's variables or the
    // default, as the specification says.
    let protocol = match traces {
        Some(traces) if !signal.has_endpoint(vars) && !signal.has_own_protocol(vars) => {
            traces.protocol
        }
        Some(traces)
            if vars.first(&signal.protocol).is_none()
                && to_general_as_traces(vars, signal, traces) =>
        {
            traces.protocol
        }
        _ => protocol(vars, signal)?,
    };
    let beside = traces.filter(|traces| {
        traces.protocol == protocol && !signal.has_endpoint(vars) && has_room_beside(traces)
    });
    let mut own = settings(
        vars,
        signal,
        beside.map(|traces| endpoint_beside(traces, signal)),
        protocol,
    )?;
    if let Some(traces) = beside {
        if vars.first(&signal.headers).is_none() {
            own.headers.clone_from(&traces.headers);
        }
        if vars.first(&signal.certificate).is_none() {
            own.certificate.clone_from(&traces.certificate);
        }
        if vars.first(&signal.client_certificate).is_none()
            && vars.first(&signal.client_key).is_none()
        {
            own.client_identity.clone_from(&traces.client_identity);
        }
        if vars.first(&signal.timeout).is_none() {
            own.timeout = traces.timeout;
        }
        if vars.first(&signal.compression).is_none() {
            own.compression = traces.compression;
        }
    }
    Ok(own)
}
