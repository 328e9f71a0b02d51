//! How a boundary call ended: the gRPC status or HTTP status code of its reply, as
//! attributes and span status by the conventions (semconv v1.44).
//!
//! The expansion finds the reply in what the function produced by autoref
//! specialisation (as `value.rs` does for arguments): a type implementing
//! [`HasReply`] gives one; any other type gives none, and its errors are recorded
//! as `#[traced]` records them.

use super::{Protocol, RpcMeta, Side, emits_legacy_rpc};
use crate::tally::{Failure, ReplyCode, Tally};
use opentelemetry::trace::{SpanRef, Status};
use opentelemetry::{Key, KeyValue};
use std::error::Error;

/// The gRPC status codes by number, as the conventions name them.
const GRPC_CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// `CANCELLED`: the call was given up.
const GRPC_CANCELLED: i32 = 1;

/// UNKNOWN, the code gRPC gives a status it cannot read.
pub(crate) const GRPC_UNKNOWN: i32 = 2;

/// A gRPC call whose stream was dropped before its status came ends CANCELLED, as
/// gRPC tells both sides of a stream given up (an error on the client only).
pub(crate) const STREAM_GIVEN_UP: Reply<'static> = Reply::Grpc {
    code: GRPC_CANCELLED,
    message: "the stream was dropped before its status",
};

/// A gRPC call whose future was dropped before its reply ends CANCELLED likewise.
const CALL_GIVEN_UP: Reply<'static> = Reply::Grpc {
    code: GRPC_CANCELLED,
    message: "the call was dropped before its reply",
};

/// The codes that make a gRPC *server* span an error: the server's own faults,
/// not the caller's (semconv: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED,
/// INTERNAL, UNAVAILABLE, DATA_LOSS).
const GRPC_SERVER_ERRORS: [i32; 6] = [2, 4, 12, 13, 14, 15];

/// What a reply says about the call. (More may come: a `match` needs a `_` arm.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply<'a> {
    /// A gRPC status: its code and message.
    Grpc {
        /// The status code's number (0 is OK).
        code: i32,
        /// The status message, the span status description on error.
        message: &'a str,
    },
    /// An HTTP response's status code.
    Http {
        /// The status code.
        status: u16,
    },
}

/// What a boundary's reply says: its status, and the HTTP version it came in
/// where that is known ([`HasReply::protocol_version`]).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer<'a> {
    pub reply: Reply<'a>,
    pub version: Option<&'static str>,
    /// An HTTP response's headers ([`HasReply::headers`]).
    #[cfg(feature = "http")]
    pub headers: Option<&'a http::HeaderMap>,
    /// The address the reply came from ([`HasReply::peer_address`]).
    pub peer: Option<std::net::SocketAddr>,
    /// A reply only a client receives (a `reqwest::Error` made of a status): a
    /// server's is its upstream's, not the one it sends.
    pub received: bool,
}

impl<'a> Answer<'a> {
    /// What `value` says: its reply, and the version it came in; nothing if its
    /// `HasReply` (an application's own) panics: instrumentation must not make a
    /// panic the call would not have had.
    pub fn of<T: HasReply + ?Sized>(value: &'a T) -> Option<Self> {
        crate::panic::contained(|| Answer {
            reply: value.reply(),
            version: value.protocol_version(),
            #[cfg(feature = "http")]
            headers: value.headers(),
            peer: value.peer_address(),
            received: false,
        })
    }
}

impl<'a> From<Reply<'a>> for Answer<'a> {
    fn from(reply: Reply<'a>) -> Self {
        Answer {
            reply,
            version: None,
            #[cfg(feature = "http")]
            headers: None,
            peer: None,
            received: false,
        }
    }
}

impl Reply<'_> {
    /// The reply of a successful gRPC call.
    pub const GRPC_OK: Reply<'static> = Reply::Grpc {
        code: 0,
        message: "",
    };
}

/// A value that carries the outcome of a boundary call: a gRPC status or response,
/// an HTTP response or status code. Implement it for your own reply types:
///
/// ```
/// use otel_traced::rpc::{HasReply, Reply};
///
/// /// What a client library answers with.
/// struct Fetched {
///     status: u16,
///     over_http2: bool,
/// }
///
/// impl HasReply for Fetched {
///     fn reply(&self) -> Reply<'_> {
///         Reply::Http {
///             status: self.status,
///         }
///     }
///
///     fn protocol_version(&self) -> Option<&'static str> {
///         Some(if self.over_http2 { "2" } else { "1.1" })
///     }
/// }
/// ```
pub trait HasReply {
    /// The status this value reports.
    fn reply(&self) -> Reply<'_>;

