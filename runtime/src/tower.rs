//! Tower layers giving whole servers and clients the boundary spans of
//! `#[traced_rpc]`, as Go's otelhttp handler and otelgrpc interceptors do: one
//! layer on an axum or hyper server, a tonic server or channel, a hyper client
//! (feature `http`; `tonic` too for gRPC statuses of tonic's errors).
//!
//! A layer sees the final response, so handlers returning `impl IntoResponse` get
//! their status code, and the span ends when the response body ends: a gRPC
//! status travels in the trailers, and a stream is part of its call.

use crate::callsite::{CallKind, Callsite, Parent, SpanMeta};
use crate::future::DropInPlace;
use crate::outcome::ErrorReport;
use crate::propagation::protocol_version;
use crate::rpc::{
    Answer, GRPC_UNIMPLEMENTED, Protocol, Reply, RpcMeta, STREAM_GIVEN_UP, Side, grpc_status,
    status_without_grpc_status,
};
use crate::span::ActiveSpan;
use http_body::{Body, Frame, SizeHint};
use opentelemetry::trace::{SpanContext, SpanKind, TraceContextExt as _};
use opentelemetry::{ContextGuard, KeyValue};
use pin_project::{pin_project, pinned_drop};
use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, ready};

/// The call sites of the layers' spans: their names and attributes come from each
/// request, their scope is otel-traced's own.
static SERVER: Callsite = Callsite::named_at_run_time(&SERVER_META);
static CLIENT: Callsite = Callsite::named_at_run_time(&CLIENT_META);
static SERVER_META: SpanMeta = layer_meta(SpanKind::Server);
static CLIENT_META: SpanMeta = layer_meta(SpanKind::Client);

const fn layer_meta(kind: SpanKind) -> SpanMeta {
    SpanMeta {
        name: "",
        kind,
        root: false,
        function: crate::callsite::FunctionName::Fixed(""),
        file: "",
        line: 0,
        code: false,
        scope_name: env!("CARGO_PKG_NAME"),
        scope_version: env!("CARGO_PKG_VERSION"),
        // The reply's status code, its legacy twin and `error.type`.
        max_attributes: 3,
        sample: None,
        metrics: false,
    }
}

/// Finds the route template of a server request (`/users/{id}`), such as axum's
/// `MatchedPath`; the layer cannot know it otherwise.
type RouteOf = Arc<dyn Fn(&http::Extensions) -> Option<String> + Send + Sync>;

/// Finds the other end of a server request's connection in its extensions, such
/// as axum's `ConnectInfo` or tonic's `TcpConnectInfo`.
type PeerOf = Arc<dyn Fn(&http::Extensions) -> Option<SocketAddr> + Send + Sync>;

/// Tells, by their path, the requests a layer leaves untraced.
type ExceptOf = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The doc of both layers' `public_endpoint`.
macro_rules! public_endpoint_doc {
    () => {
        "A server the internet calls (an edge service, a public API): each request starts \
         a new trace, linked to the caller's span where the request names one, and the \
         global propagator's headers (`traceparent`, `tracestate`, `baggage`; B3's) are \
         replaced in the request by the layer's own context once read, so that nothing \
         behind the layer continues, trusts or forwards the caller's. Without it, a \
         caller decides the trace its requests join, whether they are sampled, and the \
         baggage this service's calls carry on. A `#[traced_rpc]` handler behind the \
         layer is the layer's child as always, whatever its carrier. A request \
         [`except`](Self::except)ed is not read: its headers are removed, and a handler \
         tracing it starts a trace of its own, unlinked. A propagator reading headers it \
         does not list in its `fields` (Jaeger's `uberctx-*`) leaves those. On a \
         client, a service outside (a payment provider, a public API): its requests carry \
         nothing of the process's context (the propagator's headers are removed, none \
         written: no trace id, no `tracestate`, no baggage, which may hold a user's id or \
         a caller's entries), their spans recorded all the same."
    };
}

/// How either layer handles the requests it serves, beside their boundary.
#[derive(Clone, Default)]
struct Handling {
    /// A server's finder of its requests' peers.
    peer: Option<PeerOf>,
    /// The requests left untraced.
    except: Option<ExceptOf>,
    /// A server's callers' contexts are not continued; a client's calls carry
    /// none.
    public: bool,
}

impl fmt::Debug for Handling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handling")
            .field("peer", &self.peer.as_ref().map(|_| ".."))
            .field("except", &self.except.as_ref().map(|_| ".."))
            .field("public", &self.public)
            .finish()
    }
}

/// HTTP server or client spans for every request through a tower service.
///
/// ```
/// # #[cfg(feature = "http")] {
/// use otel_traced::tower::HttpLayer;
/// let server = HttpLayer::server(); // around an axum Router or a hyper service
/// let client = HttpLayer::client(); // around a hyper-util client
/// # let _ = (server, client); }
/// ```
#[derive(Clone)]
pub struct HttpLayer {
    side: Side,
    route: Option<RouteOf>,
    over_tls: bool,
    handling: Handling,
}

impl HttpLayer {
    /// Spans of the requests a server receives (kind Server), continuing the
    /// callers' traces.
    pub fn server() -> Self {
        Self::on(Side::Server)
    }

    /// Spans of the requests a client sends (kind Client), their context injected
    /// into the headers.
    pub fn client() -> Self {
        Self::on(Side::Client)
    }

    fn on(side: Side) -> Self {
        HttpLayer {
            side,
            route: None,
            over_tls: false,
            handling: Handling::default(),
        }
    }

