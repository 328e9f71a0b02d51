//! Carriers: where propagated context is read from and written to.
//!
//! [`Extract`] and [`Inject`] are what `#[traced_rpc]` asks of a carrier; any type
//! can implement them (a message queue's header map, say). They are bridged to
//! OpenTelemetry's `Extractor`/`Injector` both ways, so propagators work on our
//! carriers and our code on theirs. `get_all` is implemented here for every carrier
//! rather than through the upstream `HeaderExtractor`, whose `get_all` drops values
//! that are not visible ASCII: a header value that is valid UTF-8 is kept, and one
//! that is not reads as [`NOT_UTF8`] (a `baggage` value member by member).

use opentelemetry::propagation::{Extractor, Injector};
use std::collections::HashMap;

/// A carrier context is extracted from (the server side of a boundary).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a carrier to read a context from",
    label = "not a carrier: it does not implement `Extract`",
    note = "a server reads the caller's context from an `http::Request` (or its `http::request::Parts`), `http::HeaderMap` (of `http` 1), `tonic::Request` or `tonic::metadata::MetadataMap` (features `http`, `tonic`), a consumer from message headers (`HashMap<String, String>`, `Vec<(String, Vec<u8>)>` or a slice of it), and a producer's `send` or `create` from the message it writes into (the creation context it may carry already), or any type implementing `otel_traced::propagation::Extract` (another crate's request through a wrapper type of yours; behind `&`, `Box`, `Arc` or `Rc` too); name the parameter that holds the headers with `carrier = ..`"
)]
///
/// Another framework's request (actix-web's `HttpRequest`, say) is a carrier
/// through a type of yours wrapping it (the trait is not yours to implement for
/// a type that is not yours either), which tells its method and path too, and
/// what else of the request it knows (its query, host, user agent, a proxy's
/// forwarded client: what `target()` leaves out is not recorded). Here
/// `framework::Request` stands for it; its accessors are the framework's own
/// (actix-web's `method()` is a `Method`, read with `as_str()`; its headers' values
/// are bytes, read with [`header_texts`](crate::propagation::header_texts) as
/// this crate's carriers read theirs, so that an invalid one is seen, not left
/// out):
///
/// ```
/// use otel_traced::propagation::{Extract, RequestTarget, header_texts};
/// # mod framework {
/// #     pub struct Request;
/// #     impl Request {
/// #         pub fn method(&self) -> &str { "GET" }
/// #         pub fn path(&self) -> &str { "/orders/7" }
/// #         pub fn query_string(&self) -> &str { "" }
/// #         pub fn headers(&self) -> Vec<(&str, &[u8])> { Vec::new() }
/// #     }
/// # }
///
/// /// Another framework's request as a carrier.
/// struct Head<'a>(&'a framework::Request);
///
/// impl Extract for Head<'_> {
///     fn get_all(&self, key: &str) -> Vec<&str> {
///         let headers = self.0.headers().into_iter();
///         let values = headers
///             .filter(|(name, _)| name.eq_ignore_ascii_case(key))
///             .map(|(_, value)| value);
///         header_texts(key, values)
///     }
///
///     fn keys(&self) -> Vec<&str> {
///         self.0.headers().into_iter().map(|(name, _)| name).collect()
///     }
///
///     fn target(&self) -> RequestTarget<'_> {
///         let mut target = RequestTarget::default();
///         target.method = Some(self.0.method());
///         target.path = Some(self.0.path());
///         target.query = Some(self.0.query_string()).filter(|query| !query.is_empty());
///         target.authority = self.get_all("host").first().copied();
///         target.user_agent = self.get_all("user-agent").first().copied();
///         target
///     }
/// }
///
/// // Called by the framework's handler, which turns its status into a response.
/// #[otel_traced::traced_rpc(http, route = "/orders/{id}", carrier = head)]
/// fn get_order(head: Head<'_>, id: u64) -> http::StatusCode {
///     http::StatusCode::OK
/// }
///
/// assert_eq!(get_order(Head(&framework::Request), 7), http::StatusCode::OK);
/// ```
pub trait Extract {
    /// Every value of `key` (a header may repeat), in order; empty when absent.
    /// Keys are compared case-insensitively where the carrier's protocol says so.
    /// A value that is not text is still a value: the carriers here give
    /// [`NOT_UTF8`] for it (for each member of a `baggage` value that is not).
    fn get_all(&self, key: &str) -> Vec<&str>;

    /// Every key present.
    fn keys(&self) -> Vec<&str>;

    /// What the carrier knows of its request (an `http::Request` its method and
    /// URI), for the HTTP conventions; nothing by default.
    fn target(&self) -> RequestTarget<'_> {
        RequestTarget::default()
    }

    /// The span of the server layer that served this request and the span context
    /// the layer read from it ([`ServedUnder`]), when the carrier is the request;
    /// none by default.
    #[doc(hidden)]
    fn served_under(&self) -> Option<LayerSpans<'_>> {
        None
    }
}

/// The span of a server layer (`HttpLayer`, `GrpcLayer`), in the extensions of the
/// request it serves, with the span context it read from the request's headers:
/// a `#[traced_rpc]` server handling that request (through middleware, as its
/// `Parts`, or as a `tonic::Request`) and reading the same continues the layer's trace rather than
/// the headers the layer read already. A request passed on, its headers rewritten
/// by the client span that sends it, reads otherwise (with a propagator that
/// carries a span context; one that carries only baggage reads alike both times).
#[cfg(feature = "http")]
#[derive(Clone, Debug)]
pub(crate) struct ServedUnder {
    pub(crate) layer: opentelemetry::trace::SpanContext,
    pub(crate) read: opentelemetry::trace::SpanContext,
    pub(crate) measured: LayerMeasured,
    /// The request's URI authority (HTTP/2's `:authority`), which tonic leaves
    /// out of the `tonic::Request` it gives a handler.
    #[cfg(feature = "tonic")]
    pub(crate) authority: Option<http::uri::Authority>,
}

#[cfg(feature = "http")]
impl ServedUnder {
    /// The layer's span context, the one it read and what it measures, as
    /// `Extract::served_under` gives them.
    fn spans(&self) -> LayerSpans<'_> {
        (&self.layer, &self.read, self.measured)
    }
}