    /// The HTTP version the reply came in (`"1.1"`, `"2"`), where the value knows
    /// it: a client records it as `network.protocol.version`, the version its
    /// connection negotiated (ALPN), which its request does not say.
    fn protocol_version(&self) -> Option<&'static str> {
        None
    }

    /// The address of the peer the reply came from, where the value knows it (a
    /// reqwest response's, a hyper-util client's `http::Response`): a client records it as `network.peer.address` and
    /// `network.peer.port`, which the conventions recommend and its request
    /// does not say (a name resolves to one of several addresses).
    fn peer_address(&self) -> Option<std::net::SocketAddr> {
        None
    }

    /// The headers of the HTTP response the value is or holds: a gRPC boundary
    /// answered by one (a gRPC-web bridge's, a client's own over hyper) reads its
    /// status there as gRPC clients do: a trailers-only `grpc-status`, else the code
    /// gRPC gives an HTTP status but 200; a 200 without one has its status in the
    /// trailers, after the call, and the call records none.
    #[cfg(feature = "http")]
    fn headers(&self) -> Option<&http::HeaderMap> {
        None
    }
}

/// A reply behind a reference or a pointer is that reply (`Box<tonic::Status>`,
/// as clippy's `result_large_err` has errors boxed).
macro_rules! reply_through_pointer {
    ($($pointer:ty),*) => {$(
        impl<T: HasReply + ?Sized> HasReply for $pointer {
            fn reply(&self) -> Reply<'_> {
                (**self).reply()
            }

            fn protocol_version(&self) -> Option<&'static str> {
                (**self).protocol_version()
            }

            fn peer_address(&self) -> Option<std::net::SocketAddr> {
                (**self).peer_address()
            }

            #[cfg(feature = "http")]
            fn headers(&self) -> Option<&http::HeaderMap> {
                (**self).headers()
            }
        }
    )*};
}
reply_through_pointer!(&T, Box<T>, std::sync::Arc<T>);

#[cfg(feature = "tonic")]
impl HasReply for tonic::Status {
    fn reply(&self) -> Reply<'_> {
        Reply::Grpc {
            code: self.code() as i32,
            message: self.message(),
        }
    }
}

#[cfg(feature = "tonic")]
impl<T> HasReply for tonic::Response<T> {
    fn reply(&self) -> Reply<'_> {
        Reply::GRPC_OK
    }
}

#[cfg(feature = "http")]
impl HasReply for http::StatusCode {
    fn reply(&self) -> Reply<'_> {
        Reply::Http {
            status: self.as_u16(),
        }
    }
}

#[cfg(feature = "http")]
impl<B> HasReply for http::Response<B> {
    fn reply(&self) -> Reply<'_> {
        Reply::Http {
            status: self.status().as_u16(),
        }
    }

    fn protocol_version(&self) -> Option<&'static str> {
        crate::propagation::protocol_version(self.version())
    }

    fn peer_address(&self) -> Option<std::net::SocketAddr> {
        crate::propagation::answered_from(self.extensions())
    }

    fn headers(&self) -> Option<&http::HeaderMap> {
        Some(self.headers())
    }
}

/// A reqwest response: its status, the version its connection negotiated, and
/// the address it came from.
#[cfg(feature = "reqwest")]
impl HasReply for reqwest::Response {
    fn reply(&self) -> Reply<'_> {
        Reply::Http {
            status: self.status().as_u16(),
        }
    }

    fn protocol_version(&self) -> Option<&'static str> {
        crate::propagation::protocol_version(self.version())
    }

    fn peer_address(&self) -> Option<std::net::SocketAddr> {
        self.remote_addr()
    }

    fn headers(&self) -> Option<&http::HeaderMap> {
        Some(self.headers())
    }
}

/// The head of a response (axum's `(Parts, body)`): its status, version and headers.
#[cfg(feature = "http")]
impl HasReply for http::response::Parts {
    fn reply(&self) -> Reply<'_> {
        self.status.reply()
    }

    fn protocol_version(&self) -> Option<&'static str> {
        crate::propagation::protocol_version(self.version)
    }

    fn peer_address(&self) -> Option<std::net::SocketAddr> {
        crate::propagation::answered_from(&self.extensions)
    }

    fn headers(&self) -> Option<&http::HeaderMap> {
        Some(&self.headers)
    }
}