    /// How a server finds a request's route template, recorded as `http.route`
    /// and in the span name. With axum:
    /// `.route(|extensions| extensions.get::<MatchedPath>().map(|path| path.as_str().to_owned()))`,
    /// and the layer added last with `Router::layer` (axum adds it to each route,
    /// after routing, and to the fallback, whose requests are `{method}` spans
    /// without a route), on the outermost router after its `nest` calls: inside a
    /// nested router the request reaches the layer with the nest's prefix
    /// stripped, and `url.path` would lack it. Last, so that the answers of the
    /// layers before it (a timeout's, a load shedder's) are its spans' replies: a
    /// layer outside it answering drops its future, a cancelled span without a
    /// status. A finder that panics names no route (the span is then `{method}`), the
    /// request served as without the layer.
    pub fn route(
        mut self,
        route: impl Fn(&http::Extensions) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.route = Some(Arc::new(route));
        self
    }

    /// A server that terminates TLS itself (axum-server or hyper with rustls):
    /// its requests' `url.scheme` is `https`, which an HTTP/1.1 request does not
    /// say (a proxy's `Forwarded: proto=` still wins, as the conventions ask for
    /// the original client's). Each request is given
    /// [`ReceivedOverTls`](crate::propagation::ReceivedOverTls), which a
    /// `#[traced_rpc]` server reads too (from this layer, or from the application's
    /// own middleware inserting it). Nothing on a client.
    pub fn over_tls(mut self) -> Self {
        self.over_tls = true;
        self
    }

    /// How a server finds the other end of a request's connection, recorded as
    /// `network.peer.address` and `network.peer.port`, and as `client.address`
    /// where no proxy names the original client. With axum (served with
    /// `into_make_service_with_connect_info::<SocketAddr>()`):
    /// `.peer(|extensions| extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0))`.
    /// Each request is given the [`PeerAddress`](crate::propagation::PeerAddress)
    /// found, which a `#[traced_rpc]` server reads too. Nothing on a client. A
    /// finder that panics finds none.
    pub fn peer(
        mut self,
        peer: impl Fn(&http::Extensions) -> Option<SocketAddr> + Send + Sync + 'static,
    ) -> Self {
        self.handling.peer = Some(Arc::new(peer));
        self
    }

    /// The requests left untraced, by their path: a health check's, which a
    /// probe (Kubernetes', a load balancer's) sends every few seconds, each a
    /// trace of its own. They are served as without the layer (no span, no
    /// duration, no context read or written), but for the peer and TLS marks
    /// ([`peer`](Self::peer), [`over_tls`](Self::over_tls)) given to them for a
    /// handler that traces them. A predicate that panics leaves nothing out.
    ///
    /// ```
    /// let layer = otel_traced::tower::HttpLayer::server().except(|path| path == "/healthz");
    /// # let _ = layer;
    /// ```
    pub fn except(mut self, path: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.handling.except = Some(Arc::new(path));
        self
    }

    #[doc = public_endpoint_doc!()]
    pub fn public_endpoint(mut self) -> Self {
        self.handling.public = true;
        self
    }
}

impl fmt::Debug for HttpLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpLayer")
            .field("side", &self.side)
            .field("route", &self.route.as_ref().map(|_| ".."))
            .field("over_tls", &self.over_tls)
            .field("handling", &self.handling)
            .finish()
    }
}

/// gRPC server or client spans for every call through a tower service: a tonic
/// server (`Server::builder().layer(..)`) or a tonic channel
/// (`ServiceBuilder::new().layer(..).service(channel)`).
#[derive(Clone)]
pub struct GrpcLayer {
    side: Side,
    server: Option<Arc<str>>,
    services: Option<Arc<[String]>>,
    handling: Handling,
}

impl fmt::Debug for GrpcLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcLayer")
            .field("side", &self.side)
            .field("server", &self.server)
            .field("services", &self.services)
            .field("handling", &self.handling)
            .finish()
    }
}

impl GrpcLayer {
    /// Spans of the calls a server receives.
    pub fn server() -> Self {
        Self::on(Side::Server)
    }

    /// Spans of the calls a client makes.
    pub fn client() -> Self {
        Self::on(Side::Client)
    }

    fn on(side: Side) -> Self {
        GrpcLayer {
            side,
            server: None,
            services: None,
            handling: Handling::default(),
        }
    }

    /// The services a server serves (`pkg.Service`, a tonic server's
    /// `NamedService::NAME`), or its methods (`pkg.Service/Method`): a call of any
    /// other is `_OTHER` (its path kept in `rpc.method_original`, its span named
    /// `grpc`), as the conventions ask for a method the server does not know.
    /// Without it, any well-formed path of up to 255 bytes is taken as a method (a
    /// longer one is `_OTHER` unless listed here, method and all, on a client's
    /// layer too: no method name is that long), and a client sending
    /// made-up ones makes a span name, a metric series and an adaptive-sampling
    /// operation of each (of the 4096 the process keeps for names made at run
    /// time; the annotated call sites' are kept apart). Under a service listed whole, a made-up method is
    /// `_OTHER` once tonic answers UNIMPLEMENTED for it, but was sampled and counted
    /// under the name it came with, and keeps that name where something answers
    /// before tonic's router (an interceptor refusing an unauthenticated call): list
    /// the methods to spare that too.
    ///
    /// ```
    /// let layer = otel_traced::tower::GrpcLayer::server().serving(["shop.v1.Inventory"]);
    /// # let _ = layer;
    /// ```
    pub fn serving(mut self, services: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.services = Some(services.into_iter().map(Into::into).collect());
        self
    }

