//! Zipkin's B3 propagation, as the OpenTelemetry specification's B3 requirements
//! put it: `OTEL_PROPAGATORS=b3` (one `b3` header) and `b3multi` (the `X-B3-*`
//! headers), for callers and services that speak B3 (Envoy and Istio set up for
//! Zipkin, older Spring Cloud Sleuth and Finagle services).
//!
//! Written here rather than taken from `opentelemetry-zipkin`: its propagator reads
//! the trace flag `0x02` as B3's "deferred" sampling, a flag W3C Trace Context
//! Level 2 defines as "random" and ours keeps, so a trace continued from a W3C
//! caller would go on in B3 with no sampling decision; and the crate brings the
//! Zipkin exporter's dependencies with it.
//!
//! - Extract: the single `b3` header first, `{trace id}-{span id}[-{sampling
//!   state}[-{parent span id}]]`; where it is absent or invalid, the multiple
//!   headers `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled` and `X-B3-Flags`. A trace
//!   id of 16 hexadecimal digits is padded to 32 with zeros on the left; ids all
//!   zero, a header given twice, or a `b3` holding only a sampling state (no ids to
//!   continue: a caller's `b3: 0` leaves the decision to this service's sampler, as
//!   in the Java and Go propagators) continue nothing. The debug flag (`d`, `X-B3-Flags: 1`) samples and
//!   is kept for the trace's outgoing calls, as the specification asks. With no
//!   sampling state (a decision deferred) the caller's span is read as not
//!   sampled, as the Java propagator reads it, and calls go on with `0` (Go's
//!   sends the deferral on). Read after W3C Trace Context, B3's span wins; of
//!   the same trace, the W3C `tracestate` and random flag stay, and its sampling
//!   decides where B3 has none.
//! - Inject: the span's ids and its sampling state (`d` for a debug trace), never
//!   `X-B3-ParentSpanId` (the specification: a span's id is never shared by both
//!   sides of a call). Header names are written in lowercase, as HTTP/2 has
//!   them and Go's propagator writes them: a carrier whose names are compared
//!   by case (Kafka's headers) read by Java's, which looks for `X-B3-TraceId`,
//!   takes the single `b3` header, lowercase everywhere (Brave's default for
//!   messaging).

use opentelemetry::Context;
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};

const SINGLE: &str = "b3";
const TRACE_ID: &str = "x-b3-traceid";
const SPAN_ID: &str = "x-b3-spanid";
const SAMPLED: &str = "x-b3-sampled";
const FLAGS: &str = "x-b3-flags";

/// W3C Trace Context Level 2's random flag, which B3 does not carry.
const RANDOM_FLAG: TraceFlags = TraceFlags::new(0x02);

/// A caller's, never sent (see the module's doc).
const PARENT_SPAN_ID: &str = "x-b3-parentspanid";

/// Every B3 header, whichever encoding writes: a boundary replaces them all in a
/// carrier it sends on (a gateway's copy of the incoming headers), so that none
/// of the caller's travels beside this service's.
const FIELDS: [&str; 6] = [SINGLE, TRACE_ID, SPAN_ID, SAMPLED, FLAGS, PARENT_SPAN_ID];

/// The context value marking a trace the caller asked to debug: its outgoing calls
/// say so too. The trace's id, so that a new trace started inside it is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DebugTrace(TraceId);

/// B3 propagator; `OTEL_PROPAGATORS=b3` installs it writing the single `b3`
/// header, `b3multi` writing the `X-B3-*` headers. Either reads both.
///
/// ```
/// use otel_traced::opentelemetry::propagation::TextMapPropagator as _;
/// use otel_traced::opentelemetry::trace::TraceContextExt as _;
/// use std::collections::HashMap;
///
/// let headers = HashMap::from([(
///     "b3".to_owned(),
///     "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1".to_owned(),
/// )]);
/// let context = otel_traced::propagation::B3Propagator::new().extract(&headers);
/// assert!(context.span().span_context().is_sampled());
/// ```
#[derive(Clone, Debug)]
pub struct B3Propagator {
    fields: [String; 6],
    multiple_headers: bool,
}

impl Default for B3Propagator {
    fn default() -> Self {
        B3Propagator::new()
    }
}

impl B3Propagator {
    /// A B3 propagator writing the single `b3` header (the specification's default).
    pub fn new() -> Self {
        B3Propagator::writing(false)
    }

    /// A B3 propagator writing the `X-B3-TraceId`, `X-B3-SpanId` and `X-B3-Sampled`
    /// (or `X-B3-Flags`) headers, named in lowercase (`x-b3-traceid`), for
    /// receivers that read no single `b3` header.
    pub fn multiple_headers() -> Self {
        B3Propagator::writing(true)
    }

    fn writing(multiple_headers: bool) -> Self {
        B3Propagator {
            fields: FIELDS.map(str::to_owned),
            multiple_headers,
        }
    }
}

impl TextMapPropagator for B3Propagator {
    fn inject_context(&self, context: &Context, injector: &mut dyn Injector) {
        let span = context.span();
        let span_context = span.span_context();
        if !span_context.is_valid() {
            return;
        }
        // Whoever injects (an annotated client, or code written to the API): a
        // callee in this process then prints in its caller's console tree.
        crate::console::note_sent(span_context);
        let trace_id = span_context.trace_id();
        let debug = context.get::<DebugTrace>() == Some(&DebugTrace(trace_id));
        let span_id = span_context.span_id();
        let sampled = span_context.is_sampled();
        if self.multiple_headers {
            injector.set(TRACE_ID, trace_id.to_string());
            injector.set(SPAN_ID, span_id.to_string());
            // Debug implies sampled: `X-B3-Sampled` is not sent beside it.
            match debug {
                true => injector.set(FLAGS, "1".to_owned()),
                false => injector.set(SAMPLED, if sampled { "1" } else { "0" }.to_owned()),
            }
        } else {
            let state = match (debug, sampled) {
                (true, _) => "d",
                (false, true) => "1",
                (false, false) => "0",
            };
            injector.set(SINGLE, format!("{trace_id}-{span_id}-{state}"));
        }
    }

