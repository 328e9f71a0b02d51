//! Context propagation across process boundaries.
//!
//! [`Extract`] and [`Inject`] are the carriers a boundary reads and writes, and
//! [`MessageBatch`] the messages of a batch operation (`batch = messages`);
//! [`TraceContextPropagator`] and [`BaggagePropagator`] are our W3C Trace Context
//! and W3C Baggage propagators, the ones `OTEL_PROPAGATORS=tracecontext,baggage`
//! (the default) installs globally, and [`B3Propagator`] Zipkin's B3 (`b3`,
//! `b3multi`).

mod b3;
mod baggage;
mod carrier;
#[cfg(any(feature = "http", feature = "tonic"))]
mod forwarded;
#[cfg(test)]
mod headers_for_tests;
mod trace_context;

pub use crate::rpc::MessageBatch;
pub use b3::B3Propagator;
pub use baggage::BaggagePropagator;
pub(crate) use baggage::MAX_BYTES as MAX_BAGGAGE_BYTES;
pub(crate) use baggage::is_token;
#[cfg(feature = "http")]
pub(crate) use baggage::percent_decoded;
pub(crate) use baggage::{least_header_bytes as least_baggage_bytes, least_member_bytes};
#[cfg(feature = "http")]
pub use carrier::ReceivedOverTls;
pub use carrier::{
    AsExtractor, AsInjector, Extract, FromExtractor, FromInjector, Inject, NOT_UTF8, PeerAddress,
    RequestTarget, ResendCount, header_texts,
};
#[cfg(feature = "http")]
pub(crate) use carrier::{LayerMeasured, ServedUnder, answered_from, protocol_version};
#[cfg(test)]
pub(crate) use headers_for_tests::Headers;
pub use trace_context::TraceContextPropagator;
pub(crate) use trace_context::unsampled_child_flags;

use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};

/// Set once `init()` installed the configured propagators (`OTEL_PROPAGATORS`, even
/// `none`): from then on the global propagator is used as it is.
static CONFIGURED: AtomicBool = AtomicBool::new(false);

/// W3C Trace Context and Baggage: the specification's default propagators.
static DEFAULT: LazyLock<TextMapCompositePropagator> = LazyLock::new(|| {
    TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ])
});

/// The one value of a header given as `values`, without the spaces and tabs around
/// it (optional white space, as HTTP has it); `None` for a header given twice,
/// which a propagator reads as invalid.
fn one_value(values: Vec<&str>) -> Option<&str> {
    let [value] = values[..] else {
        return None;
    };
    Some(value.trim_matches([' ', '\t']))
}

/// The fields of the global propagator `init()` installed last.
static INSTALLED_FIELDS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The fields of the global propagator, sorted (a composite lists them in the
/// order of a hash set of its own).
fn global_fields() -> Vec<String> {
    let mut fields: Vec<String> = opentelemetry::global::get_text_map_propagator(|global| {
        global.fields().map(str::to_owned).collect()
    });
    fields.sort_unstable();
    fields
}

/// Records that `init()` installed the global propagator.
pub(crate) fn mark_configured() {
    *crate::route::lock(&INSTALLED_FIELDS) = global_fields();
    CONFIGURED.store(true, Ordering::Release);
}

/// Takes back what `init()` configured, where the global propagator is still
/// its: boundaries then use the W3C default, as before any `init()`
/// ([`with_propagator`]), not the propagators a guard gone left. (Told by the
/// fields, as [`set_by_application`] tells: an application's propagator of the
/// same fields as the one `init()` left, set since, is taken for that one.)
pub(crate) fn forget_configured() {
    if !CONFIGURED.swap(false, Ordering::AcqRel) {
        return;
    }
    opentelemetry::global::set_text_map_propagator(TextMapCompositePropagator::new(Vec::new()));
    crate::route::lock(&INSTALLED_FIELDS).clear();
}

/// Whether the application set a global propagator of its own (one reading
/// other fields than the one `init()` installed last, if any): an `init()` that
/// is told none keeps it. Told by the fields alone: one of the same fields as
/// ours (B3's two forms read the same), or one reading none (a no-op), is taken
/// for none of the application's.
pub(crate) fn set_by_application() -> bool {
    let fields = global_fields();
    !fields.is_empty() && *crate::route::lock(&INSTALLED_FIELDS) != fields
}

/// Runs `f` with the propagator boundaries use: the global one, or the W3C
/// default when nothing configured it (no `init()`, and the application set none),
/// so that a trace crosses services even before tracing is set up.
pub(crate) fn with_propagator<R>(mut f: impl FnMut(&dyn TextMapPropagator) -> R) -> R {
    let unset = opentelemetry::global::get_text_map_propagator(|global| {
        !CONFIGURED.load(Ordering::Acquire) && global.fields().next().is_none()
    });
    if unset {
        f(&*DEFAULT)
    } else {
        opentelemetry::global::get_text_map_propagator(f)
    }
}
