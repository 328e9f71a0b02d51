//! # otel-traced
//!
//! OpenTelemetry tracing from one annotation. Put `#[traced]` on a function and each
//! call becomes a span: a child of the current context, with its scalar arguments as
//! typed attributes, its errors recorded, and ended exactly once, also when a future
//! is dropped.
//!
//! ```
//! use otel_traced::traced;
//!
//! #[traced]
//! fn checkout(order_id: u64, user: &str) -> Result<(), std::io::Error> {
//!     Ok(())
//! }
//!
//! let _guard = otel_traced::init().expect("tracing set up");
//! checkout(7, "ada").unwrap();
//! ```
//!
//! The README is the user guide; `docs/architecture.md` explains the design.

mod background;
pub mod baggage;
mod batches;
mod calls;
mod callsite;
#[cfg(feature = "catalog")]
pub mod catalog;
mod config;
mod console;
mod current;
mod future;
mod init;
mod kept;
#[cfg(feature = "log")]
pub mod log;
mod logs;
#[cfg(feature = "metrics")]
mod metrics;
#[cfg(not(feature = "metrics"))]
#[path = "metrics_off.rs"]
mod metrics;
mod notice;
#[cfg(feature = "otlp")]
mod otlp;
#[cfg(feature = "otlp")]
mod outage;
mod outcome;
mod panic;
mod processor;
pub mod propagation;
mod redact;
mod render;
mod resource;
mod route;
pub mod rpc;
mod sampling;
mod setting;
#[cfg(feature = "tokio")]
mod signal;
mod span;
#[cfg(feature = "tokio")]
mod spawn;
mod stream;
mod tally;
#[cfg(feature = "testing")]
pub mod testing;
mod thread_exit;
#[cfg(feature = "otlp")]
mod tls_files;
#[cfg(feature = "http")]
pub mod tower;
#[cfg(feature = "tracing")]
pub mod tracing;
mod value;

/// The semantic conventions our spans and metrics follow, named on their
/// instrumentation scopes so that a backend can tell the versions apart (the RPC
/// metrics changed name and unit before this one).
pub(crate) const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.44.0";

/// Writes a line of ours to stderr: a closed stderr (a pipe whose reader is gone)
/// loses the line, not the application, where `eprintln!` would panic (and abort
/// a process already unwinding when a guard drops).
pub(crate) fn tell(message: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "otel-traced: {message}");
}

/// Instruments a function: each call becomes a span. See the README for every
/// option.
pub use otel_traced_macros::traced;

/// Instruments a gRPC, HTTP or messaging boundary, server or client: the server
/// continues the caller's trace from the request's headers (a consumer's
/// `process` of one message continues its creation context when no span is
/// current, else links to it; other messaging operations link to their
/// messages'), the client (or producer) writes its context into
/// them, and both follow the RPC, HTTP and messaging semantic conventions. See
/// the README.
pub use otel_traced_macros::traced_rpc;

/// Initialises tracing for the whole of `main`: `init()` before the body, the
/// guard flushing when it returns. A bad configuration is a clear message and exit
/// code 1. Works on `fn main` and with `#[tokio::main]`, above or below it. A
/// `#[traced]` on `main` itself (by that name), below it, opens its span after the
/// initialisation, around the body (an `async fn`'s future, in either order with
/// `#[tokio::main]`, below `#[otel_traced::main]` with another runtime's attribute:
/// the tasks it spawns are not its children); on a `main` another attribute rewrites
/// (`#[paw::main]`), whose body the initialisation starts, it is an error. Its
/// one option, `crate = path`, names the runtime re-exported (as `#[traced]`'s).
///
/// ```no_run
/// #[otel_traced::main]
/// fn main() {
///     // annotated code runs here
/// }
/// ```
pub use otel_traced_macros::main;

/// Sets attributes on the current span: `record!(cache.hit = true, db.rows = n)`.
/// Keys are dotted names or string literals; `%value` records `Display`, `?value`
/// `Debug`. Setting a key again replaces its value. Values are evaluated only when
/// the span is recording.
#[macro_export]
macro_rules! record {
    ($($fields:tt)*) => {
        $crate::__private::record!($crate; $($fields)*)
    };
}

