//! Context propagation across process boundaries.
//!
//! [`Extract`] and [`Inject`] are the carriers a boundary reads and writes;
//! [`TraceContextPropagator`] is our W3C Trace Context propagator, the one
//! `OTEL_PROPAGATORS=tracecontext` (the default) installs globally.

mod carrier;
mod trace_context;

pub use carrier::{AsExtractor, AsInjector, Extract, FromExtractor, FromInjector, Inject};
pub use trace_context::TraceContextPropagator;
