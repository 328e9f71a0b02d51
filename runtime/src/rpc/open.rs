//! Opening a boundary span: its name and the attributes samplers see, the context
//! extracted from the request on the server, and the context injected into it on
//! the client.

use super::{Protocol, RpcMeta, Side, emits_legacy_rpc};
use crate::callsite::{
    Attach, CallKind, Callsite, Parent, Record, SpanStart, boundary_base, record_once,
};
use crate::propagation::{
    AsExtractor, AsInjector, Extract, Inject, RequestTarget, with_propagator,
};
use crate::span::{ActiveSpan, Attributes};
use crate::tally::Tally;
use crate::value::{as_received, received};
use opentelemetry::baggage::BaggageExt as _;
use opentelemetry::trace::{Link, SpanContext, TraceContextExt as _, TraceId};
use opentelemetry::{Context, Key, KeyValue, Value};
use std::borrow::Cow;

/// The methods HTTP defines (semconv's `http.request.method` values); any other is
/// recorded as `_OTHER`, the original in `http.request.method_original`, unless
/// `OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS` lists it.
const KNOWN_METHODS: [&str; 10] = [
    "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "QUERY",
];

/// The methods recorded as they are: `OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS`
/// (comma-separated, case-sensitive) replaces HTTP's own, as the conventions ask of
/// an instrumentation that makes other methods `_OTHER` (a WebDAV server's
/// `PROPFIND`). Read from the process environment once, as the output must not
/// change mid-process.
fn known_methods() -> &'static [&'static str] {
    static KNOWN: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    KNOWN.get_or_init(|| {
        known_methods_from(
            std::env::var("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS")
                .ok()
                .as_deref(),
        )
    })
}

/// The known methods a value of `OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS` gives
/// (kept for the process's life), HTTP's own without one or with one that lists
/// none (an empty variable is an unset one, as the configuration specification has
/// it).
fn known_methods_from(listed: Option<&str>) -> Vec<&'static str> {
    let listed: Vec<&'static str> = listed
        .into_iter()
        .flat_map(|listed| listed.split(','))
        .map(str::trim)
        .filter(|method| !method.is_empty())
        .map(|method| &*Box::leak(Box::<str>::from(method)))
        .collect();
    if listed.is_empty() {
        return KNOWN_METHODS.to_vec();
    }
    listed
}

impl Callsite {
    /// Opens the server span of a boundary: a child of the context the global
    /// propagator extracts from `carrier` (a new trace when it holds none), whose
    /// baggage the body sees; behind a server layer that served the request, in
    /// the layer's trace when the request's headers read as the layer read them
    /// ([`under_server_layer`]). Without a destination the extracted context is
    /// still current in the body, so the trace passes through untraced services
    /// (the current one where the request names no trace, [`passed_on`]).
    /// A `root` server (a public endpoint's) starts a new trace instead, linked to
    /// the caller's span, without the caller's baggage ([`public_root`]), unless a
    /// server layer served the request: the layer's child then, as every handler.
    pub fn serve<C: Extract + ?Sized>(
        &'static self,
        rpc: &RpcMeta,
        carrier: &C,
        call: CallKind,
        links: impl FnOnce() -> Vec<Link>,
        record: impl FnOnce(&mut Attributes<'_>),
    ) -> ActiveSpan {
        // Read from a clone: the carrier's and the propagator's code run meanwhile,
        // and a context they attach (a traced helper) needs the current one free.
        let Some(current) = crate::thread_exit::current() else {
            return ActiveSpan::disabled();
        };
        let extracted = extract(&current, carrier);
        let record = &mut record_once(record);
        let public = self.is_root();
        self.serve_extracted(
            rpc, carrier, &current, extracted, public, call, links, record,
        )
    }

    /// [`Callsite::serve`] for a server layer, with the span context a handler
    /// behind it reads from the request's headers, for the layer's mark on the
    /// request (`ServedUnder`). A public endpoint's layer (`public`) starts a new
    /// trace ([`public_root`]) and puts its own context in place of the caller's
    /// headers: what a handler reads then.
    #[cfg(feature = "http")]
    pub(crate) fn serve_layer<C: Extract + Inject + ?Sized>(
        &'static self,
        rpc: &RpcMeta,
        carrier: &mut C,
        call: CallKind,
        public: bool,
    ) -> (ActiveSpan, SpanContext) {
        let Some(current) = crate::thread_exit::current() else {
            if public {
                without_propagated_context(carrier);
            }
            return (ActiveSpan::disabled(), SpanContext::empty_context());
        };
        let extracted = extract(&current, carrier);
        let read = extracted.span().span_context().clone();
        let record = &mut |_: &mut Attributes<'_>| {};
        let span = self.serve_extracted(
            rpc,
            carrier,
            &current,
            extracted,
            public,
            call,
            Vec::new,
            record,
        );
        if !public {
            return (span, read);
        }
        match span.body_context() {
            Some(ours) => inject(ours, &mut AsInjector(carrier), Replacing::All),
            None => without_propagated_context(carrier),
        }
        let read = extract(&current, carrier).span().span_context().clone();
        (span, read)
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "serve's own arguments, and what it read"
    )]
    fn serve_extracted<C: Extract + ?Sized>(
        &'static self,
        rpc: &RpcMeta,
        carrier: &C,
        current: &Context,
        extracted: Context,
        public: bool,
        call: CallKind,
        links: impl FnOnce() -> Vec<Link>,
        record: &mut Record<'_>,
    ) -> ActiveSpan {
        let mut caller = None;
        // Read once: an installation meanwhile does not make this call half one,
        // half the other.
        let recording = crate::route::is_enabled();
        let (parent, measured) = match crate::panic::contained(|| carrier.served_under()).flatten()
        {
            // The layer measures the request (its duration ends with the response
            // body): measured here too, it would be counted twice. Unless the
            // layer's names less than this one would.
            Some((layer, read, measured)) if read == extracted.span().span_context() => (
                under_server_layer(current, layer, extracted),
                if measured.covers(&rpc.protocol) {
                    Measured::ByLayer
                } else {
                    Measured::Here
                },
            ),
            // Nothing of the caller's but a link (a handler behind a layer is the
            // layer's child, as always).
            _ if public => {
                let root;
                (root, caller) = public_root(extracted);
                (root, Measured::Here)
            }
            _ if !recording => (passed_on(current, extracted), Measured::Here),
            _ => (extracted, Measured::Here),
        };
        let parent = crate::route::CaptureRoute::joined(parent);
        if !recording {
            return ActiveSpan::passthrough(parent);
        }
        let target = target_of(|| carrier.target());
        let mut links = links();
        links.extend(caller);
        let start = self.boundary_start(rpc, &target, None, links, measured);
        self.start_under(start, parent, call, record)
    }

