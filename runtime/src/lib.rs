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

mod callsite;
mod console;
mod current;
mod future;
mod init;
mod outcome;
mod panic;
mod processor;
mod render;
mod route;
mod span;
#[cfg(feature = "testing")]
pub mod testing;
mod value;

/// Instruments a function: each call becomes a span. See the README for every
/// option.
pub use otel_traced_macros::traced;

/// Sets attributes on the current span: `record!(cache.hit = true, db.rows = n)`.
/// Keys are dotted names or string literals; `%value` records `Display`, `?value`
/// `Debug`. Setting a key again replaces its value. Values are evaluated only when
/// the span is recording.
pub use otel_traced_macros::record;

/// Adds an event to the current span: `event!("retry", attempt = n)`, fields as in
/// [`record!`], evaluated only when the span is recording.
pub use otel_traced_macros::event;

pub use console::ConsoleExporter;
pub use current::{in_span, in_span_async, set_status};
pub use future::Instrumented;
pub use init::{Guard, InitError, ShutdownError, init};
pub use value::AsAttribute;

/// The OpenTelemetry API crate, at the version this crate is built on.
pub use opentelemetry;
/// The OpenTelemetry SDK crate, at the version this crate is built on.
pub use opentelemetry_sdk as sdk;

/// What expansions of `#[traced]` call. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::callsite::{
        CallKind, Callsite, LinkTarget, Parent, ParentTarget, SpanMeta, link, links, parent,
    };
    pub use crate::current::{add_event_current, record_current};
    pub use crate::future::Instrumented;
    pub use crate::outcome::{
        ErrorProbe, ErrorReport, ResultLike, ViaDebug, ViaDisplay, ViaError, ViaErrorRef,
        ViaSharedErrorRef, ViaTypeName,
    };
    pub use crate::span::{ActiveSpan, Attributes, SpanHandle};
    pub use crate::value::{
        Arg, Explicit, ExplicitDisplay, RecordedValue, ViaAsAttribute, ViaFallback, ViaFormat,
        ViaScalar,
    };
    pub use opentelemetry::Value;
    pub use opentelemetry::trace::SpanKind;

    /// Formats a value with `Display` (`attrs(key = %value)`, `record!`, `event!`).
    pub fn display(value: &(impl ::core::fmt::Display + ?Sized)) -> Option<Value> {
        Some(crate::value::formatted(format_args!("{value}")))
    }

    /// Formats a value with `Debug` (`attrs(key = ?value)`, `record!`, `event!`).
    pub fn debug(value: &(impl ::core::fmt::Debug + ?Sized)) -> Option<Value> {
        Some(crate::value::formatted(format_args!("{value:?}")))
    }
}