/// What [`Extract::served_under`] gives: the span context of the server layer
/// that served the request, the one the layer read from its headers, and what the
/// layer's duration of the request measures.
#[doc(hidden)]
pub type LayerSpans<'a> = (
    &'a opentelemetry::trace::SpanContext,
    &'a opentelemetry::trace::SpanContext,
    LayerMeasured,
);

/// What a server layer's duration of a request names: a handler it served
/// leaves the request's duration to the layer where the layer's names what the
/// handler's would (its route or method), and measures it too where not (a layer
/// without a route; an HTTP layer in front of a gRPC service, whose histogram is
/// another).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerMeasured {
    /// An HTTP server's request, by its route.
    RoutedHttp,
    /// A gRPC server's call, by its method.
    NamedGrpc,
    /// A request whose route or method the layer does not know.
    Unnamed,
}

impl LayerMeasured {
    /// What a layer serving a call of `protocol` measures.
    #[cfg(feature = "http")]
    pub(crate) fn of(protocol: &crate::rpc::Protocol) -> Self {
        match protocol {
            crate::rpc::Protocol::Http { route: Some(_), .. } => LayerMeasured::RoutedHttp,
            crate::rpc::Protocol::Grpc { method } if method != "_OTHER" => LayerMeasured::NamedGrpc,
            _ => LayerMeasured::Unnamed,
        }
    }

    /// Whether the layer's duration stands for a handler's of `protocol`.
    pub(crate) fn covers(self, protocol: &crate::rpc::Protocol) -> bool {
        matches!(
            (self, protocol),
            (LayerMeasured::RoutedHttp, crate::rpc::Protocol::Http { .. })
                | (LayerMeasured::NamedGrpc, crate::rpc::Protocol::Grpc { .. })
        )
    }
}

/// A carrier context is injected into (the client side of a boundary).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a carrier to inject the call's context into",
    label = "not a carrier: it does not implement `Inject`",
    note = "a client writes its context into an `http::Request`, `http::HeaderMap` (of `http` 1), `tonic::Request`, `tonic::metadata::MetadataMap` or `reqwest::Request` (features `http`, `tonic`, `reqwest`), a producer into message headers (`HashMap<String, String>`, `Vec<(String, Vec<u8>)>`), or any type implementing `otel_traced::propagation::Inject` (another crate's request through a wrapper type of yours; behind `&mut` or `Box` too); name the parameter that holds the headers with `carrier = ..`"
)]
pub trait Inject {
    /// Sets `key` to `value`, replacing what it held.
    fn set(&mut self, key: &str, value: String);

    /// Removes every value of `key`. Before a span's context is written, the
    /// fields that describe a span are removed, so that a `tracestate` copied from
    /// an incoming request (a gateway forwarding headers) does not travel beside a
    /// new `traceparent`. A carrier that cannot remove leaves them (the default);
    /// one wrapping a carrier that can (a message holding its headers) should
    /// forward it.
    fn remove(&mut self, key: &str) {
        let _ = key;
    }

    /// What the carrier knows of its request (an `http::Request` its method and
    /// URI), for the HTTP conventions; nothing by default.
    fn target(&self) -> RequestTarget<'_> {
        RequestTarget::default()
    }
}

/// The parts of a request the HTTP conventions record, as far as a carrier knows
/// them; a header map alone knows those its headers tell (its host, user agent,
/// what a proxy forwarded), not its method or path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestTarget<'a> {
    /// The request method as sent (`GET`, `POST`, ...).
    pub method: Option<&'a str>,
    /// `http` or `https`, when the URI is absolute.
    pub scheme: Option<&'a str>,
    /// `host` or `host:port`: the URI's authority, or the `Host` header.
    pub authority: Option<&'a str>,
    /// The URI path.
    pub path: Option<&'a str>,
    /// The URI query, without `?`.
    pub query: Option<&'a str>,
    /// The HTTP version the request was made with (`1.1`, `2`):
    /// `network.protocol.version`.
    pub protocol_version: Option<&'a str>,
    /// The `User-Agent` header: `user_agent.original`.
    pub user_agent: Option<&'a str>,
    /// The original client as a proxy tells it (`Forwarded: for=`, else the first
    /// `X-Forwarded-For`): `client.address` on a server.
    pub forwarded_for: Option<&'a str>,
    /// The original host as a proxy tells it (`Forwarded: host=`, else
    /// `X-Forwarded-Host`): a server's `server.address` before its own `Host`.
    pub forwarded_host: Option<&'a str>,
    /// The other end of the connection the request came on ([`PeerAddress`]):
    /// a server's `network.peer.address` and `network.peer.port`, and its
    /// `client.address` (a gRPC server's `client.port` too) where no proxy
    /// forwarded the request.
    pub peer: Option<std::net::SocketAddr>,
    /// A proxy forwarded the request (it has a `Forwarded` or `X-Forwarded-For`
    /// header): the peer is the proxy, not the client, whatever the header names.
    pub forwarded: bool,
    /// How many times a client sent the request before ([`ResendCount`]):
    /// `http.request.resend_count`.
    pub resend_count: Option<u32>,
}

/// How many times a request was sent before this copy of it, in its extensions
/// (`http::Request`): a retry or redirect policy sets it on each copy it sends
/// again (a `tower::retry::Policy`'s `clone_request`, placed outside
/// `HttpLayer::client()`, so that each attempt is a span of its own), and the
/// client's span records it as `http.request.resend_count`, as the HTTP
/// conventions ask of a request resent. The client does not know it otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResendCount(pub u32);

/// The other end of the connection a request came on, in the request's
/// extensions (`http::Request`, `tonic::Request`): a server records it as
/// `network.peer.address` and `network.peer.port`, and as `client.address` (a
/// gRPC server as `client.port` too) where no proxy forwarded the request. A
/// server does not know it from the request alone: the layers' `peer(..)`
/// (`HttpLayer::peer`, `GrpcLayer::peer`, feature `http`) put it there from the
/// server's connection info, or the application's own middleware (a tonic
/// interceptor, from `Request::remote_addr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddress(pub std::net::SocketAddr);

/// A carrier behind a reference or a pointer is one: a message shared as
/// `Arc<Message>`, a batch of them, a boxed request.
macro_rules! extract_through {
    ($($pointer:ty),*) => {$(
        impl<T: Extract + ?Sized> Extract for $pointer {
            fn get_all(&self, key: &str) -> Vec<&str> {
                (**self).get_all(key)
            }

            fn keys(&self) -> Vec<&str> {
                (**self).keys()
            }

            fn target(&self) -> RequestTarget<'_> {
                (**self).target()
            }

            fn served_under(&self) -> Option<LayerSpans<'_>> {
                (**self).served_under()
            }
        }
    )*};
}