    /// Opens the client span of a boundary, a child of `parent`; the caller
    /// injects its context into the request with [`ActiveSpan::inject`] once the
    /// baggage the body adds is known. `server` is `server = "host:port"`.
    #[allow(
        clippy::too_many_arguments,
        reason = "the expansion's one call; each argument is one option"
    )]
    pub fn call<C: Inject + ?Sized>(
        &'static self,
        rpc: &RpcMeta,
        carrier: &C,
        server: Option<&str>,
        parent: Parent<'_>,
        call: CallKind,
        links: impl FnOnce() -> Vec<Link>,
        record: impl FnOnce(&mut Attributes<'_>),
    ) -> ActiveSpan {
        if !crate::route::is_enabled() || !crate::thread_exit::context_reachable() {
            return ActiveSpan::disabled();
        }
        let target = target_of(|| carrier.target());
        let start = SpanStart {
            root: self.is_root(),
            ..self.boundary_start(rpc, &target, server, links(), Measured::Here)
        };
        let record = &mut record_once(record);
        self.start_enabled(start, parent, call, Attach::Explicit, record)
    }

    /// Opens the span of a messaging `process` (CONSUMER): a child of the current
    /// span when there is one, else of the message's creation context, which it
    /// links to either way (semconv v1.44: "Process" spans link to the creation
    /// context of the message they handle, and may use it as their parent for a
    /// single message when processing happens in the scope of no other span). The
    /// body sees the message's baggage either way.
    ///
    /// `server` is the broker's `server = ..`, which the expansion evaluates only
    /// when tracing is on: it calls [`Callsite::pass_message`] instead when it is
    /// off.
    #[allow(
        clippy::too_many_arguments,
        reason = "the expansion's one call; each argument is one option"
    )]
    pub fn consume<C: Extract + ?Sized>(
        &'static self,
        rpc: &RpcMeta,
        carrier: &C,
        server: Option<&str>,
        call: CallKind,
        links: impl FnOnce() -> Vec<Link>,
        record: impl FnOnce(&mut Attributes<'_>),
    ) -> ActiveSpan {
        // `root`: a producer not trusted (a public queue's) has its message
        // linked to, not continued, and its baggage kept from the body, which
        // starts a new trace under the worker's context.
        let root = self.is_root();
        let contexts = if root {
            crate::thread_exit::current().map(|current| (extract(&current, carrier), current))
        } else {
            consumed_contexts(carrier)
        };
        let Some((created, parent)) = contexts else {
            return ActiveSpan::disabled();
        };
        if !crate::route::is_enabled() {
            return ActiveSpan::passthrough(parent);
        }
        let mut links = links();
        links.extend(link_to(&created));
        let mut start = self.boundary_start(
            rpc,
            &RequestTarget::default(),
            server,
            links,
            Measured::Here,
        );
        start.root = root;
        self.start_under(start, parent, call, &mut record_once(record))
    }

    /// What a `process` of the message in `carrier` runs under when tracing is off
    /// (as [`Callsite::consume`] passes it through): the message's context and
    /// baggage, so that an untraced consumer does not break the trace; a `root`
    /// one's body runs as without the annotation.
    pub fn pass_message<C: Extract + ?Sized>(&'static self, carrier: &C) -> ActiveSpan {
        if self.is_root() {
            return ActiveSpan::disabled();
        }
        match consumed_contexts(carrier) {
            Some((_, parent)) => ActiveSpan::passthrough(parent),
            None => ActiveSpan::disabled(),
        }
    }

    /// Opens the span of a messaging operation that takes its parent from the
    /// caller, not from a message: `send`, `receive`, `settle`, and `process` over a
    /// batch; `links` holds the messages' creation contexts where known. `server`
    /// is the broker's `server = ..`.
    #[allow(
        clippy::too_many_arguments,
        reason = "the expansion's one call; each argument is one option"
    )]
    pub fn message(
        &'static self,
        rpc: &RpcMeta,
        server: Option<&str>,
        parent: Parent<'_>,
        call: CallKind,
        links: impl FnOnce() -> Vec<Link>,
        record: impl FnOnce(&mut Attributes<'_>),
    ) -> ActiveSpan {
        if !crate::route::is_enabled() || !crate::thread_exit::context_reachable() {
            return ActiveSpan::disabled();
        }
        // A batch's links, one to each message's creation context, are cut here
        // rather than by the SDK, which would keep the room of all.
        let mut links = links();
        let cut = super::batch::cut_to_link_limit(&mut links, super::LINK_COUNT_LIMIT.get());
        let start = SpanStart {
            root: self.is_root(),
            ..self.boundary_start(
                rpc,
                &RequestTarget::default(),
                server,
                links,
                Measured::Here,
            )
        };
        let record = &mut record_once(record);
        let mut span = self.start_enabled(start, parent, call, Attach::Explicit, record);
        span.add_cut_links(cut);
        span
    }

    /// Starts a span under `parent`, a context read from a request or a message,
    /// which is current while the arguments are recorded (so `baggage(..)` reads
    /// its baggage) and stays the body's context when nothing records.
    fn start_under(
        &'static self,
        start: SpanStart,
        parent: Context,
        call: CallKind,
        record: &mut Record<'_>,
    ) -> ActiveSpan {
        let span = {
            let _parent = parent.clone().attach();
            self.start_enabled(
                start,
                Parent::Context(Cow::Borrowed(&parent)),
                call,
                Attach::Attached,
                record,
            )
        };
        span.or_passthrough(parent)
    }

    /// The start of a boundary span: its name by the conventions, the attributes
    /// samplers see, its links, and its tally (its duration is measured from here,
    /// unless a layer measures the call).
    fn boundary_start(
        &'static self,
        rpc: &RpcMeta,
        target: &RequestTarget<'_>,
        server: Option<&str>,
        links: Vec<Link>,
        measured: Measured,
    ) -> SpanStart {
        let attributes = attributes(rpc, target, server);
        let timing = match measured {
            Measured::Here => crate::metrics::time_boundary(rpc, &attributes),
            Measured::ByLayer => None,
        };
        let name = span_name(rpc, target);
        let tally = match measured {
            Measured::Here => Tally::for_call(|| self.counts_named(&name), timing),
            // The layer counts the call, for an adaptive sampler too: counted
            // here again, under the same name, a request would be two calls.
            Measured::ByLayer => None,
        };
        SpanStart {
            name,
            links,
            attributes,
            tally,
            // A server's or a single message's parent is decided before: its
            // request's, or its new trace ([`public_root`]).
            root: false,
        }
    }
}

