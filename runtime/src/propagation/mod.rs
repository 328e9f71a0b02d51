//! Context propagation across process boundaries.
//!
//! [`Extract`] and [`Inject`] are the carriers a boundary reads and writes;
//! [`TraceContextPropagator`] and [`BaggagePropagator`] are our W3C Trace Context
//! and W3C Baggage propagators, the ones `OTEL_PROPAGATORS=tracecontext,baggage`
//! (the default) installs globally.

mod baggage;
mod carrier;
mod trace_context;

pub use baggage::BaggagePropagator;
pub use carrier::{AsExtractor, AsInjector, Extract, FromExtractor, FromInjector, Inject};
pub use trace_context::TraceContextPropagator;