extract_through!(&T, &mut T, Box<T>, std::sync::Arc<T>, std::rc::Rc<T>);

/// A carrier written through a reference or a box.
macro_rules! inject_through {
    ($($pointer:ty),*) => {$(
        impl<T: Inject + ?Sized> Inject for $pointer {
            fn set(&mut self, key: &str, value: String) {
                (**self).set(key, value);
            }

            fn remove(&mut self, key: &str) {
                (**self).remove(key);
            }

            fn target(&self) -> RequestTarget<'_> {
                (**self).target()
            }
        }
    )*};
}

inject_through!(&mut T, Box<T>);

/// What a carrier's `get_all` gives for a value that is not UTF-8: U+FFFD, the
/// replacement character, valid in no propagation header. Skipping the value
/// instead would hide it: a valid `traceparent` beside one that is not UTF-8 would
/// look like the only one and be continued, where two make both invalid; a
/// `tracestate` would lose a header and pass as valid. A `baggage` value is given
/// member by member (at its commas) when it is not UTF-8: a member that is not is
/// one invalid member, dropped alone, its header's valid members kept. Any other
/// value is given whole: a part of a `traceparent` must not pass for the header
/// (propagators reading one value take the first).
pub const NOT_UTF8: &str = "\u{FFFD}";

/// A carrier's values of `key` as text, for [`Extract::get_all`] of headers
/// holding bytes (a message client's: rdkafka's, rskafka's, lapin's): each whole
/// where it is UTF-8, else [`NOT_UTF8`], or, for `baggage`, each of its members,
/// [`NOT_UTF8`] for one that is not, as the carriers here read theirs.
///
/// ```
/// use otel_traced::propagation::{Extract, header_texts};
///
/// /// A message client's headers: names with optional byte values.
/// struct Headers(Vec<(String, Option<Vec<u8>>)>);
///
/// impl Extract for Headers {
///     fn get_all(&self, key: &str) -> Vec<&str> {
///         let values = (self.0.iter())
///             .filter(|(name, _)| name.eq_ignore_ascii_case(key))
///             .map(|(_, value)| value.as_deref().unwrap_or_default());
///         header_texts(key, values)
///     }
///
///     fn keys(&self) -> Vec<&str> {
///         self.0.iter().map(|(name, _)| name.as_str()).collect()
///     }
/// }
///
/// let headers = Headers(vec![
///     ("baggage".to_owned(), Some(b"tenant=ada,\xff=1".to_vec())),
///     ("traceparent".to_owned(), Some(b"\xff".to_vec())),
/// ]);
/// assert_eq!(headers.get_all("baggage"), ["tenant=ada", "\u{FFFD}"]);
/// assert_eq!(headers.get_all("traceparent"), ["\u{FFFD}"]);
/// ```
pub fn header_texts<'a>(key: &str, values: impl IntoIterator<Item = &'a [u8]>) -> Vec<&'a str> {
    let members = key.eq_ignore_ascii_case("baggage");
    // Members given of values that are not UTF-8, all of them together: as many as
    // a header of the W3C limit's 8192 bytes holds (empty members and their
    // commas), so that a megabyte of commas, in one value or in a hundred, does
    // not become a million of them. Baggage past that is past the limit, whose
    // members beyond it a system may drop.
    let mut room = crate::propagation::MAX_BAGGAGE_BYTES + 1;
    let mut texts = Vec::new();
    for value in values {
        match std::str::from_utf8(value) {
            Ok(text) => texts.push(text),
            Err(_) if members => {
                let before = texts.len();
                texts.extend(
                    value
                        .split(|&byte| byte == b',')
                        .take(room)
                        .map(|member| std::str::from_utf8(member).unwrap_or(NOT_UTF8)),
                );
                room -= texts.len() - before;
            }
            Err(_) => texts.push(NOT_UTF8),
        }
    }
    texts
}

/// Our carrier as an OpenTelemetry `Extractor`, for propagators.
#[derive(Debug)]
pub struct AsExtractor<'a, E: ?Sized>(pub &'a E);

impl<E: Extract + ?Sized> Extractor for AsExtractor<'_, E> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get_all(key).into_iter().next()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys()
    }

    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        let values = self.0.get_all(key);
        (!values.is_empty()).then_some(values)
    }
}

/// Our carrier as an OpenTelemetry `Injector`, for propagators. An empty
/// `tracestate` or `baggage` (what our propagators set to replace the one a
/// carrier may hold: for a span with no trace state, for baggage `set_baggage`
/// left a key out of) removes the header instead of sending it empty.
#[derive(Debug)]
pub struct AsInjector<'a, I: ?Sized>(pub &'a mut I);

impl<I: Inject + ?Sized> Injector for AsInjector<'_, I> {
    fn set(&mut self, key: &str, value: String) {
        let replaced = [super::trace_context::TRACESTATE, super::baggage::BAGGAGE]
            .iter()
            .any(|field| key.eq_ignore_ascii_case(field));
        if value.is_empty() && replaced {
            self.0.remove(key);
        } else {
            self.0.set(key, value);
        }
    }
}

/// An OpenTelemetry `Extractor` as our carrier.
#[derive(Debug)]
pub struct FromExtractor<'a, E: ?Sized>(pub &'a E);

impl<E: Extractor + ?Sized> Extract for FromExtractor<'_, E> {
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.0.get_all(key).unwrap_or_default()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys()
    }
}

/// An OpenTelemetry `Injector` as our carrier. It can only set, so it removes
/// nothing but `baggage`, which it sets empty (an entry `set_baggage` left out
/// must not travel on in a copy of the incoming headers; an empty or second
/// `baggage` header is read as nothing more: on an injector that appends, the
/// copy's value stays beside it, read with it). Any other field set empty in its
/// place would go out empty (every field of a propagator a client replaces:
/// `tracestate`, B3's five), and on an injector that appends (a Kafka message's
/// headers) beside the value set next, a second `traceparent` that makes the
/// receiver drop both. A carrier reused from another request keeps what the new
/// context does not write: give it a fresh one, or implement [`Inject`] for the
/// type.
#[derive(Debug)]
pub struct FromInjector<'a, I: ?Sized>(pub &'a mut I);