/// Where a boundary call's duration is measured.
#[derive(Clone, Copy)]
enum Measured {
    Here,
    /// By the server layer that served the request.
    ByLayer,
}

/// The creation context the message in `carrier` holds, and the context its
/// `process` runs under: the current span's when there is one, else the
/// creation context's, with the message's baggage either way (a tenant its
/// producer set reaches the handler: the message carried it for this call).
/// `None` where no context is reachable (a thread's exit).
fn consumed_contexts<C: Extract + ?Sized>(carrier: &C) -> Option<(Context, Context)> {
    // Read from a clone, as `serve` reads.
    let current = crate::thread_exit::current()?;
    let created = extract(&current, carrier);
    let parent = if !current.span().span_context().is_valid() {
        // The message's context, and the worker's baggage under its own.
        if current.baggage().is_empty() {
            created.clone()
        } else {
            created.with_baggage(crate::baggage::merged_baggage(
                current.baggage(),
                created.baggage(),
            ))
        }
    } else {
        crate::baggage::merged(&current, created.baggage())
    };
    Some((created, crate::route::CaptureRoute::joined(parent)))
}

/// Removes the global propagator's fields from `carrier` (a public endpoint's
/// request): nothing of an untrusted caller's context goes on from here, and
/// nothing of ours goes to a service outside. A
/// propagator whose `fields` panics leaves the fields after the panic; one that
/// reads headers it does not list (Jaeger's `uberctx-*` baggage) leaves those.
#[cfg(feature = "http")]
pub(crate) fn without_propagated_context<C: Inject + ?Sized>(carrier: &mut C) {
    inject(&Context::new(), &mut AsInjector(carrier), Replacing::All);
}

/// What a public endpoint's server span starts under, of the context `extracted`
/// from its request: a new trace (in the capture of the caller's, where a test's
/// capture started it), nothing of the caller's, and the link to the caller's
/// span, if it named one.
fn public_root(extracted: Context) -> (Context, Option<Link>) {
    let caller = link_to(&extracted);
    let root = boundary_base(&crate::route::CaptureRoute::joined(extracted));
    (root, caller)
}

/// A link to the span `context` holds, if it is valid.
fn link_to(context: &Context) -> Option<Link> {
    let span = context.span().span_context().clone();
    span.is_valid().then(|| Link::with_context(span))
}

/// The link to the creation context a message's headers carry, if they carry a
/// valid one (read with the global propagator; none where reading them panics).
pub fn creation_link<C: Extract + ?Sized>(headers: &C) -> Option<Link> {
    // Read from a clone, as `serve` reads.
    let current = crate::thread_exit::current()?;
    link_to(&extract(&current, headers))
}

impl ActiveSpan {
    /// Writes the context the body runs under (the client span, the baggage) into
    /// `carrier` with the global propagator, before the request leaves.
    pub fn inject<C: Inject + ?Sized>(&self, carrier: &mut C) {
        let mut injector = AsInjector(carrier);
        match self.body_context() {
            Some(context) => {
                // Noted by our propagators too; not by one the application set.
                crate::console::note_sent(context.span().span_context());
                inject(context, &mut injector, Replacing::Own);
            }
            None => {
                // Written from a clone: the carrier's code runs meanwhile.
                if let Some(current) = crate::thread_exit::current() {
                    inject(&current, &mut injector, Replacing::Own);
                }
            }
        }
    }
}

impl ActiveSpan {
    /// Writes the context the body runs under into a message that carries no
    /// creation context yet, as [`ActiveSpan::inject`] writes a request's, but for
    /// the baggage the message carries (the producer's entries, a priority): kept
    /// for the keys the call's baggage does not have. The call's win: a value
    /// `set_baggage` verified is not replaced by one the message was made with
    /// (from a copy of an incoming request's headers, say).
    pub fn inject_message<C: Extract + Inject + ?Sized>(&self, carrier: &mut C) {
        // Read only where the body has baggage to write over it: the message's
        // own entries but for the keys `set_baggage` left out (a value refused),
        // whose value in the carrier must not travel on.
        // (Or where it left a key out, with nothing else: the carrier's field is
        // replaced, and must keep the message's other entries.)
        let left_out = |ours: &Context| match ours.get::<crate::baggage::KeysLeftOut>() {
            Some(left_out) => Some(left_out.0.clone()),
            None => (!ours.baggage().is_empty()).then(Vec::new),
        };
        let carried = (self.under_body_context(left_out).flatten())
            .map(|left_out| carried_baggage_but(&*carrier, &left_out));
        self.inject(carrier);
        if let Some(carried) = carried.filter(|carried| !carried.baggage().is_empty()) {
            self.write_baggage_over(carrier, |_| carried, Winning::Call);
        }
    }

    /// Writes the baggage the body runs under into `carrier`, and nothing of its
    /// span: a message that already carries its creation context keeps it, and
    /// still takes the baggage of the call that sends it (as a server's request
    /// would), under the baggage it carries: that is the creation context's
    /// (a tenant set where the message was made), which the conventions say is
    /// not modified. Baggage the carrier holds stays as it is when the body has
    /// none.
    pub fn inject_baggage<C: Extract + Inject + ?Sized>(&self, carrier: &mut C) {
        self.write_baggage_over(carrier, carried_baggage, Winning::Message);
    }

    /// Writes the body's baggage into `carrier` merged with the one `carried`
    /// reads (only where the body has some), `winning`'s entries winning where
    /// both have a key; nothing where the body has none.
    fn write_baggage_over<C: Inject + ?Sized>(
        &self,
        carrier: &mut C,
        carried: impl FnOnce(&C) -> Context,
        winning: Winning,
    ) {
        let under_the_messages = |ours: &Context| {
            // A new message's own entries are written whatever the call has.
            if ours.baggage().is_empty() && winning == Winning::Message {
                return None;
            }
            let theirs = carried(&*carrier);
            let merged = match winning {
                Winning::Message => {
                    crate::baggage::merged_baggage(ours.baggage(), theirs.baggage())
                }
                Winning::Call => crate::baggage::merged_baggage(theirs.baggage(), ours.baggage()),
            };
            Some(Context::new().with_baggage(merged))
        };
        if let Some(baggage) = self.under_body_context(under_the_messages).flatten() {
            inject(&baggage, &mut AsInjector(carrier), Replacing::Own);
        }
    }