    fn extract_with_context(&self, context: &Context, extractor: &dyn Extractor) -> Context {
        let Some(Caller {
            trace_id,
            span_id,
            state,
        }) = single_header(extractor).or_else(|| multiple_headers(extractor))
        else {
            return context.clone();
        };
        let mut flags = match state {
            State::Sampled | State::Debug => TraceFlags::SAMPLED,
            State::NotSampled | State::Deferred => TraceFlags::default(),
        };
        // Read after W3C Trace Context (`tracecontext,b3`), B3's span wins, as the
        // last propagator's does; of the same trace, the W3C header's `tracestate`
        // and random flag stay (a caller sending both, during a migration).
        let earlier = context.span().span_context().clone();
        let mut trace_state = TraceState::NONE;
        if earlier.is_valid() && earlier.trace_id() == trace_id {
            trace_state = earlier.trace_state().clone();
            // A decision B3 left open is the W3C header's.
            flags = match state {
                State::Deferred => earlier.trace_flags(),
                _ => flags | (earlier.trace_flags() & RANDOM_FLAG),
            };
        }
        let span_context = SpanContext::new(trace_id, span_id, flags, true, trace_state);
        let continued = context.with_remote_span_context(span_context);
        match state {
            State::Debug => continued.with_value(DebugTrace(trace_id)),
            _ => continued,
        }
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&self.fields)
    }
}

/// What a caller's B3 headers say.
#[derive(Debug, PartialEq, Eq)]
struct Caller {
    trace_id: TraceId,
    span_id: SpanId,
    state: State,
}

/// The caller's sampling state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Sampled,
    NotSampled,
    /// Sampled, and every service on the way asked to record it.
    Debug,
    /// No decision: the receiver's to make.
    Deferred,
}

/// The caller of a valid `b3` header.
fn single_header(extractor: &dyn Extractor) -> Option<Caller> {
    let value = only_value(extractor, SINGLE)?;
    let mut parts = value.split('-');
    let trace_id = parsed_trace_id(parts.next()?)?;
    let span_id = parsed_span_id(parts.next()?)?;
    let state = match parts.next() {
        None => State::Deferred,
        Some("1") => State::Sampled,
        Some("0") => State::NotSampled,
        Some("d") => State::Debug,
        Some(_) => return None,
    };
    // The parent span id, which is not continued (a span's id is never shared by
    // both sides of a call), but must be one.
    if parts
        .next()
        .is_some_and(|parent| parsed_span_id(parent).is_none())
        || parts.next().is_some()
    {
        return None;
    }
    Some(Caller {
        trace_id,
        span_id,
        state,
    })
}

/// The caller of valid `X-B3-*` headers.
fn multiple_headers(extractor: &dyn Extractor) -> Option<Caller> {
    let trace_id = parsed_trace_id(only_value(extractor, TRACE_ID)?)?;
    let span_id = parsed_span_id(only_value(extractor, SPAN_ID)?)?;
    let debug = optional_value(extractor, FLAGS)?;
    let sampled = optional_value(extractor, SAMPLED)?;
    let state = if debug == Some("1") {
        State::Debug
    } else {
        // `true` and `false` are what some early implementations sent.
        match sampled {
            None => State::Deferred,
            Some(sampled) if sampled == "1" || sampled.eq_ignore_ascii_case("true") => {
                State::Sampled
            }
            Some(sampled) if sampled == "0" || sampled.eq_ignore_ascii_case("false") => {
                State::NotSampled
            }
            Some(_) => return None,
        }
    };
    Some(Caller {
        trace_id,
        span_id,
        state,
    })
}

/// The one value of a header, trimmed; `None` when it is absent or given twice.
fn only_value<'a>(extractor: &'a dyn Extractor, name: &str) -> Option<&'a str> {
    super::one_value(extractor.get_all(name)?)
}

/// `Some(None)` for an absent header, `None` for one given twice.
fn optional_value<'a>(extractor: &'a dyn Extractor, name: &str) -> Option<Option<&'a str>> {
    match extractor.get_all(name) {
        None => Some(None),
        Some(values) => super::one_value(values).map(Some),
    }
}

/// A trace id of 32 hexadecimal digits, or of 16 padded with zeros; not all zero.
fn parsed_trace_id(text: &str) -> Option<TraceId> {
    if !matches!(text.len(), 16 | 32) {
        return None;
    }
    let id = u128::from_str_radix(hex(text)?, 16).ok()?;
    (id != 0).then(|| TraceId::from(id))
}

/// A span id of 16 hexadecimal digits, not all zero.
fn parsed_span_id(text: &str) -> Option<SpanId> {
    if text.len() != 16 {
        return None;
    }
    let id = u64::from_str_radix(hex(text)?, 16).ok()?;
    (id != 0).then(|| SpanId::from(id))
}

/// `text` if it holds hexadecimal digits only (no sign, which `from_str_radix`
/// would take).
fn hex(text: &str) -> Option<&str> {
    text.bytes().all(|b| b.is_ascii_hexdigit()).then_some(text)
}

#[cfg(test)]
mod tests;