/// Adds an event to the current span: `event!("retry", attempt = n)`, fields as in
/// [`record!`], evaluated only when the span is recording.
#[macro_export]
macro_rules! event {
    ($($input:tt)*) => {
        $crate::__private::event!($crate; $($input)*)
    };
}

pub use console::{ConsoleExporter, ConsoleOutput};
pub use current::{in_span, in_span_async, set_status};
#[cfg(feature = "tokio")]
pub use signal::shutdown_signal;
#[cfg(feature = "tokio")]
pub use spawn::spawn;

/// Every annotated function of the program, sorted by function path: its span's
/// name, kind, location and attribute keys. See [`catalog::check`] and
/// [`catalog::markdown`].
#[cfg(feature = "catalog")]
pub fn catalog() -> Vec<&'static catalog::Entry> {
    catalog::entries()
}
pub use config::{Config, Exporter, Propagator, Protocol};
pub use future::Instrumented;
pub use init::{Guard, InitError, ShutdownError, init, use_global_provider};
pub use sampling::adaptive::AdaptiveSampler;
pub use value::AsAttribute;

/// The OpenTelemetry API crate, at the version this crate is built on.
pub use opentelemetry;
/// The OpenTelemetry SDK crate, at the version this crate is built on.
pub use opentelemetry_sdk as sdk;

/// What expansions of `#[traced]` call. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    /// Registers a call site's entry in the span catalog; nothing without the
    /// `catalog` feature.
    pub use crate::__otel_traced_catalog_entry as catalog_entry;
    pub use crate::baggage::{
        attribute_value as baggage_value, attribute_value_set as baggage_value_set,
        set_baggage_entry,
    };
    pub use crate::callsite::{
        CallKind, Callsite, FunctionName, LinkTarget, Parent, ParentTarget, SpanMeta, link, links,
        parent,
    };
    #[cfg(feature = "catalog")]
    pub use crate::catalog::{Entry as CatalogEntry, OTEL_TRACED_CATALOG_0_1};
    pub use crate::current::{add_event_current, record_current};
    pub use crate::future::{Instrumented, NoOutcome, output_is};
    pub use crate::outcome::{
        ErrorProbe, ErrorReport, ResultLike, ResultProbe, ViaDebug, ViaDisplay, ViaError,
        ViaErrorRef, ViaOtherResult, ViaPanicPayload, ViaResult, ViaSendErrorRef,
        ViaSharedErrorRef, ViaSyncErrorRef, ViaTypeName, type_name_of,
    };
    pub use crate::redact::with_urls_redacted;
    /// Whether any span could be recorded: the expansion evaluates `parent =` and
    /// `server =` only then.
    pub use crate::route::is_enabled as enabled;
    pub use crate::rpc::{
        BATCH_MESSAGE_COUNT, Operation, Protocol, ReceivedMessage, ReceivedMessages, ReplyProbe,
        RpcMeta, Side, StreamingProbe, ViaErrorReply, ViaMessages, ViaMessagesResult, ViaNoReply,
        ViaReply, ViaSharedErrorReply, ViaStreaming, ViaWhole, batch_creation, batch_len,
        batch_links, creation_link, message_count,
    };
    pub use crate::sampling::SampleHint;
    pub use crate::span::{ActiveSpan, Attributes, LentSpan, SpanHandle, called_once};
    pub use crate::stream::{
        InstrumentedStream, ItemProbe, ViaItem, ViaItemDebug, ViaItemError, ViaItemErrorRef,
        ViaItemErrorReply, ViaItemErrorSources, ViaItemReply, ViaItemSendErrorRef,
        ViaItemSharedErrorRef, ViaItemSharedErrorSources, ViaItemStdError, ViaItemSyncErrorRef,
        ViaItemTypeName, items_are,
    };
    pub use crate::value::{
        Arg, Explicit, ExplicitDisplay, ExplicitUrl, KindOf, NotUserAttribute, RecordedValue,
        UnknownKind, UserKindOf, ValueKind, ViaAsAttribute, ViaFallback, ViaFormat, ViaScalar,
        ViaUrlOption, ViaUrlText, ViaUrlTexts,
    };
    #[cfg(feature = "catalog")]
    pub use linkme;
    pub use opentelemetry::trace::SpanKind;
    pub use opentelemetry::{KeyValue, Value};
    /// The procedural halves of `record!` and `event!`, which take the runtime's
    /// path first.
    pub use otel_traced_macros::{event, record};

    /// What `#[otel_traced::main]` in `module` runs first: `init()`, or a clear
    /// message and exit code 1 when the configuration is wrong.
    pub fn init_for_main(module: &'static str) -> crate::Guard {
        crate::callsite::entry_in(module);
        match crate::init() {
            Ok(guard) => guard,
            Err(error) => {
                crate::tell(format_args!("tracing could not be initialised: {error}"));
                std::process::exit(1);
            }
        }
    }

    /// Formats a value with `Display` (`attrs(key = %value)`, `record!`, `event!`).
    pub fn display(value: &(impl ::core::fmt::Display + ?Sized)) -> Option<Value> {
        Some(crate::value::formatted(format_args!("{value}")))
    }

    /// Formats a value with `Debug` (`attrs(key = ?value)`, `record!`, `event!`).
    pub fn debug(value: &(impl ::core::fmt::Debug + ?Sized)) -> Option<Value> {
        Some(crate::value::formatted(format_args!("{value:?}")))
    }
}