    /// The server a client's channel calls (`host:port`, a URL, or a gRPC target
    /// name such as `dns:///inventory:50051`), recorded as `server.address` and
    /// `server.port`: a tonic channel adds its origin to requests only below the
    /// layer, so the layer cannot read it from them.
    pub fn calling(mut self, server: impl Into<String>) -> Self {
        self.server = Some(Arc::from(server.into()));
        self
    }

    /// How a server finds the other end of a call's connection, recorded as
    /// `network.peer.address` and `network.peer.port`, and as `client.address` and
    /// `client.port` where no proxy names the original client. With tonic:
    /// `.peer(|extensions| extensions.get::<TcpConnectInfo>().and_then(TcpConnectInfo::remote_addr))`
    /// (served over TLS, tonic's info is a `TlsConnectInfo<TcpConnectInfo>`: its
    /// `get_ref().remote_addr()`, as tonic's `Request::remote_addr` reads both).
    /// Each request is given the [`PeerAddress`](crate::propagation::PeerAddress)
    /// found, which a `#[traced_rpc]` server reads too. Nothing on a client. A
    /// finder that panics finds none.
    pub fn peer(
        mut self,
        peer: impl Fn(&http::Extensions) -> Option<SocketAddr> + Send + Sync + 'static,
    ) -> Self {
        self.handling.peer = Some(Arc::new(peer));
        self
    }

    /// The calls left untraced, by their path (`/pkg.Service/Method`): the gRPC
    /// health service's, which a probe calls every few seconds, each a trace of
    /// its own. They are served as without the layer (no span, no duration, no
    /// context read or written), but for the peer mark ([`peer`](Self::peer))
    /// given to them for a handler that traces them. A predicate that panics
    /// leaves nothing out.
    ///
    /// ```
    /// let layer = otel_traced::tower::GrpcLayer::server()
    ///     .except(|path| path.starts_with("/grpc.health.v1.Health/"));
    /// # let _ = layer;
    /// ```
    pub fn except(mut self, path: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        self.handling.except = Some(Arc::new(path));
        self
    }

    #[doc = public_endpoint_doc!()]
    pub fn public_endpoint(mut self) -> Self {
        self.handling.public = true;
        self
    }
}

/// What a layer instruments.
#[derive(Clone)]
enum Boundary {
    Http {
        side: Side,
        route: Option<RouteOf>,
        over_tls: bool,
    },
    Grpc {
        side: Side,
        server: Option<Arc<str>>,
        services: Option<Arc<[String]>>,
    },
}

impl Boundary {
    /// The boundary of one request: a gRPC method from the path
    /// (`/pkg.Service/Method`), an HTTP route from the configured finder.
    fn meta<B>(&self, request: &http::Request<B>) -> RpcMeta {
        match self {
            Boundary::Http { side, route, .. } => RpcMeta {
                side: *side,
                protocol: Protocol::Http {
                    // The application's: one that panics names no route, the
                    // request going on as it would uninstrumented.
                    route: route
                        .as_ref()
                        .and_then(|route| {
                            crate::panic::contained(|| route(request.extensions())).flatten()
                        })
                        .map(Cow::Owned),
                    template: None,
                },
            },
            Boundary::Grpc { side, services, .. } => RpcMeta {
                side: *side,
                protocol: Protocol::Grpc {
                    method: Cow::Owned(grpc_method(&self.path(request), services.as_deref())),
                },
            },
        }
    }

    /// The path of `request` as the layer reads it: the URI's, but a gRPC
    /// client's, which a generated client names in the request (tonic's
    /// `GrpcMethod`), whatever its origin's path puts before it in the URI
    /// (`with_origin(.., "http://gateway/inventory-api")`).
    fn path<'r, B>(&self, request: &'r http::Request<B>) -> Cow<'r, str> {
        #[cfg(any(feature = "tonic", feature = "otlp"))]
        if let Boundary::Grpc {
            side: Side::Client, ..
        } = self
            && let Some(method) = request.extensions().get::<tonic::GrpcMethod<'static>>()
        {
            return Cow::Owned(format!("/{}/{}", method.service(), method.method()));
        }
        Cow::Borrowed(request.uri().path())
    }
}

/// `pkg.Service/Method` of a gRPC path; `_OTHER` for a path that is not one, so
/// that arbitrary paths sent to a server cannot make arbitrary span names, for a
/// service not among `services` when they are known, and for a method longer than
/// a span name may be (unless listed there): a made-up method keeps a metric series
/// of its own where something answers before tonic's router, whose UNIMPLEMENTED
/// would make it `_OTHER`, and a peer's 16 KiB paths would make that series as
/// large.
fn grpc_method(path: &str, services: Option<&[String]>) -> String {
    let well_formed = path.strip_prefix('/').and_then(|method| {
        let (service, name) = method.split_once('/')?;
        let part = |text: &str| {
            !text.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        };
        let listed = |whole: bool| {
            services.is_some_and(|services| {
                (services.iter()).any(|known| known == method || (whole && known == service))
            })
        };
        let served = services.is_none() || listed(true);
        let bounded = method.len() <= MAX_GRPC_METHOD_BYTES || listed(false);
        (part(service) && part(name) && served && bounded).then_some(method)
    });
    well_formed.unwrap_or("_OTHER").to_owned()
}

/// The longest gRPC method taken as it is, in bytes: a span name's limit (the
/// macros' `name = ..` too).
const MAX_GRPC_METHOD_BYTES: usize = 255;