impl<I: Injector + ?Sized> Inject for FromInjector<'_, I> {
    fn set(&mut self, key: &str, value: String) {
        self.0.set(key, value);
    }

    fn remove(&mut self, key: &str) {
        if key.eq_ignore_ascii_case(super::baggage::BAGGAGE) {
            self.0.set(key, String::new());
        }
    }
}

/// A map of headers, keys compared case-insensitively (HTTP's rule, and what
/// message systems that copy HTTP headers expect).
impl<S: std::hash::BuildHasher> Extract for HashMap<String, String, S> {
    fn get_all(&self, key: &str) -> Vec<&str> {
        let mut found: Vec<(&str, &str)> = self
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        // A map has no order: names differing only in case are taken in byte
        // order, so that one map always gives one result (combined `tracestate`
        // members, which of two baggage values wins).
        found.sort_unstable_by_key(|(name, _)| *name);
        found.into_iter().map(|(_, value)| value).collect()
    }

    /// Names differing only in case once, as `get_all` reads them as one, the
    /// most lowercase spelling (a propagator walking the keys matches `uberctx-*`
    /// as written): it would otherwise read a value twice.
    fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.keys().map(String::as_str).collect();
        fn folded(name: &str) -> impl Iterator<Item = u8> + '_ {
            name.bytes().map(|byte| byte.to_ascii_lowercase())
        }
        keys.sort_unstable_by(|one, other| {
            folded(one).cmp(folded(other)).then_with(|| other.cmp(one))
        });
        keys.dedup_by(|name, kept| name.eq_ignore_ascii_case(kept));
        keys
    }
}

impl<S: std::hash::BuildHasher> Inject for HashMap<String, String, S> {
    fn set(&mut self, key: &str, value: String) {
        Inject::remove(self, key);
        self.insert(key.to_owned(), value);
    }

    fn remove(&mut self, key: &str) {
        self.retain(|name, _| !name.eq_ignore_ascii_case(key));
    }
}

/// Message headers as Kafka-style clients hold them: names with byte values. A
/// value that is not UTF-8 reads as [`NOT_UTF8`] (a `baggage` value member by
/// member).
impl Extract for [(String, Vec<u8>)] {
    fn get_all(&self, key: &str) -> Vec<&str> {
        header_texts(
            key,
            self.iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case(key))
                .map(|(_, value)| value.as_slice()),
        )
    }

    /// Each name once, whatever its case, in the order first seen (a repeated
    /// header is one key to the other carriers too, and `get_all` reads names
    /// differing in case as one).
    fn keys(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::with_capacity(self.len());
        self.iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| seen.insert(name.to_ascii_lowercase()))
            .collect()
    }
}

impl Extract for Vec<(String, Vec<u8>)> {
    fn get_all(&self, key: &str) -> Vec<&str> {
        self.as_slice().get_all(key)
    }

    fn keys(&self) -> Vec<&str> {
        self.as_slice().keys()
    }
}

impl Inject for Vec<(String, Vec<u8>)> {
    fn set(&mut self, key: &str, value: String) {
        Inject::remove(self, key);
        self.push((key.to_owned(), value.into_bytes()));
    }

    fn remove(&mut self, key: &str) {
        self.retain(|(name, _)| !name.eq_ignore_ascii_case(key));
    }
}

#[cfg(feature = "http")]
pub(crate) use http_carriers::{answered_from, protocol_version};

/// Marks a request its server received over TLS it terminates itself (axum-server
/// or hyper with rustls), in the request's extensions: `url.scheme` is then
/// `https`, which an HTTP/1.1 request does not say (`http` is recorded when
/// nothing says). A proxy's `Forwarded: proto=` or `X-Forwarded-Proto` still
/// wins: the conventions ask for the original client's scheme.
/// [`HttpLayer::over_tls`](crate::tower::HttpLayer::over_tls) adds it to every
/// request; a `#[traced_rpc]` server reads it from its `http::Request` carrier.
#[cfg(feature = "http")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceivedOverTls;

#[cfg(feature = "http")]
mod http_carriers {
    use super::{Extract, Inject, RequestTarget, header_texts};
    use crate::propagation::forwarded;

    /// HTTP headers; a value that is not UTF-8 reads as [`NOT_UTF8`](super::NOT_UTF8)
    /// (a `baggage` value member by member), one that is but holds non-ASCII
    /// characters is kept.
    impl Extract for http::HeaderMap {
        fn get_all(&self, key: &str) -> Vec<&str> {
            header_texts(
                key,
                http::HeaderMap::get_all(self, key)
                    .iter()
                    .map(http::HeaderValue::as_bytes),
            )
        }

        fn keys(&self) -> Vec<&str> {
            http::HeaderMap::keys(self)
                .map(http::HeaderName::as_str)
                .collect()
        }