    /// `read` of the context the body runs under: its own, or the current one
    /// (none on a thread past its context).
    fn under_body_context<R>(&self, read: impl FnOnce(&Context) -> R) -> Option<R> {
        match self.body_context() {
            Some(context) => Some(read(context)),
            // Read from a clone: the carrier's code runs meanwhile.
            None => crate::thread_exit::current().map(|current| read(&current)),
        }
    }
}

/// Whose baggage entries win where a message and the call sending it both have
/// a key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Winning {
    /// The message's: its creation context's, which the conventions say is not
    /// modified.
    Message,
    /// The call's: a new message's own entries are kept for the other keys.
    Call,
}

/// The baggage a message carries, read as a consumer reads it.
fn carried_baggage<C: Extract + ?Sized>(carrier: &C) -> Context {
    extract(&Context::new(), carrier)
}

/// The baggage a message carries but the entries of `left_out`'s keys.
fn carried_baggage_but<C: Extract + ?Sized>(carrier: &C, left_out: &[Key]) -> Context {
    let carried = carried_baggage(carrier);
    if left_out.is_empty() {
        return carried;
    }
    Context::new().with_baggage(crate::baggage::copied(carried.baggage(), |key| {
        !left_out.contains(key)
    }))
}

/// Which of a carrier's fields [`inject`] replaces.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Replacing {
    /// Those `context` has its own of (below).
    Own,
    /// All of them, whatever `context` holds: a public endpoint's request, of
    /// which nothing of an untrusted caller's goes on.
    All,
}

/// Writes `context` with the global propagator. A context with a span replaces
/// the fields that describe the span (`traceparent`, `tracestate`, another
/// propagator's), so that what the carrier held (a gateway's copy of the incoming
/// headers) does not travel beside it; `baggage` is the application's to forward
/// and stays unless the context has its own, or left out a key `set_baggage` set
/// ([`KeysLeftOut`](crate::baggage::KeysLeftOut): the carrier's value for it must
/// not travel on). A context without a span leaves the other fields as they are,
/// whatever the application put there. A carrier whose writing
/// panics (the application's `Inject`, on a header it did not expect) is left as
/// far as it got: the call goes on, as it would have run uninstrumented.
fn inject<C: Inject + ?Sized>(
    context: &Context,
    injector: &mut AsInjector<'_, C>,
    replacing: Replacing,
) {
    crate::panic::contained(|| {
        with_propagator(|propagator| {
            let replaces_span = context.span().span_context().is_valid();
            let replaces_baggage = context.get::<crate::baggage::KeysLeftOut>().is_some();
            for field in propagator.fields() {
                let replaced = replacing == Replacing::All
                    || if field.eq_ignore_ascii_case("baggage") {
                        replaces_baggage
                    } else {
                        replaces_span
                    };
                if replaced {
                    injector.0.remove(field);
                }
            }
            propagator.inject_context(context, injector);
        });
    });
}

/// What a carrier knows of its request, nothing where the application's
/// `target()` panics (the call goes on, as it would have run uninstrumented).
fn target_of<'a>(target: impl FnOnce() -> RequestTarget<'a>) -> RequestTarget<'a> {
    let target = crate::panic::contained(target).unwrap_or_default();
    // The texts recorded as they are, cut here; the others are parsed or put
    // together first (a host and its port, a URL to redact), and cut as recorded.
    let cut = |text: Option<&'a str>| text.map(as_received);
    RequestTarget {
        user_agent: cut(target.user_agent),
        forwarded_for: cut(target.forwarded_for),
        ..target
    }
}

/// The context a server continues: what the global propagator finds in `carrier`
/// over a context that keeps nothing of the current one but the capture route, so
/// that an invalid `traceparent` starts a new trace, as W3C says, rather than
/// continuing whatever span happens to be current. A carrier whose reading panics
/// (the application's `Extract`, on a header it did not expect) holds nothing:
/// the call goes on in a new trace, as it would have run uninstrumented.
pub(crate) fn extract<C: Extract + ?Sized>(current: &Context, carrier: &C) -> Context {
    let base = boundary_base(current);
    crate::panic::contained(|| {
        with_propagator(|propagator| propagator.extract_with_context(&base, &AsExtractor(carrier)))
    })
    .unwrap_or(base)
}