/// A status code or the head of a response first, then parts of the response
/// and its body, as axum handlers return them: `(StatusCode, body)`,
/// `(StatusCode, headers, body)`, `(Parts, headers, body)`, `(Response<()>, body)`..
/// The first says what the reply is.
macro_rules! reply_of_the_first {
    ($($first:ty),+) => {$(
        reply_of_the_first!(@ $first: T);
        reply_of_the_first!(@ $first: T1, T);
        reply_of_the_first!(@ $first: T1, T2, T);
        reply_of_the_first!(@ $first: T1, T2, T3, T);
    )+};
    (@ $first:ty: $($part:ident),+) => {
        #[cfg(feature = "http")]
        impl<$($part),+> HasReply for ($first, $($part),+) {
            fn reply(&self) -> Reply<'_> {
                HasReply::reply(&self.0)
            }

            fn protocol_version(&self) -> Option<&'static str> {
                HasReply::protocol_version(&self.0)
            }

            fn peer_address(&self) -> Option<std::net::SocketAddr> {
                HasReply::peer_address(&self.0)
            }

            fn headers(&self) -> Option<&http::HeaderMap> {
                HasReply::headers(&self.0)
            }
        }
    };
}
reply_of_the_first!(http::StatusCode, http::response::Parts, http::Response<()>);

/// Wraps what a boundary function produced; the expansion calls `__otel_reply` on
/// `&&&&ReplyProbe(&value)`.
#[doc(hidden)]
#[derive(Debug)]
pub struct ReplyProbe<'a, T: ?Sized>(pub &'a T);

/// Chosen when the value reports a status.
#[doc(hidden)]
pub trait ViaReply<'a> {
    fn __otel_reply(&self) -> Option<Answer<'a>>;
}

impl<'a, T: HasReply + ?Sized> ViaReply<'a> for &&&ReplyProbe<'a, T> {
    #[inline]
    fn __otel_reply(&self) -> Option<Answer<'a>> {
        Answer::of(self.0)
    }
}

/// A reqwest error made of a response's status (`error_for_status`) is that
/// reply; any other (a connection refused, a timeout) has none and is recorded as
/// `#[traced]` records errors.
#[cfg(feature = "reqwest")]
impl<'a> ViaReply<'a> for &&&ReplyProbe<'a, reqwest::Error> {
    #[inline]
    fn __otel_reply(&self) -> Option<Answer<'a>> {
        reqwest_status(self.0)
    }
}

/// The reply a reqwest error made of a response's status (`error_for_status`)
/// is, as a returned error or a streamed one; none for any other.
#[cfg(feature = "reqwest")]
pub(crate) fn reqwest_status(error: &reqwest::Error) -> Option<Answer<'static>> {
    let status = error.status()?;
    Some(Answer {
        received: true,
        ..Reply::Http {
            status: status.as_u16(),
        }
        .into()
    })
}

/// Chosen for an error holding others (`Box<dyn Error + Send + Sync>`,
/// `anyhow::Error`, both made by `?` of a `tonic::Status` or a reqwest error): the
/// reply is the first of it and its sources that is one, as `GrpcLayer` finds it.
/// (It needs the error owned: for one written with a lifetime of its own,
/// `Box<dyn Error + 'a>`, the expansion leaves these levels out, and the error is
/// recorded as any other.)
#[doc(hidden)]
pub trait ViaSharedErrorReply<'a> {
    fn __otel_reply(&self) -> Option<Answer<'a>>;
}

impl<'a, E: AsRef<dyn Error + Send + Sync + 'static> + ?Sized> ViaSharedErrorReply<'a>
    for &&ReplyProbe<'a, E>
{
    fn __otel_reply(&self) -> Option<Answer<'a>> {
        reply_among_sources(|| self.0.as_ref())
    }
}

/// Chosen for an error holding others that is not `Send` (`Box<dyn Error>`, as
/// tonic's examples return): as [`ViaSharedErrorReply`].
#[doc(hidden)]
pub trait ViaErrorReply<'a> {
    fn __otel_reply(&self) -> Option<Answer<'a>>;
}

impl<'a, E: AsRef<dyn Error + 'static> + ?Sized> ViaErrorReply<'a> for &ReplyProbe<'a, E> {
    fn __otel_reply(&self) -> Option<Answer<'a>> {
        reply_among_sources(|| self.0.as_ref())
    }
}