        /// What the headers of a request received tell: its host, user agent,
        /// and what a proxy forwarded (the method and path are not in them).
        fn target(&self) -> RequestTarget<'_> {
            header_target(self, true)
        }
    }

    /// A header the `http` crate cannot hold (an invalid name or value) is not
    /// set, and what the key held is removed all the same (a value left would be
    /// stale): propagation headers we write are always valid.
    impl Inject for http::HeaderMap {
        fn set(&mut self, key: &str, value: String) {
            let Ok(name) = http::HeaderName::from_bytes(key.as_bytes()) else {
                return;
            };
            match http::HeaderValue::from_str(&value) {
                Ok(value) => {
                    self.insert(name, value);
                }
                Err(_) => {
                    http::HeaderMap::remove(self, name);
                }
            }
        }

        fn remove(&mut self, key: &str) {
            if let Ok(name) = http::HeaderName::from_bytes(key.as_bytes()) {
                http::HeaderMap::remove(self, name);
            }
        }
    }

    impl<B> Extract for http::Request<B> {
        fn get_all(&self, key: &str) -> Vec<&str> {
            Extract::get_all(self.headers(), key)
        }

        fn keys(&self) -> Vec<&str> {
            Extract::keys(self.headers())
        }

        fn target(&self) -> RequestTarget<'_> {
            request_target(Head::of(self), true)
        }

        fn served_under(&self) -> Option<super::LayerSpans<'_>> {
            served_under(self.extensions())
        }
    }

    /// A request's head, without its body: what an axum handler that also takes
    /// the body (`Json<T>`, which must come last) can have of the request beside
    /// it, with axum's `Parts` extractor. It tells what the request tells.
    impl Extract for http::request::Parts {
        fn get_all(&self, key: &str) -> Vec<&str> {
            Extract::get_all(&self.headers, key)
        }

        fn keys(&self) -> Vec<&str> {
            Extract::keys(&self.headers)
        }

        fn target(&self) -> RequestTarget<'_> {
            request_target(Head::of_parts(self), true)
        }

        fn served_under(&self) -> Option<super::LayerSpans<'_>> {
            served_under(&self.extensions)
        }
    }

    /// Where a tower layer marked a request it served (its spans).
    fn served_under(extensions: &http::Extensions) -> Option<super::LayerSpans<'_>> {
        extensions
            .get::<super::ServedUnder>()
            .map(super::ServedUnder::spans)
    }

    impl<B> Inject for http::Request<B> {
        fn set(&mut self, key: &str, value: String) {
            Inject::set(self.headers_mut(), key, value);
        }

        fn remove(&mut self, key: &str) {
            Inject::remove(self.headers_mut(), key);
        }

        fn target(&self) -> RequestTarget<'_> {
            request_target(Head::of(self), false)
        }
    }

    /// What a request's head holds, borrowed from an `http::Request` or its
    /// `Parts`.
    struct Head<'r> {
        method: &'r http::Method,
        uri: &'r http::Uri,
        version: http::Version,
        headers: &'r http::HeaderMap,
        extensions: &'r http::Extensions,
    }

    impl<'r> Head<'r> {
        fn of<B>(request: &'r http::Request<B>) -> Self {
            Head {
                method: request.method(),
                uri: request.uri(),
                version: request.version(),
                headers: request.headers(),
                extensions: request.extensions(),
            }
        }

        fn of_parts(parts: &'r http::request::Parts) -> Self {
            Head {
                method: &parts.method,
                uri: &parts.uri,
                version: parts.version,
                headers: &parts.headers,
                extensions: &parts.extensions,
            }
        }
    }

    /// The scheme of the original request, which a server behind a TLS proxy
    /// learns only from the proxy.
    fn forwarded_scheme(headers: &http::HeaderMap) -> Option<&'static str> {
        web_scheme(forwarded::first_hop(
            text_of(headers),
            "proto",
            "x-forwarded-proto",
        )?)
    }

    /// A header's value, if it is visible ASCII (what proxies write).
    fn text_of<'h>(headers: &'h http::HeaderMap) -> impl Fn(&str) -> Option<&'h str> {
        move |key| headers.get(key)?.to_str().ok()
    }

    /// `http` or `https`, whatever their case; nothing else. A server's request
    /// says its scheme as the client chose it (HTTP/2's `:scheme`, an absolute
    /// URI), and a client must not choose the values of a metric's attribute.
    fn web_scheme(scheme: &str) -> Option<&'static str> {
        if scheme.eq_ignore_ascii_case("https") {
            Some("https")
        } else if scheme.eq_ignore_ascii_case("http") {
            Some("http")
        } else {
            None
        }
    }

    /// A request's method and URI; over HTTP/1.1 a server sees an origin-form URI
    /// (`/path?q`), so its authority comes from the `Host` header. A request
    /// `received` takes its scheme from a proxy's headers first, as the conventions
    /// ask (the original client's): over HTTP/2 the URI holds the `:scheme` of the
    /// hop from a TLS-terminating proxy, `http`. What its client wrote is only taken
    /// as `http` or `https` ([`web_scheme`]). A request sent takes its own URI's: a
    /// proxy's header it forwards says how the request reached the proxy, not how
    /// it leaves.
    fn request_target(request: Head<'_>, received: bool) -> RequestTarget<'_> {
        let uri = request.uri;
        let scheme = if received {
            forwarded_scheme(request.headers)
                .or_else(|| {
                    (request.extensions)
                        .get::<super::ReceivedOverTls>()
                        .map(|_| "https")
                })
                .or_else(|| uri.scheme_str().and_then(web_scheme))
        } else {
            uri.scheme_str()
        };
        let headers = header_target(request.headers, received);
        RequestTarget {
            method: Some(request.method.as_str()),
            scheme,
            authority: uri
                .authority()
                .map(http::uri::Authority::as_str)
                .or(headers.authority),
            path: Some(uri.path()),
            query: uri.query(),
            protocol_version: protocol_version(request.version),
            peer: received
                .then(|| request.extensions.get::<super::PeerAddress>())
                .flatten()
                .map(|peer| peer.0),
            resend_count: (!received)
                .then(|| request.extensions.get::<super::ResendCount>())
                .flatten()
                .map(|count| count.0),
            ..headers
        }
    }

    /// What a request's `headers` tell of it: its host (`Host`), user agent, and
    /// the original client and host a proxy forwarded; `received`, the scheme a
    /// proxy forwarded too (see [`request_target`]).
    fn header_target(headers: &http::HeaderMap, received: bool) -> RequestTarget<'_> {
        RequestTarget {
            scheme: received.then(|| forwarded_scheme(headers)).flatten(),
            authority: headers
                .get(http::header::HOST)
                .and_then(|host| host.to_str().ok())
                .filter(|host| !host.is_empty()),
            user_agent: user_agent(headers),
            forwarded_for: forwarded::client(text_of(headers)),
            forwarded_host: forwarded::first_hop(text_of(headers), "host", "x-forwarded-host")
                .filter(|host| !host.is_empty()),
            forwarded: received && forwarded::by_a_proxy(|key| headers.contains_key(key)),
            ..RequestTarget::default()
        }
    }

    /// The `User-Agent` header, when it is text (UTF-8: `to_str` takes visible
    /// ASCII only, and a client named in another script would be left out).
    pub(super) fn user_agent(headers: &http::HeaderMap) -> Option<&str> {
        headers
            .get(http::header::USER_AGENT)
            .and_then(|agent| std::str::from_utf8(agent.as_bytes()).ok())
    }

    /// `network.protocol.version` as the HTTP conventions write it.
    pub(crate) fn protocol_version(version: http::Version) -> Option<&'static str> {
        match version {
            http::Version::HTTP_09 => Some("0.9"),
            http::Version::HTTP_10 => Some("1.0"),
            http::Version::HTTP_11 => Some("1.1"),
            http::Version::HTTP_2 => Some("2"),
            http::Version::HTTP_3 => Some("3"),
            _ => None,
        }
    }

    /// The address a hyper-util client's response came from, which its
    /// `HttpConnector` (behind a TLS connector too) leaves in the response's
    /// extensions: a client's `network.peer.address` and `network.peer.port`.
    pub(crate) fn answered_from(extensions: &http::Extensions) -> Option<std::net::SocketAddr> {
        extensions
            .get::<hyper_util::client::legacy::connect::HttpInfo>()
            .map(hyper_util::client::legacy::connect::HttpInfo::remote_addr)
    }
}