impl<S> tower_layer::Layer<S> for HttpLayer {
    type Service = Traced<S>;

    fn layer(&self, inner: S) -> Traced<S> {
        let boundary = Boundary::Http {
            side: self.side,
            route: self.route.clone(),
            over_tls: self.over_tls,
        };
        Traced::new(inner, boundary, &self.handling)
    }
}

impl<S> tower_layer::Layer<S> for GrpcLayer {
    type Service = Traced<S>;

    fn layer(&self, inner: S) -> Traced<S> {
        let boundary = Boundary::Grpc {
            side: self.side,
            server: self.server.clone(),
            services: self.services.clone(),
        };
        Traced::new(inner, boundary, &self.handling)
    }
}

/// Marks `request` as served in the layer's `span` (when it has one), having read
/// `read` from its headers: a `#[traced_rpc]` handler behind the layer reading the
/// same is the layer's child.
fn mark_served<B>(
    request: &mut http::Request<B>,
    span: &ActiveSpan,
    rpc: &RpcMeta,
    read: SpanContext,
) {
    let layer = span
        .body_context()
        .map(|context| context.span().span_context().clone())
        .filter(SpanContext::is_valid);
    if let Some(layer) = layer {
        let served = crate::propagation::ServedUnder {
            layer,
            read,
            measured: crate::propagation::LayerMeasured::of(&rpc.protocol),
            #[cfg(feature = "tonic")]
            authority: request.uri().authority().cloned(),
        };
        request.extensions_mut().insert(served);
    }
}

/// A service whose calls are boundary spans; made by [`HttpLayer`] or
/// [`GrpcLayer`].
#[derive(Clone)]
pub struct Traced<S> {
    inner: S,
    boundary: Boundary,
    handling: Handling,
}

impl<S> Traced<S> {
    /// `inner` instrumented as `boundary`; a peer finder is a server's only.
    fn new(inner: S, boundary: Boundary, handling: &Handling) -> Self {
        let (Boundary::Http { side, .. } | Boundary::Grpc { side, .. }) = &boundary;
        let server = *side == Side::Server;
        Traced {
            inner,
            boundary,
            handling: Handling {
                peer: handling.peer.clone().filter(|_| server),
                except: handling.except.clone(),
                public: handling.public,
            },
        }
    }

    /// Whether `request` is one the layer leaves untraced, by its path as the
    /// layer reads it ([`Boundary::path`]).
    fn excepts<B>(&self, request: &http::Request<B>) -> bool {
        self.handling.except.as_ref().is_some_and(|except| {
            let path = self.boundary.path(request);
            crate::panic::contained(|| except(&path)).unwrap_or(false)
        })
    }
}

impl<S: fmt::Debug> fmt::Debug for Traced<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Traced")
            .field("inner", &self.inner)
            .finish()
    }
}

impl<S, B, R> tower_service::Service<http::Request<B>> for Traced<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<R>>,
    S::Error: fmt::Display + 'static,
    R: Body,
{
    type Response = http::Response<TracedBody<R>>;
    type Error = S::Error;
    type Future = TracedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        if let Boundary::Http {
            side: Side::Server,
            over_tls: true,
            ..
        } = self.boundary
        {
            request
                .extensions_mut()
                .insert(crate::propagation::ReceivedOverTls);
        }
        // The application's: one that panics names no peer.
        if let Some(peer) = self
            .handling
            .peer
            .as_ref()
            .and_then(|peer| crate::panic::contained(|| peer(request.extensions())).flatten())
        {
            request
                .extensions_mut()
                .insert(crate::propagation::PeerAddress(peer));
        }
        // Untraced, but told its peer and scheme, as a handler under the layer
        // may trace it (a public endpoint's, with nothing of its caller's).
        if self.excepts(&request) {
            if self.handling.public {
                crate::rpc::without_propagated_context(&mut request);
            }
            return TracedFuture {
                inner: ManuallyDrop::new(self.inner.call(request)),
                call: None,
            };
        }
        let rpc = self.boundary.meta(&request);
        let call = match rpc.protocol {
            Protocol::Grpc { .. } => CallKind::GrpcCall(rpc.side),
            _ => CallKind::Future,
        };
        let mut span = match rpc.side {
            Side::Server => {
                let public = self.handling.public;
                let (span, read) = SERVER.serve_layer(&rpc, &mut request, call, public);
                mark_served(&mut request, &span, &rpc, read);
                span
            }
            Side::Client => {
                let server = match &self.boundary {
                    Boundary::Grpc { server, .. } => server.as_deref(),
                    Boundary::Http { .. } => None,
                };
                let span = CLIENT.call(
                    &rpc,
                    &request,
                    server,
                    Parent::Current,
                    call,
                    Vec::new,
                    |_| {},
                );
                if self.handling.public {
                    crate::rpc::without_propagated_context(&mut request);
                } else {
                    span.inject(&mut request);
                }
                span
            }
        };
        let inner = {
            let mut current = span.enter();
            let service = &mut self.inner;
            poll_catching(Some(&mut span), &mut current, || service.call(request))
        };
        TracedFuture {
            inner: ManuallyDrop::new(inner),
            call: Some((span, rpc)),
        }
    }
}

/// The response future of a [`Traced`] service: its span is current while it is
/// polled, and moves into the response body.
#[pin_project(PinnedDrop)]
#[derive(Debug)]
pub struct TracedFuture<F> {
    /// Dropped by the future's own drop, with the span current.
    #[pin]
    inner: ManuallyDrop<F>,
    /// The call's span and what it is; none for a request left untraced, and
    /// once the response came.
    call: Option<(ActiveSpan, RpcMeta)>,
}