/// The span name of the conventions: `pkg.Service/Method` for gRPC (`grpc` when
/// the method is not known); `{method} {route}` for an HTTP server, `{method}` or `{method}
/// {url.template}` for a client, `HTTP` standing for a method that is unknown or
/// not standard.
pub(crate) fn span_name(rpc: &RpcMeta, target: &RequestTarget<'_>) -> Cow<'static, str> {
    match &rpc.protocol {
        // A method the layer cannot name: the system's name (conventions v1.44).
        Protocol::Grpc { method } if method == "_OTHER" => {
            Cow::Borrowed(super::UNKNOWN_GRPC_METHOD_NAME)
        }
        // Borrowed from the call site's `static` for the attribute: no copy.
        Protocol::Grpc { method } => method.clone(),
        Protocol::Messaging { name, .. } => name.clone(),
        Protocol::Http { route, template } => {
            let method = standard_method(target.method).unwrap_or("HTTP");
            let path = match rpc.side {
                Side::Server => route,
                Side::Client => template,
            };
            match path {
                Some(path) => Cow::Owned(format!("{method} {path}")),
                None => Cow::Borrowed(method),
            }
        }
    }
}

/// The attributes a boundary span has from its start.
pub(crate) fn attributes(
    rpc: &RpcMeta,
    target: &RequestTarget<'_>,
    server: Option<&str>,
) -> Vec<KeyValue> {
    // Room for every attribute of the side and protocol: one allocation.
    let capacity = match (&rpc.protocol, rpc.side) {
        (Protocol::Http { .. }, Side::Server) => 13,
        (Protocol::Grpc { .. }, Side::Server) => 11,
        (Protocol::Messaging { .. }, _) => 7,
        _ => 6,
    };
    let mut attributes = Vec::with_capacity(capacity);
    match &rpc.protocol {
        Protocol::Messaging {
            operation,
            operation_name,
            system,
            destination,
            consumer_group,
            ..
        } => {
            attributes.push(KeyValue::new(
                "messaging.system",
                Value::from(system.clone()),
            ));
            attributes.push(KeyValue::new("messaging.operation.type", operation.name()));
            attributes.push(KeyValue::new(
                "messaging.operation.name",
                Value::from(operation_name.clone()),
            ));
            if let Some(destination) = destination {
                attributes.push(KeyValue::new(
                    "messaging.destination.name",
                    Value::from(destination.clone()),
                ));
            }
            if let Some(group) = consumer_group {
                attributes.push(KeyValue::new(
                    "messaging.consumer.group.name",
                    Value::from(group.clone()),
                ));
            }
            if let Some((address, port)) = server.and_then(broker_host_port) {
                push_server(&mut attributes, address, port);
            }
        }
        Protocol::Grpc { method } => {
            attributes.push(KeyValue::new("rpc.system.name", "grpc"));
            attributes.push(KeyValue::new("rpc.method", Value::from(method.clone())));
            // A path that names no method (the layers' `_OTHER`) is kept as sent.
            if method == "_OTHER"
                && let Some(path) = target.path
            {
                let original = path.strip_prefix('/').unwrap_or(path);
                let original = as_received(original).to_owned();
                attributes.push(KeyValue::new("rpc.method_original", original));
            }
            if emits_legacy_rpc() {
                attributes.push(KeyValue::new("rpc.system", "grpc"));
                if let Some((service, _)) = method.rsplit_once('/') {
                    attributes.push(KeyValue::new("rpc.service", service.to_owned()));
                }
            }
            match rpc.side {
                Side::Client => {
                    if let Some((address, port)) = server_host_port(server, target) {
                        push_server(&mut attributes, address, port);
                    }
                }
                Side::Server => {
                    // The server the client asked for (recommended): HTTP/2's
                    // `:authority` (a tonic handler has it from `GrpcLayer`, or a
                    // `host` header), as a proxy forwarded it first; its port only
                    // where written, as the gRPC conventions say.
                    let asked = target.forwarded_host.or(target.authority);
                    if let Some((address, port)) = asked.and_then(|asked| host_port(asked, None)) {
                        push_server(&mut attributes, address, port);
                    }
                    push_peer_and_client(&mut attributes, target, ClientPort::Recorded);
                }
            }
        }
        Protocol::Http { route, template } => {
            push_method(&mut attributes, target.method);
            match rpc.side {
                Side::Server => {
                    if let Some(route) = route {
                        attributes.push(KeyValue::new("http.route", Value::from(route.clone())));
                    }
                    // None in a `CONNECT`'s authority-form target (`shop.example:443`).
                    if let Some(path) = target.path.filter(|path| !path.is_empty()) {
                        let path = as_received(path).to_owned();
                        attributes.push(KeyValue::new("url.path", path));
                    }
                    // Conditionally required: when the request had one.
                    if let Some(query) = target.query {
                        let mut redacted = String::with_capacity(query.len());
                        crate::redact::push_redacted_query(&mut redacted, query);
                        attributes.push(KeyValue::new("url.query", received(redacted)));
                    }
                    // Required: `http` when nothing says (an HTTP/1.1 request
                    // names no scheme).
                    let scheme = target.scheme.unwrap_or("http");
                    attributes.push(KeyValue::new("url.scheme", scheme.to_owned()));
                    // The server the client asked for: as a proxy says it, else as
                    // the request names it (`Host`); the port a known scheme
                    // implies when none is written, but none from the guess above:
                    // a server may terminate TLS itself.
                    let asked = RequestTarget {
                        authority: target.forwarded_host.or(target.authority),
                        ..*target
                    };
                    if let Some((address, port)) = server_host_port(None, &asked) {
                        push_server(&mut attributes, address, port);
                    }
                    // `client.port` is opt-in in the HTTP conventions.
                    push_peer_and_client(&mut attributes, target, ClientPort::Left);
                    if let Some(agent) = target.user_agent {
                        attributes.push(KeyValue::new("user_agent.original", agent.to_owned()));
                    }
                }
                Side::Client => {
                    let target = &client_target(target, server);
                    let url = full_url(target);
                    // The server a web `url.full` names, when there is one (not a
                    // connector's `unix://` URL of a socket, which `server` names).
                    let named = url.is_some() && target.scheme.is_some_and(is_web);
                    let server = server.filter(|_| !named);
                    if let Some(url) = url {
                        attributes.push(KeyValue::new("url.full", received(url)));
                    }
                    if let Some((address, port)) = server_host_port(server, target) {
                        push_server(&mut attributes, address, port);
                    }
                    if let Some(template) = template {
                        attributes
                            .push(KeyValue::new("url.template", Value::from(template.clone())));
                    }
                    // Only a request sent again says it (the conventions: not 0).
                    if let Some(resent) = target.resend_count.filter(|count| *count > 0) {
                        attributes.push(KeyValue::new(
                            "http.request.resend_count",
                            i64::from(resent),
                        ));
                    }
                }
            }
            // A server's as the request came; a client's from its reply (the
            // request says what was asked, not what was negotiated).
            if rpc.side == Side::Server
                && let Some(version) = target.protocol_version
            {
                attributes.push(KeyValue::new(
                    "network.protocol.version",
                    version.to_owned(),
                ));
            }
        }
    }
    attributes
}

fn standard_method(method: Option<&str>) -> Option<&'static str> {
    let method = method?;
    known_methods()
        .iter()
        .copied()
        .find(|known| *known == method)
}

fn push_method(attributes: &mut Vec<KeyValue>, method: Option<&str>) {
    match (standard_method(method), method) {
        (Some(known), _) => attributes.push(KeyValue::new("http.request.method", known)),
        (None, original) => {
            attributes.push(KeyValue::new("http.request.method", "_OTHER"));
            if let Some(original) = original {
                attributes.push(KeyValue::new(
                    "http.request.method_original",
                    as_received(original).to_owned(),
                ));
            }
        }
    }
}

/// Whether a server records `client.port` (the RPC conventions recommend it, the
/// HTTP conventions leave it opt-in).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientPort {
    Recorded,
    Left,
}