/// A reqwest request about to be sent (`Client::execute`): its headers take the
/// context, and its method and URL are what the HTTP client conventions record.
#[cfg(feature = "reqwest")]
impl Inject for reqwest::Request {
    fn set(&mut self, key: &str, value: String) {
        Inject::set(self.headers_mut(), key, value);
    }

    fn remove(&mut self, key: &str) {
        Inject::remove(self.headers_mut(), key);
    }

    fn target(&self) -> RequestTarget<'_> {
        let url = self.url();
        RequestTarget {
            method: Some(self.method().as_str()),
            scheme: Some(url.scheme()),
            authority: Some(url.authority()).filter(|authority| !authority.is_empty()),
            path: Some(url.path()),
            query: url.query(),
            protocol_version: protocol_version(self.version()),
            user_agent: http_carriers::user_agent(self.headers()),
            ..RequestTarget::default()
        }
    }
}

#[cfg(feature = "tonic")]
mod tonic_carriers {
    use super::{Extract, Inject, RequestTarget, header_texts};
    use crate::propagation::forwarded;
    use tonic::metadata::{KeyRef, MetadataKey, MetadataMap, MetadataValue};

    /// gRPC metadata (ASCII entries; binary `-bin` entries carry no propagation); a
    /// value that is not UTF-8 reads as [`NOT_UTF8`](super::NOT_UTF8) (a `baggage`
    /// value member by member).
    impl Extract for MetadataMap {
        fn get_all(&self, key: &str) -> Vec<&str> {
            header_texts(
                key,
                MetadataMap::get_all(self, key)
                    .iter()
                    .map(MetadataValue::as_encoded_bytes),
            )
        }

        /// Each key once, as the other carriers list them (`iter` gives a key
        /// once per value).
        fn keys(&self) -> Vec<&str> {
            MetadataMap::keys(self)
                .filter_map(|key| match key {
                    KeyRef::Ascii(key) => Some(key.as_str()),
                    KeyRef::Binary(_) => None,
                })
                .collect()
        }