impl<F, R, E> Future for TracedFuture<F>
where
    F: Future<Output = Result<http::Response<R>, E>>,
    E: fmt::Display + 'static,
    R: Body,
{
    type Output = Result<http::Response<TracedBody<R>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = {
            let mut current = this.call.as_ref().and_then(|(span, _)| span.enter());
            // SAFETY: `inner` is pinned as the `ManuallyDrop` holding it is, which
            // is never moved, and only dropped in place (in the drop below).
            let inner = unsafe { this.inner.map_unchecked_mut(|inner| &mut **inner) };
            let span = this.call.as_mut().map(|(span, _)| span);
            ready!(poll_catching(span, &mut current, || inner.poll(cx)))
        };
        let Some((mut span, rpc)) = this.call.take() else {
            // A request left untraced, or polled after completion (the inner
            // future decides what that means).
            return Poll::Ready(output.map(|response| response.map(TracedBody::untraced)));
        };
        match output {
            Ok(response) => {
                // The address that answered, where a hyper-util client's connector
                // left it: an HTTP call's or a gRPC call's.
                if rpc.side == Side::Client
                    && let Some(peer) = crate::propagation::answered_from(response.extensions())
                {
                    span.handle().record_peer(peer);
                }
                let awaiting_trailers = match &rpc.protocol {
                    Protocol::Http { .. } => {
                        let answer = Answer {
                            version: protocol_version(response.version()),
                            ..Reply::Http {
                                status: response.status().as_u16(),
                            }
                            .into()
                        };
                        span.handle().record_reply(&rpc, Some(answer), false);
                        None
                    }
                    Protocol::Grpc { .. } => match grpc_status(response.headers(), rpc.side) {
                        // A trailers-only response: the status is in the headers.
                        Some((code, message)) => {
                            relabel_an_unknown_method(&mut span, &rpc, code, &message);
                            record_grpc(&mut span, &rpc, code, &message);
                            None
                        }
                        None => {
                            let awaited = AwaitedStatus {
                                rpc: rpc.clone(),
                                http_status: response.status(),
                            };
                            // A body already at its end (a router's bare 404) is
                            // never polled: hyper sends the end and drops it. A
                            // status but 200 without a grpc-status is read from the
                            // HTTP status, whatever the body (a proxy's 502 page):
                            // gRPC clients map it so, the trailers are not awaited.
                            if response.body().is_end_stream()
                                || response.status() != http::StatusCode::OK
                            {
                                record_missing_status(&mut span, &awaited);
                                None
                            } else {
                                Some(awaited)
                            }
                        }
                    },
                    // The layers build only HTTP and gRPC boundaries.
                    Protocol::Messaging { .. } => None,
                };
                // A gRPC call awaits its status, or has it from the head.
                let status_said =
                    matches!(rpc.protocol, Protocol::Grpc { .. }) && awaiting_trailers.is_none();
                if awaiting_trailers.is_none() && response.body().is_end_stream() {
                    // A body at its end already (a reply to HEAD, a 204 or a 304, a
                    // trailers-only gRPC reply): the call ended with the head. No
                    // one polls such a body; a client keeping the response would
                    // otherwise keep the span and its duration open until it drops
                    // it.
                    span.finish();
                    return Poll::Ready(Ok(response.map(TracedBody::untraced)));
                }
                Poll::Ready(Ok(response.map(|body| TracedBody {
                    inner: ManuallyDrop::new(body),
                    span: Some(span),
                    awaiting_trailers,
                    status_said,
                })))
            }
            Err(error) => {
                // The call ended before its error is said.
                span.handle().note_end();
                {
                    // In its context, as the attribute's calls record theirs: a
                    // request sampled out logs its exception under its own ids.
                    let _current = span.enter();
                    record_failure(&mut span, Some(&rpc), &error);
                }
                span.finish();
                Poll::Ready(Err(error))
            }
        }
    }
}

#[pinned_drop]
impl<F> PinnedDrop for TracedFuture<F> {
    /// A call given up before its response (the client went away): what the
    /// service's future holds (a transaction, a pooled connection) is dropped with
    /// the span current, as it would have been by the service; a panic there is
    /// the call's outcome. The span then ends as given up, by its own drop.
    fn drop(self: Pin<&mut Self>) {
        let this = self.project();
        // SAFETY: the one guard of `inner`, which is not used after it.
        let inner = unsafe { DropInPlace::new(this.inner) };
        if let Some((span, _)) = this.call.as_mut() {
            span.drop_given_up(inner);
        }
    }
}

/// Calls the service, or polls its future or body, under `span`, recording a panic
/// there and ending the span before it goes on unwinding, as `#[traced]` does:
/// tokio catches a handler's panic and drops the connection's future after it,
/// which would otherwise be taken for a cancelled call that did not fail.
/// `current`, the span's context entered, is left before the span ends.
fn poll_catching<T>(
    span: Option<&mut ActiveSpan>,
    current: &mut Option<ContextGuard>,
    poll: impl FnOnce() -> T,
) -> T {
    match span {
        Some(span) => span.catch_panic(current, poll),
        None => poll(),
    }
}

/// A gRPC response whose status is still to come, in the trailers.
#[derive(Debug)]
struct AwaitedStatus {
    rpc: RpcMeta,
    /// The response's HTTP status, which gives the code if no status comes.
    http_status: http::StatusCode,
}