/// Puts an entry into the span catalog (the `catalog` feature is on).
#[cfg(feature = "catalog")]
#[doc(hidden)]
#[macro_export]
macro_rules! __otel_traced_catalog_entry {
    ($entry:expr) => {
        #[$crate::__private::linkme::distributed_slice($crate::__private::OTEL_TRACED_CATALOG_0_1)]
        #[linkme(crate = $crate::__private::linkme)]
        static __OTEL_TRACED_CATALOG_ENTRY: $crate::__private::CatalogEntry = $entry;
    };
}

/// Without the `catalog` feature, entries are dropped unread.
#[cfg(not(feature = "catalog"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __otel_traced_catalog_entry {
    ($entry:expr) => {};
}

/// An annotated body keeps its own braces, and with them its crate's edition: in
/// edition 2021 the temporaries of its last expression are dropped after its
/// locals (2024 drops them first), which decides when a lock guard taken there is
/// released. (A doc test: its edition is its own, the workspace's being 2024.)
///
/// ```edition2021
/// use otel_traced::traced;
/// use std::cell::RefCell;
/// use std::future::Future as _;
///
/// thread_local! {
///     static DROPPED: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
/// }
///
/// struct Loud(&'static str);
///
/// impl Drop for Loud {
///     fn drop(&mut self) {
///         DROPPED.with(|dropped| dropped.borrow_mut().push(self.0));
///     }
/// }
///
/// impl Loud {
///     fn name(&self) -> &'static str {
///         self.0
///     }
/// }
///
/// fn plain() -> &'static str {
///     let _local = Loud("local");
///     Loud("temporary").name()
/// }
///
/// #[traced]
/// fn annotated() -> &'static str {
///     let _local = Loud("local");
///     Loud("temporary").name()
/// }
///
/// #[traced]
/// async fn annotated_async() -> &'static str {
///     let _local = Loud("local");
///     Loud("temporary").name()
/// }
///
/// fn dropped_by(call: impl FnOnce() -> &'static str) -> Vec<&'static str> {
///     DROPPED.with(|dropped| dropped.borrow_mut().clear());
///     assert_eq!(call(), "temporary");
///     DROPPED.with(|dropped| dropped.take())
/// }
///
/// let polled = || {
///     let mut future = std::pin::pin!(annotated_async());
///     let mut context = std::task::Context::from_waker(std::task::Waker::noop());
///     match future.as_mut().poll(&mut context) {
///         std::task::Poll::Ready(name) => name,
///         std::task::Poll::Pending => unreachable!("nothing to wait for"),
///     }
/// };
/// assert_eq!(dropped_by(plain), ["local", "temporary"], "edition 2021's order");
/// assert_eq!(dropped_by(annotated), ["local", "temporary"]);
/// assert_eq!(dropped_by(polled), ["local", "temporary"]);
/// ```
#[cfg(doctest)]
pub struct AnnotatedBodiesKeepTheirEdition;