/// A server's `network.peer.address` and `network.peer.port` (of its
/// connection; an IPv4 address as such, not mapped into IPv6), and the original
/// client: `client.address` as a proxy says it, else the peer if no proxy
/// forwarded the request (one naming no client, or `unknown`, is not the client);
/// `client.port` only of the peer (a proxy's `for=` port is its own choice).
fn push_peer_and_client(
    attributes: &mut Vec<KeyValue>,
    target: &RequestTarget<'_>,
    port: ClientPort,
) {
    let peer = target.peer.map(|peer| {
        let address = Value::from(peer.ip().to_canonical().to_string());
        attributes.push(KeyValue::new("network.peer.address", address.clone()));
        attributes.push(KeyValue::new("network.peer.port", i64::from(peer.port())));
        (address, peer.port())
    });
    match (target.forwarded_for, peer) {
        (Some(client), _) => {
            attributes.push(KeyValue::new("client.address", client.to_owned()));
        }
        (None, Some((address, peer_port))) if !target.forwarded => {
            attributes.push(KeyValue::new("client.address", address));
            if port == ClientPort::Recorded {
                attributes.push(KeyValue::new("client.port", i64::from(peer_port)));
            }
        }
        _ => {}
    }
}

fn push_server(attributes: &mut Vec<KeyValue>, address: &str, port: Option<u16>) {
    // At most what a formatted value holds (a peer's host may be long), but not
    // to the span's value length limit: the metrics of clients and brokers carry
    // it, an application's `server = ..` too, which the span limit does not cut.
    let address = crate::value::text_within(address, crate::value::MAX_FORMATTED_CHARS);
    attributes.push(KeyValue::new("server.address", address.to_owned()));
    if let Some(port) = port {
        attributes.push(KeyValue::new("server.port", i64::from(port)));
    }
}

/// The server a client calls: the one it was told (`server = ..`, a layer's
/// `calling(..)`), which may be written as a URL (`http://inventory:50051`, as
/// tonic endpoints are) or as a gRPC target name ([`grpc_target`]), or else the
/// request's authority; the port the scheme implies when none is written (none
/// when what is written is not a port).
fn server_host_port<'a>(
    server: Option<&'a str>,
    target: &RequestTarget<'a>,
) -> Option<(&'a str, Option<u16>)> {
    if let Some(named) = server.and_then(grpc_target) {
        return named;
    }
    let (scheme, authority) = match server {
        Some(server) => url_authority(server),
        None => (None, target.authority?),
    };
    host_port(authority, scheme.or(target.scheme))
}

/// The broker a messaging call talks to, from its `server = ..`: `host:port`, a
/// URL (`amqp://user@rabbit/vhost`, its scheme implying the port when none is
/// written), or the first of a list (Kafka's `bootstrap.servers`,
/// `kafka-1:9092,kafka-2:9092`, empty members skipped: the conventions record one
/// address, and which broker a client library picks is not known here). A URL
/// that starts the text is read before its list (its user information may hold a
/// comma: `amqp://user:pa,ss@rabbit`, `PLAINTEXT://a:9092,PLAINTEXT://b:9092`);
/// else each member may be a URL of its own (`a:9092,SASL_SSL://b:9092`). (The
/// macro checks a literal by the same rules.)
fn broker_host_port(server: &str) -> Option<(&str, Option<u16>)> {
    let written = server.trim();
    let (scheme, hosts) = if starts_with_url(written) {
        let (scheme, authority) = url_authority(written);
        let hosts = authority
            .rsplit_once('@')
            .map_or(authority, |(_, hosts)| hosts);
        (scheme, hosts)
    } else {
        (None, written)
    };
    let first = hosts
        .split(',')
        .map(str::trim)
        .find(|member| !member.is_empty())?;
    let (own_scheme, authority) = url_authority(first);
    host_port(authority, own_scheme.or(scheme))
}

/// Whether `written` is a URL before any `,` of a list.
fn starts_with_url(written: &str) -> bool {
    match (written.find("://"), written.find(',')) {
        (Some(scheme_end), Some(comma)) => scheme_end < comma,
        (scheme_end, None) => scheme_end.is_some(),
        (None, Some(_)) => false,
    }
}

/// The scheme and the authority of `written` when it is a URL, else `written`
/// itself as the authority.
fn url_authority(written: &str) -> (Option<&str>, &str) {
    match written.split_once("://") {
        Some((scheme, rest)) => (
            Some(scheme),
            rest.split(['/', '?', '#']).next().unwrap_or(rest),
        ),
        None => (None, written),
    }
}

/// The address and port of `authority`; the port `scheme` implies when none is
/// written (none when what is written is not a port).
fn host_port<'a>(authority: &'a str, scheme: Option<&str>) -> Option<(&'a str, Option<u16>)> {
    let (host, written) = split_host_port(authority)?;
    // An empty port is the scheme's (RFC 3986 §6.2.3: `http://shop:/`). Digits
    // only (`u16`'s parser takes a `+`).
    let port = match written.filter(|written| !written.is_empty()) {
        Some(written) if written.bytes().all(|b| b.is_ascii_digit()) => written.parse().ok(),
        Some(_) => None,
        None => scheme.and_then(default_port),
    };
    Some((host, port))
}

/// The port a URL's scheme implies: HTTP's, and those of the messaging protocols
/// whose URI schemes define one (AMQP 0-9-1's `amqp`/`amqps`, MQTT's).
fn default_port(scheme: &str) -> Option<u16> {
    const DEFAULT_PORTS: [(&str, u16); 6] = [
        ("http", 80),
        ("https", 443),
        ("amqp", 5672),
        ("amqps", 5671),
        ("mqtt", 1883),
        ("mqtts", 8883),
    ];
    DEFAULT_PORTS
        .iter()
        .find(|(known, _)| scheme.eq_ignore_ascii_case(known))
        .map(|&(_, port)| port)
}