/// A call that ends without a `grpc-status` gets the code gRPC's HTTP mapping
/// gives its HTTP status (as tonic tells the application), UNKNOWN for the rest.
fn record_missing_status(span: &mut ActiveSpan, awaited: &AwaitedStatus) {
    let (code, message) = status_without_grpc_status(awaited.http_status.as_u16());
    // A 404 without a status is a router's answer to a path it has no route
    // for (axum's, with tonic's routes merged in): as unknown a method as
    // tonic's UNIMPLEMENTED without a message.
    if code == GRPC_UNIMPLEMENTED {
        relabel_an_unknown_method(span, &awaited.rpc, code, "");
    }
    record_grpc(span, &awaited.rpc, code, &message);
}

/// A service's error as tower stacks return it.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Records a service's or a body's error: on a gRPC call (`grpc`), as the status
/// tonic makes of it where it makes one; otherwise as [`record_service_error`].
fn record_failure<E: fmt::Display + 'static>(
    span: &mut ActiveSpan,
    grpc: Option<&RpcMeta>,
    error: &E,
) {
    let status = grpc
        .filter(|rpc| matches!(rpc.protocol, Protocol::Grpc { .. }))
        .and_then(|rpc| Some((rpc, grpc_status_of(error, rpc.side)?)));
    match status {
        Some((rpc, (code, message))) => record_grpc(span, rpc, code, &message),
        None => record_service_error(span, error),
    }
}

/// Records a service's or a body's error as `#[traced]` records errors, but for
/// a boxed one, whose type says nothing of the error: its `error.type` is
/// `_OTHER`, the conventions' value for a type not known, and its message its
/// `source()` chain, as a function's boxed error's is. The transports' own error
/// types keep their chain too ([`transport_error`]); any other is said by its
/// `Display` (the layer's bound).
fn record_service_error<E: fmt::Display + 'static>(span: &mut ActiveSpan, error: &E) {
    let error_any: &dyn Any = error;
    if let Some(boxed) = error_any.downcast_ref::<BoxError>() {
        span.handle().record_error(OTHER_ERROR, || ErrorReport {
            type_name: OTHER_ERROR,
            ..ErrorReport::from_error::<E>(&**boxed)
        });
        return;
    }
    span.handle().record_error(std::any::type_name::<E>(), || {
        match transport_error(error_any) {
            Some(error) => ErrorReport::from_error::<E>(error),
            None => ErrorReport::from_text::<E>(crate::redact::described(format_args!("{error}"))),
        }
    });
}

/// `error` as an `std::error::Error`, where it is one of the types a tower stack's
/// transport fails with, whose `Display` alone says little ("client error",
/// "transport error") and whose `source()` says why.
fn transport_error(error: &dyn Any) -> Option<&(dyn std::error::Error + 'static)> {
    if let Some(io) = error.downcast_ref::<std::io::Error>() {
        return Some(io);
    }
    // A hyper client's or a body's read from one ("error reading a body from
    // connection", its cause beneath).
    if let Some(hyper) = error.downcast_ref::<hyper::Error>() {
        return Some(hyper);
    }
    #[cfg(feature = "tonic")]
    {
        if let Some(h2) = error.downcast_ref::<h2::Error>() {
            return Some(h2);
        }
        if let Some(channel) = error.downcast_ref::<tonic::transport::Error>() {
            return Some(channel);
        }
    }
    #[cfg(feature = "reqwest")]
    if let Some(reqwest) = error.downcast_ref::<reqwest::Error>() {
        return Some(reqwest);
    }
    // A hyper-util client's ("client error (Connect)"), the layer's documented use.
    if let Some(client) = error.downcast_ref::<hyper_util::client::legacy::Error>() {
        return Some(client);
    }
    None
}

/// The conventions' `error.type` of an error whose type is not known.
const OTHER_ERROR: &str = "_OTHER";

/// The gRPC status tonic makes of a service's error (`Status::from_error`): a
/// status, itself or among the sources of a boxed error, of a channel's error or
/// of the transport's own (hyper's, h2's),
/// load shedding (RESOURCE_EXHAUSTED, as tonic's server answers it), a timeout
/// (CANCELLED), a connection that failed (UNAVAILABLE), or the transport's HTTP/2
/// errors as tonic's server and channel map them ([`h2_status`]). Any other error
/// is UNKNOWN to a client's application, with its text; a server's is none (tonic
/// resets the stream). The error's type is known only through `Any`: the layer's
/// bound is `Display`.
fn grpc_status_of<E: fmt::Display + 'static>(error: &E, side: Side) -> Option<(i32, String)> {
    #[cfg(feature = "tonic")]
    {
        use std::error::Error;
        let error_any: &dyn Any = error;
        let said = |status: &tonic::Status| (status.code() as i32, status.message().to_owned());
        if let Some(status) = error_any.downcast_ref::<tonic::Status>() {
            return Some(said(status));
        }
        let source: Option<&(dyn Error + 'static)> =
            if let Some(boxed) = error_any.downcast_ref::<BoxError>() {
                if boxed.is::<::tower::load_shed::error::Overloaded>() {
                    return Some((
                        tonic::Code::ResourceExhausted as i32,
                        "Too many active requests for the connection".to_owned(),
                    ));
                }
                if let Some(h2) = boxed.downcast_ref::<h2::Error>() {
                    return Some(h2_status(h2, h2));
                }
                Some(&**boxed)
            } else if let Some(channel) = error_any.downcast_ref::<tonic::transport::Error>() {
                Some(channel)
            } else if let Some(h2) = error_any.downcast_ref::<h2::Error>() {
                return Some(h2_status(h2, h2));
            } else if let Some(hyper) = error_any.downcast_ref::<hyper::Error>() {
                // A client over a hyper connection of its own.
                Some(hyper)
            } else {
                None
            };
        // As far as an error's recording follows a chain: one whose `source`
        // returns itself is endless.
        let chain = std::iter::successors(source, |&error| error.source());
        for error in chain.take(crate::outcome::MAX_SOURCES) {
            if let Some(status) = error.downcast_ref::<tonic::Status>() {
                return Some(said(status));
            }
            if error.is::<tonic::TimeoutExpired>() {
                return Some((tonic::Code::Cancelled as i32, error.to_string()));
            }
            if error.is::<tonic::ConnectError>() {
                return Some((tonic::Code::Unavailable as i32, error.to_string()));
            }
            if let Some(hyper) = error.downcast_ref::<hyper::Error>() {
                if hyper.is_timeout() {
                    return Some((tonic::Code::Unavailable as i32, hyper.to_string()));
                }
                if hyper.is_canceled() {
                    return Some((tonic::Code::Cancelled as i32, hyper.to_string()));
                }
                if let Some(h2) = hyper.source().and_then(|source| source.downcast_ref()) {
                    return Some(h2_status(h2, hyper));
                }
            }
        }
        if side == Side::Client {
            let message = crate::redact::described(format_args!("{error}"));
            return Some((crate::rpc::GRPC_UNKNOWN, message));
        }
    }
    let _ = (error, side);
    None
}