        /// What a proxy says of the client, as a request's metadata tells it.
        fn target(&self) -> RequestTarget<'_> {
            metadata_target(self)
        }
    }

    /// What a call's metadata tells of it: its host (a `host` header, where the
    /// client sent one: HTTP/2 says `:authority`, which tonic does not keep), and
    /// the client and host a proxy forwarded.
    fn metadata_target(metadata: &MetadataMap) -> RequestTarget<'_> {
        let text = |key: &str| metadata.get(key)?.to_str().ok();
        RequestTarget {
            authority: text("host").filter(|host| !host.is_empty()),
            forwarded_for: forwarded::client(text),
            forwarded_host: forwarded::first_hop(text, "host", "x-forwarded-host")
                .filter(|host| !host.is_empty()),
            forwarded: forwarded::by_a_proxy(|key| metadata.contains_key(key)),
            ..RequestTarget::default()
        }
    }

    /// As for `http::HeaderMap`: an invalid value is not set, and the key's old
    /// value goes. A binary field (`grpc-trace-bin`, of a propagator writing
    /// bytes) takes no text: its old value goes too, rather than travel beside
    /// the context written in the others.
    impl Inject for MetadataMap {
        fn set(&mut self, key: &str, value: String) {
            let key = key.to_ascii_lowercase();
            let Ok(name) = MetadataKey::from_bytes(key.as_bytes()) else {
                Inject::remove(self, &key);
                return;
            };
            match MetadataValue::try_from(value.as_str()) {
                Ok(value) => {
                    self.insert(name, value);
                }
                Err(_) => {
                    MetadataMap::remove(self, key.as_str());
                }
            }
        }

        /// A `-bin` key's binary entry too, which `MetadataMap::remove` of the
        /// same name leaves.
        fn remove(&mut self, key: &str) {
            let key = key.to_ascii_lowercase();
            if key.ends_with("-bin") {
                MetadataMap::remove_bin(self, key.as_str());
            } else {
                MetadataMap::remove(self, key.as_str());
            }
        }
    }

    impl<T> Extract for tonic::Request<T> {
        fn get_all(&self, key: &str) -> Vec<&str> {
            Extract::get_all(self.metadata(), key)
        }

        fn keys(&self) -> Vec<&str> {
            Extract::keys(self.metadata())
        }

        /// The peer, the server asked for (a `GrpcLayer` in front keeps HTTP/2's
        /// `:authority`) and what a proxy says of the client: a tonic handler sees
        /// neither the method nor the URI.
        fn target(&self) -> RequestTarget<'_> {
            let metadata = metadata_target(self.metadata());
            #[cfg(feature = "http")]
            let authority = (self.extensions().get::<super::ServedUnder>())
                .and_then(|served| served.authority.as_ref())
                .map(http::uri::Authority::as_str)
                .or(metadata.authority);
            #[cfg(not(feature = "http"))]
            let authority = metadata.authority;
            RequestTarget {
                peer: self
                    .extensions()
                    .get::<super::PeerAddress>()
                    .map(|peer| peer.0),
                authority,
                ..metadata
            }
        }

        /// (Layers come with the `http` feature.)
        #[cfg(feature = "http")]
        fn served_under(&self) -> Option<super::LayerSpans<'_>> {
            self.extensions()
                .get::<super::ServedUnder>()
                .map(super::ServedUnder::spans)
        }
    }

    impl<T> Inject for tonic::Request<T> {
        fn set(&mut self, key: &str, value: String) {
            Inject::set(self.metadata_mut(), key, value);
        }

        fn remove(&mut self, key: &str) {
            Inject::remove(self.metadata_mut(), key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::propagation::TraceContextPropagator;
    use opentelemetry::propagation::TextMapPropagator as _;

    const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    /// An `Injector` that appends, as a Kafka message's headers do.
    #[derive(Default)]
    struct Appending(Vec<(String, String)>);

    impl Injector for Appending {
        fn set(&mut self, key: &str, value: String) {
            self.0.push((key.to_owned(), value));
        }
    }

    #[test]
    fn an_injector_as_our_carrier_gets_each_field_written_once_and_none_empty() {
        use opentelemetry::trace::{
            SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
        };
        let span = SpanContext::new(
            TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
            SpanId::from(0x00f0_67aa_0ba9_02b7),
            TraceFlags::SAMPLED,
            false,
            TraceState::NONE,
        );
        let context = opentelemetry::Context::new().with_remote_span_context(span);
        let mut headers = Appending::default();
        let mut carrier = FromInjector(&mut headers);
        // What a client does: the propagator's fields removed, then written.
        let propagator = TraceContextPropagator::new();
        for field in propagator.fields() {
            carrier.remove(field);
        }
        propagator.inject_context(&context, &mut AsInjector(&mut carrier));
        assert_eq!(
            headers.0,
            [("traceparent".to_owned(), TRACEPARENT.to_owned())],
            "no empty tracestate, no second traceparent"
        );
        // Baggage a copy of the incoming headers may hold is replaced.
        let mut headers = HashMap::from([("baggage".to_owned(), "tenant=old".to_owned())]);
        FromInjector(&mut headers).remove("baggage");
        assert_eq!(headers["baggage"], "");
    }

    #[test]
    fn a_hash_map_is_a_case_insensitive_carrier() {
        let mut headers: HashMap<String, String> = HashMap::new();
        headers.insert("TraceParent".to_owned(), TRACEPARENT.to_owned());
        assert_eq!(Extract::get_all(&headers, "traceparent"), [TRACEPARENT]);
        Inject::set(&mut headers, "traceparent", "other".to_owned());
        assert_eq!(
            headers.len(),
            1,
            "setting a key replaces it whatever its case"
        );
        assert_eq!(Extract::get_all(&headers, "TRACEPARENT"), ["other"]);
    }

    #[test]
    fn names_differing_only_in_case_are_one_key() {
        let map: HashMap<String, String> = ["Uberctx-a", "zed", "uberctx-a", "UBERCTX-A"]
            .into_iter()
            .map(|name| (name.to_owned(), "v".to_owned()))
            .collect();
        assert_eq!(Extract::keys(&map), ["uberctx-a", "zed"]);
        let list: Vec<(String, Vec<u8>)> = ["Uberctx-a", "zed", "uberctx-a"]
            .into_iter()
            .map(|name| (name.to_owned(), b"v".to_vec()))
            .collect();
        assert_eq!(Extract::keys(&list), ["Uberctx-a", "zed"]);
    }

    #[test]
    fn a_hash_map_gives_names_differing_in_case_in_one_order() {
        let headers: HashMap<String, String> = HashMap::from([
            ("tracestate".to_owned(), "lower=1".to_owned()),
            ("TraceState".to_owned(), "mixed=2".to_owned()),
            ("TRACESTATE".to_owned(), "upper=3".to_owned()),
        ]);
        assert_eq!(
            Extract::get_all(&headers, "tracestate"),
            ["upper=3", "mixed=2", "lower=1"]
        );
    }

    #[test]
    fn message_headers_read_values_that_are_not_utf8_as_the_replacement_character() {
        let mut headers: Vec<(String, Vec<u8>)> = vec![
            ("traceparent".to_owned(), TRACEPARENT.as_bytes().to_vec()),
            ("baggage".to_owned(), vec![0xff, 0xfe]),
        ];
        assert_eq!(Extract::get_all(&headers, "traceparent"), [TRACEPARENT]);
        assert_eq!(Extract::get_all(&headers, "baggage"), [NOT_UTF8]);
        Inject::set(&mut headers, "baggage", "k=v".to_owned());
        assert_eq!(Extract::get_all(&headers, "baggage"), ["k=v"]);
        assert_eq!(headers.len(), 2);
    }

    #[test]
    fn propagators_read_and_write_our_carriers_through_the_bridges() {
        let incoming: HashMap<String, String> =
            HashMap::from([("traceparent".to_owned(), TRACEPARENT.to_owned())]);
        let propagator = TraceContextPropagator::new();
        let context = propagator.extract(&AsExtractor(&incoming));
        let mut outgoing: Vec<(String, Vec<u8>)> = Vec::new();
        propagator.inject_context(&context, &mut AsInjector(&mut outgoing));
        assert_eq!(
            outgoing,
            [("traceparent".to_owned(), TRACEPARENT.as_bytes().to_vec())]
        );
        let back = FromExtractor(&AsExtractor(&incoming));
        assert_eq!(back.get_all("traceparent"), [TRACEPARENT]);
        assert_eq!(back.keys(), ["traceparent"]);
        // An OpenTelemetry injector (here the API's own `HashMap` one) written as our
        // carrier, and read back through both bridges.
        let mut theirs: HashMap<String, String> = HashMap::new();
        Inject::set(
            &mut FromInjector(&mut theirs),
            "traceparent",
            TRACEPARENT.to_owned(),
        );
        assert_eq!(
            theirs.get("traceparent").map(String::as_str),
            Some(TRACEPARENT)
        );
        let context = propagator.extract(&AsExtractor(&FromExtractor(&theirs)));
        let mut again: Vec<(String, Vec<u8>)> = Vec::new();
        propagator.inject_context(
            &context,
            &mut AsInjector(&mut FromInjector(&mut AsInjector(&mut again))),
        );
        assert_eq!(again, outgoing, "the same context through every bridge");
    }

    /// Found by tests/tests/hostile_headers.rs: a second `traceparent` or a
    /// `tracestate` that is not UTF-8 was skipped, and the remaining valid one used.
    #[test]
    fn a_header_that_is_not_utf8_still_counts_and_is_invalid() {
        use crate::propagation::BaggagePropagator;
        use opentelemetry::baggage::BaggageExt as _;
        use opentelemetry::trace::TraceContextExt as _;

        let mut not_utf8 = TRACEPARENT.as_bytes().to_vec();
        not_utf8.insert(0, 0xe2);
        let twice: Vec<(String, Vec<u8>)> = vec![
            ("traceparent".to_owned(), TRACEPARENT.as_bytes().to_vec()),
            ("traceparent".to_owned(), not_utf8),
        ];
        let context = TraceContextPropagator::new().extract(&AsExtractor(&twice));
        assert!(
            !context.span().span_context().is_valid(),
            "two traceparent headers are invalid"
        );
        assert_eq!(Extract::keys(&twice), ["traceparent"], "each name once");

        let state: Vec<(String, Vec<u8>)> = vec![
            ("traceparent".to_owned(), TRACEPARENT.as_bytes().to_vec()),
            ("tracestate".to_owned(), b"a=1".to_vec()),
            ("tracestate".to_owned(), b"b=\xff".to_vec()),
            ("baggage".to_owned(), b"k=v".to_vec()),
            ("baggage".to_owned(), b"l=\xff".to_vec()),
        ];
        let context = TraceContextPropagator::new().extract(&AsExtractor(&state));
        let span = context.span();
        assert!(span.span_context().is_valid());
        assert_eq!(
            span.span_context().trace_state().header(),
            "",
            "an invalid tracestate is dropped whole"
        );
        let context = BaggagePropagator::new().extract(&AsExtractor(&state));
        let baggage: Vec<_> = context.baggage().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(baggage, ["k"], "an invalid baggage member is dropped alone");

        // Its header's other members stay.
        let mixed: Vec<(String, Vec<u8>)> = vec![(
            "baggage".to_owned(),
            b"user=ada,note=caf\xe9, tenant=acme".to_vec(),
        )];
        assert_eq!(
            Extract::get_all(&mixed, "baggage"),
            ["user=ada", NOT_UTF8, " tenant=acme"]
        );
        let context = BaggagePropagator::new().extract(&AsExtractor(&mixed));
        let mut baggage: Vec<_> = context
            .baggage()
            .iter()
            .map(|(k, (v, _))| format!("{k}={v}"))
            .collect();
        baggage.sort();
        assert_eq!(baggage, ["tenant=acme", "user=ada"]);
        // As many members as a header of the W3C limit holds, however many commas.
        let commas: Vec<(String, Vec<u8>)> = vec![(
            "baggage".to_owned(),
            [b"k=v".as_slice(), &[b','; 1 << 20], b"\xff"].concat(),
        )];
        assert_eq!(Extract::get_all(&commas, "baggage").len(), 8193);
        // So many, whatever the number of values holding them.
        let headers: Vec<(String, Vec<u8>)> = (0..100)
            .map(|_| ("baggage".to_owned(), [&[b','; 4096][..], b"\xff"].concat()))
            .collect();
        assert_eq!(Extract::get_all(&headers, "baggage").len(), 8193);
        // Any other header's value stays whole: its valid part is not the header.
        let traceparent: Vec<(String, Vec<u8>)> = vec![(
            "traceparent".to_owned(),
            [TRACEPARENT.as_bytes(), b",\xff"].concat(),
        )];
        assert_eq!(Extract::get_all(&traceparent, "traceparent"), [NOT_UTF8]);
        assert_eq!(AsExtractor(&traceparent).get("traceparent"), Some(NOT_UTF8));
    }

    #[cfg(feature = "http")]
    #[test]
    fn http_headers_keep_non_ascii_utf8_values_and_every_repeat() {
        let mut headers = http::HeaderMap::new();
        headers.append(
            "baggage",
            http::HeaderValue::from_bytes("user=zoë".as_bytes()).unwrap(),
        );
        headers.append("baggage", http::HeaderValue::from_static("tenant=acme"));
        assert_eq!(
            Extract::get_all(&headers, "baggage"),
            ["user=zoë", "tenant=acme"]
        );
        headers.append("baggage", http::HeaderValue::from_bytes(b"k=\xff").unwrap());
        assert_eq!(
            Extract::get_all(&headers, "baggage"),
            ["user=zoë", "tenant=acme", NOT_UTF8],
            "a value that is not UTF-8 is still a value"
        );
        Inject::set(&mut headers, "baggage", "only=one".to_owned());
        assert_eq!(Extract::get_all(&headers, "baggage"), ["only=one"]);
        headers.insert("x", http::HeaderValue::from_static("1"));
        Inject::set(&mut headers, "baggage", "a\nb".to_owned());
        assert!(
            Extract::get_all(&headers, "baggage").is_empty(),
            "a value the map cannot hold replaces the old one with none"
        );
        assert_eq!(Extract::get_all(&headers, "x"), ["1"], "the rest stays");
    }

    #[cfg(feature = "tonic")]
    #[test]
    fn grpc_metadata_is_a_carrier() {
        let mut request = tonic::Request::new(());
        Inject::set(&mut request, "traceparent", TRACEPARENT.to_owned());
        assert_eq!(Extract::get_all(&request, "traceparent"), [TRACEPARENT]);
        assert_eq!(Extract::keys(&request), ["traceparent"]);
        let value = tonic::metadata::MetadataValue::try_from(&b"\xe2"[..]).unwrap();
        request.metadata_mut().append("traceparent", value);
        assert_eq!(
            Extract::get_all(&request, "traceparent"),
            [TRACEPARENT, NOT_UTF8],
            "a value that is not UTF-8 is still a value"
        );
        assert_eq!(Extract::keys(&request), ["traceparent"], "each key once");
        let metadata = request.metadata_mut();
        Inject::set(metadata, "baggage", "k=v".to_owned());
        Inject::set(metadata, "baggage", "a\nb".to_owned());
        assert!(
            Extract::get_all(&*metadata, "baggage").is_empty(),
            "not left stale"
        );
        // A binary propagator's field, forwarded from a caller: removed, and not
        // left beside what is set in its place either.
        for replace in [
            |metadata: &mut tonic::metadata::MetadataMap| {
                Inject::remove(metadata, "Grpc-Trace-Bin");
            },
            |metadata: &mut tonic::metadata::MetadataMap| {
                Inject::set(metadata, "grpc-trace-bin", "AAE=".to_owned());
            },
        ] {
            metadata.insert_bin(
                "grpc-trace-bin",
                tonic::metadata::MetadataValue::from_bytes(b"\x00\x01"),
            );
            replace(metadata);
            assert!(metadata.get_bin("grpc-trace-bin").is_none());
        }
    }
}