/// The reply the error `error` gives, or one of its sources, is: a gRPC status, a
/// reqwest error made of a response's status. None where the application's code
/// it runs (`AsRef`, `source`) panics: instrumentation must not make a panic the
/// call would not have had.
pub(crate) fn reply_among_sources<'a>(
    error: impl FnOnce() -> &'a (dyn Error + 'static),
) -> Option<Answer<'a>> {
    crate::panic::contained(|| {
        std::iter::successors(Some(error()), |&error| error.source())
            // The bound an error's recording follows a chain to: one whose
            // `source` returns itself is endless.
            .take(crate::outcome::MAX_SOURCES)
            .find_map(reply_of_error)
    })
    .flatten()
}

#[cfg_attr(
    not(any(feature = "tonic", feature = "reqwest")),
    allow(
        unused_variables,
        reason = "no error of a reply's type is known without these features"
    )
)]
fn reply_of_error<'a>(error: &'a (dyn Error + 'static)) -> Option<Answer<'a>> {
    #[cfg(feature = "tonic")]
    if let Some(status) = error.downcast_ref::<tonic::Status>() {
        return Answer::of(status);
    }
    #[cfg(feature = "reqwest")]
    if let Some(error) = error.downcast_ref::<reqwest::Error>() {
        return reqwest_status(error);
    }
    None
}

/// Chosen for any other value: no status is known from it.
#[doc(hidden)]
pub trait ViaNoReply<'a> {
    fn __otel_reply(&self) -> Option<Answer<'a>>;
}

impl<'a, T: ?Sized> ViaNoReply<'a> for ReplyProbe<'a, T> {
    #[inline]
    fn __otel_reply(&self) -> Option<Answer<'a>> {
        None
    }
}

/// Wraps what a boundary function produced; the expansion calls `__otel_streams`
/// on `&&&&StreamingProbe(&value)` before it looks for a reply: a gRPC call whose
/// messages come in a stream (a tonic response carrying one, a server-streaming
/// handler's; a client's `tonic::Streaming`, or any stream of `Result<_, Status>`
/// items) says OK only as the call starts, its status coming at the stream's end,
/// so no status is recorded from it, nor a duration (`GrpcLayer` sees the whole
/// call). Probed on the whole output too (`Result<Response<S>, Status>`): such a
/// method's failed calls are not timed either, or its series would hold the
/// failures alone.
#[doc(hidden)]
#[derive(Debug)]
pub struct StreamingProbe<'a, T: ?Sized>(pub &'a T);

/// Chosen for a tonic response carrying a stream, or a `Result` holding one.
#[doc(hidden)]
pub trait ViaStreaming {
    fn __otel_streams(&self) -> bool;
}

/// Chosen for a `Result` holding a stream of gRPC messages. (A level of its own:
/// `Result<S, E>` and `S` in one trait would overlap, as far as coherence knows.)
#[doc(hidden)]
pub trait ViaMessagesResult {
    fn __otel_streams(&self) -> bool;
}

/// Chosen for a stream of gRPC messages.
#[doc(hidden)]
pub trait ViaMessages {
    fn __otel_streams(&self) -> bool;
}

/// Chosen for any other value.
#[doc(hidden)]
pub trait ViaWhole {
    fn __otel_streams(&self) -> bool;
}

#[cfg(feature = "tonic")]
impl<S: futures_core::Stream> ViaStreaming for &&&StreamingProbe<'_, tonic::Response<S>> {
    #[inline]
    fn __otel_streams(&self) -> bool {
        true
    }
}

#[cfg(feature = "tonic")]
impl<S: futures_core::Stream, E> ViaStreaming
    for &&&StreamingProbe<'_, Result<tonic::Response<S>, E>>
{
    #[inline]
    fn __otel_streams(&self) -> bool {
        true
    }
}

#[cfg(feature = "tonic")]
impl<S, T, E> ViaMessagesResult for &&StreamingProbe<'_, Result<S, E>>
where
    S: futures_core::Stream<Item = Result<T, tonic::Status>>,
{
    #[inline]
    fn __otel_streams(&self) -> bool {
        true
    }
}

#[cfg(feature = "tonic")]
impl<S, T> ViaMessages for &StreamingProbe<'_, S>
where
    S: futures_core::Stream<Item = Result<T, tonic::Status>> + ?Sized,
{
    #[inline]
    fn __otel_streams(&self) -> bool {
        true
    }
}

impl<T: ?Sized> ViaWhole for StreamingProbe<'_, T> {
    #[inline]
    fn __otel_streams(&self) -> bool {
        false
    }
}