/// The status tonic makes of an HTTP/2 error, by its reason (gRPC's "HTTP/2 to
/// gRPC status" table), said with `said`'s text: the h2 error's, or the hyper
/// error holding it.
#[cfg(feature = "tonic")]
fn h2_status(error: &h2::Error, said: &dyn fmt::Display) -> (i32, String) {
    use h2::Reason;
    use tonic::Code;
    let code = match error.reason() {
        Some(
            Reason::NO_ERROR
            | Reason::PROTOCOL_ERROR
            | Reason::INTERNAL_ERROR
            | Reason::FLOW_CONTROL_ERROR
            | Reason::SETTINGS_TIMEOUT
            | Reason::FRAME_SIZE_ERROR
            | Reason::COMPRESSION_ERROR
            | Reason::CONNECT_ERROR,
        ) => Code::Internal,
        Some(Reason::REFUSED_STREAM) => Code::Unavailable,
        Some(Reason::CANCEL) => Code::Cancelled,
        Some(Reason::ENHANCE_YOUR_CALM) => Code::ResourceExhausted,
        Some(Reason::INADEQUATE_SECURITY) => Code::PermissionDenied,
        _ => Code::Unknown,
    };
    let message = crate::redact::described(format_args!("h2 protocol error: {said}"));
    (code as i32, message)
}

fn record_grpc(span: &mut ActiveSpan, rpc: &RpcMeta, code: i32, message: &str) {
    span.handle()
        .record_reply(rpc, Some(Reply::Grpc { code, message }.into()), false);
}

/// A server's trailers-only answer UNIMPLEMENTED without a message is tonic's to a
/// path naming a method its service does not have (a handler refusing a method it
/// has says why). Such a call is `_OTHER`, its path kept in `rpc.method_original`
/// and its span named `grpc`, as a path naming no served service is: made-up
/// methods of a served service make no span names or duration series of their own.
fn relabel_an_unknown_method(span: &mut ActiveSpan, rpc: &RpcMeta, code: i32, message: &str) {
    let Protocol::Grpc { method } = &rpc.protocol else {
        return;
    };
    let answered_unknown = code == GRPC_UNIMPLEMENTED && message.is_empty();
    if rpc.side != Side::Server || !answered_unknown || method == "_OTHER" {
        return;
    }
    let handle = span.handle();
    handle.update_attribute(KeyValue::new("rpc.method", "_OTHER"));
    handle.record_attribute(KeyValue::new("rpc.method_original", method.to_string()));
    handle.if_recording(|span| span.update_name(crate::rpc::UNKNOWN_GRPC_METHOD_NAME));
}

/// A response body whose end ends the span; a gRPC status in its trailers is
/// recorded first.
#[pin_project(PinnedDrop)]
#[derive(Debug)]
pub struct TracedBody<B> {
    /// Dropped by the body's own drop, with the span current.
    #[pin]
    inner: ManuallyDrop<B>,
    span: Option<ActiveSpan>,
    /// The gRPC call whose status is still to come, in the trailers.
    awaiting_trailers: Option<AwaitedStatus>,
    /// Whether the gRPC call's status was read from the response's head (its
    /// `grpc-status`, or a status but 200 without one): the call's outcome, which a
    /// failure of the body after it does not change.
    status_said: bool,
}

impl<B> TracedBody<B> {
    fn untraced(inner: B) -> Self {
        TracedBody {
            inner: ManuallyDrop::new(inner),
            span: None,
            awaiting_trailers: None,
            status_said: false,
        }
    }
}

