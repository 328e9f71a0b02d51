//! What the benchmarks of otel-traced share (DESIGN §7): the same trivial function
//! written for every peer ([`functions`]), the states they run in ([`state`]), one
//! loop per case that the criterion bench times, the `allocations` binary and the
//! allocation test count, and the `cpu-per-span` binary measures ([`cases`]), and the
//! counting allocator ([`alloc`]).
//!
//! `scripts/bench-report` runs all of it and writes `docs/benchmarks.md`.

pub mod alloc;
pub mod cases;
pub mod cpu;
pub mod functions;
pub mod state;

pub use cases::{Case, Peer, Workload};
pub use state::{Installed, State};