/// Records the reply of a boundary call on its span. `failed` says the function
/// returned an `Err`: without a reply in it, the error was recorded as
/// `#[traced]` records errors and no status code is made up; a gRPC call that
/// returned `Ok` without a status is `OK`.
pub(crate) fn record_reply(
    span: &SpanRef<'_>,
    rpc: &RpcMeta,
    reply: Option<Reply<'_>>,
    failed: bool,
) {
    match (&rpc.protocol, reply) {
        (Protocol::Grpc { .. }, Some(Reply::Grpc { code, message })) => {
            record_grpc(span, rpc.side, code, message);
        }
        (Protocol::Grpc { .. }, None) if !failed => record_grpc(span, rpc.side, 0, ""),
        (Protocol::Http { .. }, Some(Reply::Http { status })) => {
            record_http(span, rpc.side, status);
        }
        _ => {}
    }
}

/// Notes how a boundary call ended in its tally, by the same rules as
/// [`record_reply`]: the status its duration histogram carries, and whether the
/// call failed.
pub(crate) fn tally_reply(
    tally: &mut Tally,
    rpc: &RpcMeta,
    reply: Option<&Reply<'_>>,
    failed: bool,
) {
    match (&rpc.protocol, reply) {
        (Protocol::Grpc { .. }, Some(Reply::Grpc { code, .. })) => {
            tally_grpc(tally, rpc.side, *code)
        }
        (Protocol::Grpc { .. }, None) if !failed => tally_grpc(tally, rpc.side, 0),
        (Protocol::Http { .. }, Some(Reply::Http { status })) => {
            tally.reply(ReplyCode::Http(*status));
            if http_failed(rpc.side, *status) {
                tally.fail(Failure::HttpStatus(*status));
            }
        }
        _ => {}
    }
}

/// A gRPC call dropped before its reply, unless it failed already (its poll
/// panicked): CANCELLED, in its span and its tally.
pub(crate) fn record_given_up(handle: &mut crate::span::SpanHandle, side: Side) {
    if handle.tally_failed() {
        return;
    }
    let Reply::Grpc { code, message } = CALL_GIVEN_UP else {
        unreachable!("a gRPC reply")
    };
    if let Some(tally) = handle.tally_mut() {
        tally_grpc(tally, side, code);
    }
    handle.if_recording(|span| record_grpc(&span, side, code, message));
}

pub(crate) const HTTP_STATUS_CODE: Key = Key::from_static_str("http.response.status_code");
pub(crate) const RPC_STATUS_CODE: Key = Key::from_static_str("rpc.response.status_code");

fn tally_grpc(tally: &mut Tally, side: Side, code: i32) {
    let code = known_grpc_code(code);
    tally.reply(ReplyCode::Grpc(code));
    if grpc_failed(side, code) {
        tally.fail(Failure::Named(grpc_code_name(code)));
    }
}

/// A gRPC status code as gRPC reads it: one outside the protocol's (0 to 16) is
/// UNKNOWN, also for whether it failed and for the numeric legacy attribute.
fn known_grpc_code(code: i32) -> i32 {
    if usize::try_from(code).is_ok_and(|index| index < GRPC_CODES.len()) {
        code
    } else {
        GRPC_UNKNOWN
    }
}

/// The name of a gRPC status code; codes outside the protocol's are `UNKNOWN`, as
/// gRPC itself treats them.
pub(crate) fn grpc_code_name(code: i32) -> &'static str {
    usize::try_from(code)
        .ok()
        .and_then(|index| GRPC_CODES.get(index))
        .copied()
        .unwrap_or("UNKNOWN")
}

/// Whether a gRPC status is an error on this side: any but OK for a client, only
/// those that are the server's fault for a server (the gRPC conventions).
fn grpc_failed(side: Side, code: i32) -> bool {
    match side {
        Side::Client => code != 0,
        Side::Server => GRPC_SERVER_ERRORS.contains(&code),
    }
}

/// Whether an HTTP status code is an error on this side: 5xx for a server, 4xx
/// and 5xx for a client; a code outside 100..=599 is not HTTP, an error on both.
fn http_failed(side: Side, status: u16) -> bool {
    !(100..=599).contains(&status)
        || match side {
            Side::Server => status >= 500,
            Side::Client => status >= 400,
        }
}