impl<B> Body for TracedBody<B>
where
    B: Body,
    B::Error: fmt::Display + 'static,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let frame = {
            let mut current = this.span.as_ref().and_then(ActiveSpan::enter);
            // SAFETY: `inner` is pinned as the `ManuallyDrop` holding it is, which
            // is never moved, and only dropped in place (in the drop below).
            let inner = unsafe { this.inner.as_mut().map_unchecked_mut(|inner| &mut **inner) };
            // Put aside while the body polls: a panic there is the call's outcome,
            // and the body dropped after it then adds no CANCELLED beside it.
            let awaiting = this.awaiting_trailers.take();
            let polled = poll_catching(this.span.as_mut(), &mut current, || inner.poll_frame(cx));
            *this.awaiting_trailers = awaiting;
            ready!(polled)
        };
        let Some(span) = this.span.as_mut() else {
            return Poll::Ready(frame);
        };
        match &frame {
            Some(Ok(data)) => {
                if let (Some(trailers), Some(awaited)) =
                    (data.trailers_ref(), this.awaiting_trailers.as_ref())
                    && let Some((code, message)) = grpc_status(trailers, awaited.rpc.side)
                {
                    record_grpc(span, &awaited.rpc, code, &message);
                    *this.awaiting_trailers = None;
                }
                // The span ends with the last frame, not at the poll after it: the
                // peer may have the whole response (and act on it) before then.
                if !data.is_trailers() && !this.inner.is_end_stream() {
                    return Poll::Ready(frame);
                }
                if let Some(awaited) = this.awaiting_trailers.take() {
                    record_missing_status(span, &awaited);
                }
            }
            // Its status said already: the span ends with the body, as it is.
            Some(Err(_)) if *this.status_said => {}
            // A channel's body fails with the status tonic gives the application; a
            // server's failing body is no status it sent (hyper resets the stream).
            Some(Err(error)) => {
                let awaited = this.awaiting_trailers.take();
                let client = awaited
                    .as_ref()
                    .map(|awaited| &awaited.rpc)
                    .filter(|rpc| rpc.side == Side::Client);
                // The call ended before its error is said.
                span.handle().note_end();
                let _current = span.enter();
                record_failure(span, client, error);
            }
            None => {
                if let Some(awaited) = this.awaiting_trailers.take() {
                    record_missing_status(span, &awaited);
                }
            }
        }
        span.finish();
        *this.span = None;
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[pinned_drop]
impl<B> PinnedDrop for TracedBody<B> {
    /// A body dropped before its end still ends its span, without marking it
    /// cancelled: the response was given, and a whole one is dropped so too (hyper
    /// polls no further than a `Content-Length` or a HEAD reply says, nor a client
    /// reading the status alone), which a body cut short (the peer gone, the server
    /// stopping) cannot be told from without counting its bytes. A gRPC call whose
    /// status was still to come ends CANCELLED, as gRPC tells both sides of a
    /// stream given up (an error on the client only), and marked cancelled, as an
    /// annotated stream given up is. What the inner body holds is
    /// dropped first, with the span current, as it would be at its end; a panic
    /// there is the call's outcome, as one in a poll is.
    fn drop(self: Pin<&mut Self>) {
        let this = self.project();
        // SAFETY: the one guard of `inner`, which is not used after it.
        let inner = unsafe { DropInPlace::new(this.inner) };
        let Some(span) = this.span.as_mut() else {
            return;
        };
        let panicking = std::thread::panicking();
        // Does not return after a panic: the span has ended with it.
        span.drop_given_up(inner);
        if let Some(awaited) = this.awaiting_trailers.take() {
            // Given up by another's panic: no reply; the span's own drop ends it
            // as given up (`otel_traced.cancelled`), as a stream's.
            if panicking {
                return;
            }
            let handle = span.handle();
            handle.record_reply(&awaited.rpc, Some(STREAM_GIVEN_UP.into()), false);
            handle.record_attribute(KeyValue::new(crate::span::CANCELLED, true));
        }
        span.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_GRPC_METHOD_BYTES, grpc_method};

    #[test]
    fn grpc_paths_name_their_method_and_nothing_else_does() {
        assert_eq!(
            grpc_method("/shop.v1.Inventory/Reserve", None),
            "shop.v1.Inventory/Reserve"
        );
        assert_eq!(grpc_method("/index.html", None), "_OTHER");
        assert_eq!(grpc_method("/a/b/c", None), "_OTHER");
        assert_eq!(grpc_method("/shop.Inventory/", None), "_OTHER");
        assert_eq!(grpc_method("", None), "_OTHER");
        let longest = format!("shop.Inventory/{}", "A".repeat(MAX_GRPC_METHOD_BYTES - 15));
        assert_eq!(grpc_method(&format!("/{longest}"), None), longest);
        let made_up = format!("{longest}A");
        assert_eq!(grpc_method(&format!("/{made_up}"), None), "_OTHER");
        assert_eq!(
            grpc_method(&format!("/{made_up}"), Some(&["shop.Inventory".to_owned()])),
            "_OTHER",
            "a long method of a service served whole"
        );
        assert_eq!(
            grpc_method(&format!("/{made_up}"), Some(std::slice::from_ref(&made_up))),
            made_up,
            "a long method listed"
        );
        let served = ["shop.v1.Inventory".to_owned()];
        assert_eq!(
            grpc_method("/shop.v1.Inventory/Reserve", Some(&served)),
            "shop.v1.Inventory/Reserve"
        );
        assert_eq!(
            grpc_method("/shop.v1.Scanner/Probe1", Some(&served)),
            "_OTHER",
            "a service the server does not serve"
        );
        let methods = [
            "shop.v1.Inventory/Reserve".to_owned(),
            "shop.v1.Inventory/Watch".to_owned(),
        ];
        assert_eq!(
            grpc_method("/shop.v1.Inventory/Watch", Some(&methods)),
            "shop.v1.Inventory/Watch"
        );
        assert_eq!(
            grpc_method("/shop.v1.Inventory/Zz1", Some(&methods)),
            "_OTHER",
            "a method the server does not serve"
        );
    }
}
