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
#[cfg(feature = "console")]
mod console;
mod future;
mod init;
mod outcome;
#[cfg(any(feature = "console", feature = "testing"))]
mod render;
mod route;
mod span;
#[cfg(feature = "testing")]
pub mod testing;
mod value;

/// Instruments a function: each call becomes a span. See the README for every
/// option.
pub use otel_traced_macros::traced;

#[cfg(feature = "console")]
pub use console::ConsoleExporter;
pub use init::{Guard, InitError, ShutdownError, init};
pub use value::AsAttribute;

/// The OpenTelemetry API crate, at the version this crate is built on.
pub use opentelemetry;
/// The OpenTelemetry SDK crate, at the version this crate is built on.
pub use opentelemetry_sdk as sdk;

/// What expansions of `#[traced]` call. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::callsite::{CallKind, Callsite, IntoParent, Parent, SpanMeta, parent};
    pub use crate::future::Instrumented;
    pub use crate::outcome::{
        ErrorProbe, ErrorReport, ViaDebug, ViaDisplay, ViaError, ViaErrorRef, ViaSharedErrorRef,
        ViaTypeName,
    };
    pub use crate::span::{ActiveSpan, Attributes, SpanHandle};
    pub use crate::value::{
        Arg, Explicit, ExplicitDisplay, RecordedValue, ViaAsAttribute, ViaFallback, ViaFormat,
        ViaScalar,
    };
    pub use opentelemetry::trace::SpanKind;

    /// Runs the body of a synchronous function whose `Result` is recorded: a call
    /// rather than a closure called in place, which lints flag.
    #[inline(always)]
    pub fn run_body<R>(body: impl FnOnce() -> R) -> R {
        body()
    }
}