/// The server of a gRPC target name (gRPC's naming document), `None` when `server`
/// is none: `dns:[//dns-server/]host[:port]` names `host` (not the DNS server it
/// is resolved by), as `passthrough:` and `xds:` name theirs, `ipv4:` and `ipv6:`
/// the first of their addresses, and `unix:path`, `unix:///path` and
/// `unix-abstract:name` the socket, as the conventions have a Unix socket's path
/// for `server.address`, without a port. A host named like a scheme with its
/// port (`dns:53`) is `host:port`. (The macro checks a literal by the same rules.)
fn grpc_target(server: &str) -> Option<Option<(&str, Option<u16>)>> {
    let (scheme, rest) = server.split_once(':')?;
    if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let named = || match rest.strip_prefix("//") {
        Some(with_authority) => with_authority.split_once('/').map_or("", |(_, name)| name),
        None => rest,
    };
    let is = |known: &str| scheme.eq_ignore_ascii_case(known);
    Some(if is("dns") || is("passthrough") || is("xds") {
        host_port(named(), None)
    } else if is("ipv4") || is("ipv6") {
        host_port(rest.split(',').next().unwrap_or(rest), None)
    } else if is("unix") || is("unix-abstract") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        (!path.is_empty()).then_some((path, None))
    } else {
        return None;
    })
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` (user information dropped) as the
/// address and the port as written; `None` when there is no host.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, rest)| rest);
    let (host, port) = if let Some(rest) = host_port.strip_prefix('[') {
        // Anything but `:port` after the brackets is no port either: written
        // with the bracket (`]8080`), it reads as none.
        let (host, after) = rest.split_once(']')?;
        let port =
            (!after.is_empty()).then(|| after.strip_prefix(':').unwrap_or(&rest[host.len()..]));
        (host, port)
    } else {
        match host_port.split_once(':') {
            // Two colons or more: an IPv6 address out of its brackets, which
            // says no port that can be told from its last group.
            Some((_, rest)) if rest.contains(':') => (host_port, None),
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some((host, port))
}

/// The context a server's body runs under where nothing records (no span is
/// made, no root started): the context `extracted` from the request, but where it
/// names no trace the current one goes on (a middleware's span, the
/// application's own provider's, made around the handler), with the request's
/// baggage over its own. (Where a span is made, the request decides its parent
/// alone, as W3C has it: a new root where it names no trace.)
fn passed_on(current: &Context, extracted: Context) -> Context {
    if extracted.span().span_context().is_valid() || !current.span().span_context().is_valid() {
        return extracted;
    }
    crate::baggage::merged(current, extracted.baggage())
}

/// The parent of a server span whose request a server layer (`HttpLayer`,
/// `GrpcLayer`, though the README advises against the pair) served in `layer`'s
/// span, having read the request's headers already: the span current when it is
/// of the layer's trace (the layer's, or a middleware's under it), else the
/// layer's, with the baggage `extracted` from the request. One trace, not the
/// layer's and a new root or a sibling beside it.
fn under_server_layer(current: &Context, layer: &SpanContext, extracted: Context) -> Context {
    let current_trace = current.span().span_context().trace_id();
    if current_trace != TraceId::INVALID && current_trace == layer.trace_id() {
        current.clone()
    } else {
        extracted.with_remote_span_context(layer.clone())
    }
}

/// A client request's target, the origin it is sent to completed from `server =
/// ".."` when that is an `http` or `https` URL: a request in origin form (a path,
/// as a connection's `send_request` takes it) takes its scheme and, without
/// `Host`, its host. What the request names itself comes first (RFC 9110 §7.1:
/// the target URI of a request in origin form is its `Host`'s), so that `url.full`
/// and `server.address` name one server.
fn client_target<'a>(target: &RequestTarget<'a>, server: Option<&'a str>) -> RequestTarget<'a> {
    match server.map(url_authority) {
        Some((Some(scheme), authority)) if !authority.is_empty() && is_web(scheme) => {
            RequestTarget {
                scheme: target.scheme.or(Some(scheme)),
                authority: target.authority.or(Some(authority)),
                ..*target
            }
        }
        _ => *target,
    }
}

/// Whether `scheme` is `http` or `https`, in any case.
fn is_web(scheme: &str) -> bool {
    ["http", "https"]
        .iter()
        .any(|web| scheme.eq_ignore_ascii_case(web))
}

