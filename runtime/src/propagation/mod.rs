//! Context propagation across process boundaries.
//!
//! [`TraceContextPropagator`] is our W3C Trace Context propagator, the one
//! `OTEL_PROPAGATORS=tracecontext` (the default) installs globally.

mod trace_context;

pub use trace_context::TraceContextPropagator;