fn record_grpc(span: &SpanRef<'_>, side: Side, code: i32, message: &str) {
    let code = known_grpc_code(code);
    let name = grpc_code_name(code);
    span.set_attribute(KeyValue::new(RPC_STATUS_CODE, name));
    if emits_legacy_rpc() {
        span.set_attribute(KeyValue::new("rpc.grpc.status_code", i64::from(code)));
    }
    if grpc_failed(side, code) {
        crate::kept::set_automatic_error_type(span, name.into());
        crate::kept::set_automatic(span, Status::error(crate::redact::described_text(message)));
    }
}

fn record_http(span: &SpanRef<'_>, side: Side, status: u16) {
    span.set_attribute(KeyValue::new(HTTP_STATUS_CODE, i64::from(status)));
    if http_failed(side, status) {
        crate::kept::set_automatic_error_type(span, status.to_string().into());
        crate::kept::set_automatic(span, Status::error(""));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_codes_are_named_and_unknown_numbers_are_unknown() {
        assert_eq!(grpc_code_name(0), "OK");
        assert_eq!(grpc_code_name(4), "DEADLINE_EXCEEDED");
        assert_eq!(grpc_code_name(16), "UNAUTHENTICATED");
        assert_eq!(grpc_code_name(17), "UNKNOWN");
        assert_eq!(grpc_code_name(-1), "UNKNOWN");
    }

    #[test]
    fn a_code_outside_the_protocol_is_unknown_and_a_server_fault() {
        assert_eq!(known_grpc_code(17), GRPC_UNKNOWN);
        assert_eq!(known_grpc_code(-1), GRPC_UNKNOWN);
        assert_eq!(known_grpc_code(16), 16);
        assert!(grpc_failed(Side::Server, known_grpc_code(17)));
        assert!(!grpc_failed(Side::Server, known_grpc_code(5)));
    }

    #[cfg(all(feature = "tonic", feature = "http"))]
    #[test]
    #[allow(
        clippy::needless_borrow,
        reason = "the expansion's autoref probe, as written"
    )]
    fn replies_are_found_by_type_and_other_values_have_none() {
        let status = tonic::Status::not_found("no such sku");
        assert_eq!(
            (&&&&ReplyProbe(&status)).__otel_reply(),
            Some(
                Reply::Grpc {
                    code: 5,
                    message: "no such sku"
                }
                .into()
            )
        );
        let response = http::Response::builder()
            .status(503)
            .version(http::Version::HTTP_2)
            .body(())
            .unwrap();
        assert_eq!(
            (&&&&ReplyProbe(&response)).__otel_reply(),
            Some(Answer {
                reply: Reply::Http { status: 503 },
                version: Some("2"),
                headers: Some(response.headers()),
                peer: None,
                received: false,
            })
        );
        let text = String::from("not a reply");
        assert_eq!((&&&&ReplyProbe(&text)).__otel_reply(), None);
        // Boxed by `?`, as a client returning `Box<dyn Error>` has it, also under
        // another error.
        #[derive(Debug)]
        struct Wrapping(tonic::Status);
        impl std::fmt::Display for Wrapping {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the order failed")
            }
        }
        impl Error for Wrapping {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let not_found = Some(
            Reply::Grpc {
                code: 5,
                message: "no such sku",
            }
            .into(),
        );
        let shared: Box<dyn Error + Send + Sync> = Box::new(Wrapping(status.clone()));
        assert_eq!((&&&&ReplyProbe(&shared)).__otel_reply(), not_found);
        let unsent: Box<dyn Error> = Box::new(status);
        assert_eq!((&&&&ReplyProbe(&unsent)).__otel_reply(), not_found);
        let other: Box<dyn Error> = Box::new(Wrapping(tonic::Status::ok("")));
        assert_eq!(
            (&&&&ReplyProbe(&other)).__otel_reply(),
            Some(
                Reply::Grpc {
                    code: 0,
                    message: ""
                }
                .into()
            ),
            "the first reply found"
        );
        let no_reply: Box<dyn Error + Send + Sync> = "refused".into();
        assert_eq!((&&&&ReplyProbe(&no_reply)).__otel_reply(), None);
        // An error whose `source` panics gives none, and the call goes on.
        #[derive(Debug)]
        struct Broken;
        impl std::fmt::Display for Broken {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("broken")
            }
        }
        impl Error for Broken {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                panic!("a source that panics")
            }
        }
        let broken: Box<dyn Error + Send + Sync> = Box::new(Broken);
        assert_eq!((&&&&ReplyProbe(&broken)).__otel_reply(), None);
    }
}