/// `url.full` of a client request: absolute, user information written
/// `REDACTED:REDACTED@` as the conventions ask, the values of credential query
/// parameters replaced by `REDACTED`. None when the carrier does not know the
/// request's path (a header map): the URL is not made up.
fn full_url(target: &RequestTarget<'_>) -> Option<String> {
    let (scheme, authority, path) = (target.scheme?, target.authority?, target.path?);
    let mut url = format!("{scheme}://");
    crate::redact::push_redacted_authority(&mut url, authority);
    url.push_str(path);
    if let Some(query) = target.query {
        url.push('?');
        crate::redact::push_redacted_query(&mut url, query);
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_span_a_carrier_keeps_the_context_it_holds() {
        // Nothing traced here: what the application put in the headers stays.
        let mut headers = std::collections::HashMap::from([
            (
                "traceparent".to_owned(),
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
            ),
            ("tracestate".to_owned(), "vendor=kept".to_owned()),
        ]);
        let before = headers.clone();
        ActiveSpan::disabled().inject(&mut headers);
        assert_eq!(headers, before);
    }

    fn target<'a>(
        method: &'a str,
        scheme: Option<&'a str>,
        authority: &'a str,
    ) -> RequestTarget<'a> {
        RequestTarget {
            method: Some(method),
            scheme,
            authority: Some(authority),
            path: Some("/users/7"),
            query: Some("page=2&sig=abc"),
            ..RequestTarget::default()
        }
    }

    fn http(side: Side, route: Option<&'static str>) -> RpcMeta {
        RpcMeta {
            side,
            protocol: Protocol::Http {
                route: route.map(Cow::Borrowed),
                template: route.map(Cow::Borrowed),
            },
        }
    }

    #[test]
    fn http_span_names_use_the_method_and_the_route_or_template() {
        let request = target("GET", None, "shop");
        let server = http(Side::Server, Some("/users/{id}"));
        assert_eq!(span_name(&server, &request), "GET /users/{id}");
        assert_eq!(span_name(&http(Side::Client, None), &request), "GET");
        let odd = target("BREW", None, "shop");
        assert_eq!(span_name(&server, &odd), "HTTP /users/{id}");
    }

    #[test]
    fn a_non_standard_method_is_other_with_the_original_kept() {
        let attributes = attributes(&http(Side::Server, None), &target("BREW", None, "s"), None);
        assert!(attributes.contains(&KeyValue::new("http.request.method", "_OTHER")));
        assert!(attributes.contains(&KeyValue::new("http.request.method_original", "BREW")));
    }

    #[test]
    fn the_known_methods_listed_replace_https_own() {
        assert_eq!(known_methods_from(None), KNOWN_METHODS);
        assert_eq!(
            known_methods_from(Some("GET, PROPFIND,,POST ")),
            ["GET", "PROPFIND", "POST"]
        );
        assert_eq!(known_methods_from(Some("")), KNOWN_METHODS);
        assert_eq!(known_methods_from(Some(" , ")), KNOWN_METHODS);
    }

    #[test]
    fn client_urls_have_user_information_and_credentials_redacted() {
        let request = target("GET", Some("https"), "ada:pw@api.example.com");
        let attributes = attributes(&http(Side::Client, None), &request, None);
        assert!(attributes.contains(&KeyValue::new(
            "url.full",
            "https://REDACTED:REDACTED@api.example.com/users/7?page=2&sig=REDACTED"
        )));
        assert!(attributes.contains(&KeyValue::new("server.address", "api.example.com")));
        assert!(attributes.contains(&KeyValue::new("server.port", 443)));
    }

    #[test]
    fn a_grpc_path_that_names_no_method_is_kept_as_the_original() {
        let grpc = |method: &'static str| RpcMeta {
            side: Side::Server,
            protocol: Protocol::Grpc {
                method: Cow::Borrowed(method),
            },
        };
        let request = target("POST", None, "shop");
        let other = attributes(&grpc("_OTHER"), &request, None);
        assert!(other.contains(&KeyValue::new("rpc.method", "_OTHER")));
        assert!(other.contains(&KeyValue::new("rpc.method_original", "users/7")));
        let known = attributes(&grpc("shop.Users/Get"), &request, None);
        assert!(
            !known
                .iter()
                .any(|attribute| attribute.key.as_str() == "rpc.method_original")
        );
    }

    #[test]
    fn authorities_split_into_address_and_port() {
        assert_eq!(split_host_port("shop:50051"), Some(("shop", Some("50051"))));
        assert_eq!(split_host_port("[::1]:8080"), Some(("::1", Some("8080"))));
        assert_eq!(split_host_port("[::1]"), Some(("::1", None)));
        assert_eq!(split_host_port("shop"), Some(("shop", None)));
        assert_eq!(split_host_port("shop:http"), Some(("shop", Some("http"))));
        assert_eq!(split_host_port(":80"), None);
        assert_eq!(split_host_port("[::1"), None);
        assert_eq!(split_host_port("::1"), Some(("::1", None)));
        assert_eq!(
            split_host_port("fe80::1:50051"),
            Some(("fe80::1:50051", None))
        );
    }

    #[test]
    fn a_port_written_wrong_is_no_port_rather_than_the_schemes() {
        let port = |authority| server_host_port(None, &target("GET", Some("http"), authority));
        assert_eq!(port("shop"), Some(("shop", Some(80))));
        assert_eq!(port("shop:8080"), Some(("shop", Some(8080))));
        assert_eq!(port("shop:99999"), Some(("shop", None)));
        assert_eq!(port("shop:abc"), Some(("shop", None)));
        assert_eq!(port("shop:+8080"), Some(("shop", None)));
        assert_eq!(port("[::1]:8080"), Some(("::1", Some(8080))));
        assert_eq!(port("[::1]junk"), Some(("::1", None)));
        assert_eq!(port("[::1]8080"), Some(("::1", None)), "no colon, no port");
        assert_eq!(port("[::1]:"), Some(("::1", Some(80))));
        assert_eq!(port("[::1]"), Some(("::1", Some(80))));
        assert_eq!(
            port("shop:"),
            Some(("shop", Some(80))),
            "empty: the scheme's"
        );
        assert_eq!(
            server_host_port(Some("https://shop:x1"), &target("GET", None, "")),
            Some(("shop", None))
        );
    }

    #[test]
    fn a_broker_is_the_first_of_a_list_and_a_urls_scheme_implies_its_port() {
        assert_eq!(
            broker_host_port("kafka-1:9092, kafka-2:9092"),
            Some(("kafka-1", Some(9092)))
        );
        assert_eq!(
            broker_host_port(" amqps://user:secret@rabbit/orders"),
            Some(("rabbit", Some(5671)))
        );
        assert_eq!(broker_host_port("MQTT://[::1]"), Some(("::1", Some(1883))));
        assert_eq!(broker_host_port("pulsar://broker"), Some(("broker", None)));
        assert_eq!(broker_host_port("nats"), Some(("nats", None)));
        assert_eq!(
            broker_host_port(",kafka-2:9092"),
            Some(("kafka-2", Some(9092)))
        );
        assert_eq!(
            broker_host_port("amqp://user:pa,ss@rabbit/orders"),
            Some(("rabbit", Some(5672))),
            "a comma in the password"
        );
        assert_eq!(
            broker_host_port("PLAINTEXT://kafka-1:9092,PLAINTEXT://kafka-2:9092"),
            Some(("kafka-1", Some(9092)))
        );
        assert_eq!(broker_host_port(" , "), None);
        assert_eq!(
            broker_host_port("kafka-1:9092,SASL_SSL://kafka-2:9093"),
            Some(("kafka-1", Some(9092)))
        );
        assert_eq!(
            broker_host_port(",amqps://rabbit"),
            Some(("rabbit", Some(5671)))
        );
    }

    #[test]
    fn grpc_target_names_give_the_server_they_name() {
        let server = |written| server_host_port(Some(written), &target("POST", None, ""));
        assert_eq!(
            server("dns:///inventory:50051"),
            Some(("inventory", Some(50051)))
        );
        assert_eq!(
            server("dns://8.8.8.8/inventory:50051"),
            Some(("inventory", Some(50051))),
            "not the DNS server"
        );
        assert_eq!(server("dns:inventory"), Some(("inventory", None)));
        assert_eq!(
            server("ipv4:10.0.0.1:50051,10.0.0.2:50051"),
            Some(("10.0.0.1", Some(50051)))
        );
        assert_eq!(server("ipv6:[::1]:50051"), Some(("::1", Some(50051))));
        assert_eq!(
            server("unix:///run/inventory.sock"),
            Some(("/run/inventory.sock", None))
        );
        assert_eq!(
            server("unix:inventory.sock"),
            Some(("inventory.sock", None))
        );
        assert_eq!(server("unix-abstract:inventory"), Some(("inventory", None)));
        assert_eq!(server("dns:///"), None);
        assert_eq!(
            server("DNS:///inventory:50051"),
            Some(("inventory", Some(50051)))
        );
        assert_eq!(
            server("passthrough:///inventory:50051"),
            Some(("inventory", Some(50051)))
        );
        assert_eq!(server("xds:///inventory"), Some(("inventory", None)));
        assert_eq!(
            server("dns:53"),
            Some(("dns", Some(53))),
            "a host named like a scheme, with its port"
        );
        // Host and port, and URLs, as before.
        assert_eq!(server("inventory:50051"), Some(("inventory", Some(50051))));
        assert_eq!(
            server("http://inventory:50051"),
            Some(("inventory", Some(50051)))
        );
    }
}
