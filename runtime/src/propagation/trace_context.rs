//! W3C Trace Context, Level 2, to the letter: `traceparent` and `tracestate`.
//!
//! The upstream `TraceContextPropagator` of opentelemetry 0.33 accepts malformed
//! `traceparent` values, takes the first of duplicated headers, reads one of several
//! `tracestate` headers, does not enforce the `tracestate` rules and drops the
//! Level 2 random flag. This one follows the specification:
//!
//! - `traceparent`: one header; version `00` is exactly
//!   `00-<32 hex>-<16 hex>-<2 hex>`, lowercase, ids not all zero; a later version is
//!   read by its first four fields and may carry more after a `-`; version `ff` is
//!   invalid. Anything else, or two `traceparent` headers, and the context is not
//!   continued (a new trace starts).
//! - `tracestate`: every header, joined with commas; at most 32 list members, each
//!   `key=value` with the key rules for simple and `tenant@system` keys and the
//!   value rules, no key twice. The keys are Level 1's, which the W3C test suite
//!   checks in its strict mode: Level 2 relaxes them (a key may start with a digit,
//!   `1vendor`, and hold `@` anywhere), and such a key makes the list invalid here;
//!   the keys vendors send (`dd`, `es`, `<id>@nr`, `<tenant>@dt`) are both. An invalid `tracestate` is dropped and the
//!   `traceparent` is kept. (A member whose system id has 14 characters is valid but
//!   more than OpenTelemetry's `TraceState` holds: that member alone is dropped.)
//! - Flags: version `00` keeps the two it defines (sampled, and random of Level 2),
//!   a later version only sampled, as the specification says to read one; the
//!   reserved bits are zeroed both ways, so a parent's unknown flags are not passed
//!   on; a span not sampled keeps its parent's random flag (the SDK drops it). The
//!   injector writes `tracestate` also when it is empty (replacing a stale one
//!   in the carrier); our own carriers take that as removing the header.

use opentelemetry::Context;
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState,
};

const TRACEPARENT: &str = "traceparent";
pub(crate) const TRACESTATE: &str = "tracestate";

/// The flags version `00` defines: sampled (`01`) and random (`02`); the others
/// are reserved, and sent as zero.
const VERSION_00_FLAGS: u8 = 0x03;
/// The flag read from a later version: only sampled has a meaning known here.
const LATER_VERSION_FLAGS: u8 = 0x01;

/// The random flag of Level 2: the trace id's right-most 7 bytes are random.
const RANDOM_FLAG: u8 = 0x02;

/// The flags of a span not sampled under a parent with `parent`'s flags: the
/// random flag as the parent had it (Level 2: a participant continuing a trace
/// sets it as received; the trace id is the parent's), and nothing else. The SDK
/// gives a dropped span no flags at all.
pub(crate) fn unsampled_child_flags(parent: TraceFlags) -> TraceFlags {
    TraceFlags::new(parent.to_u8() & RANDOM_FLAG)
}

/// The most list members a `tracestate` may hold.
const MAX_MEMBERS: usize = 32;

/// The most of a caller's `tracestate` kept, in characters, commas included: the
/// 512 W3C Trace Context asks every tracer to pass on, the rest cut as it lets one
/// (members longer than [`LONG_MEMBER`] first, then from the end). Whole, a
/// caller's list of 32 members of 513 characters (16 KiB) would be copied into
/// every span of its trace and sent on every call made for it, past the 8 KiB a
/// proxy takes in one header and the 16 KiB of an HTTP/2 server's header list:
/// an outside caller could make each call its requests lead to fail.
const KEPT_CHARACTERS: usize = 512;

/// A member cut before the others when a list is over [`KEPT_CHARACTERS`].
const LONG_MEMBER: usize = 128;

/// W3C Trace Context (Level 2) propagator; `OTEL_PROPAGATORS=tracecontext` installs
/// it globally.
///
/// ```
/// use otel_traced::opentelemetry::propagation::TextMapPropagator as _;
/// use otel_traced::opentelemetry::trace::TraceContextExt as _;
/// use std::collections::HashMap;
///
/// let headers = HashMap::from([(
///     "traceparent".to_owned(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
/// )]);
/// let context = otel_traced::propagation::TraceContextPropagator::new().extract(&headers);
/// assert!(context.span().span_context().is_sampled());
/// ```
#[derive(Clone, Debug)]
pub struct TraceContextPropagator {
    fields: [String; 2],
}

impl Default for TraceContextPropagator {
    fn default() -> Self {
        TraceContextPropagator::new()
    }
}

impl TraceContextPropagator {
    /// A W3C Trace Context propagator.
    pub fn new() -> Self {
        TraceContextPropagator {
            fields: [TRACEPARENT.to_owned(), TRACESTATE.to_owned()],
        }
    }
}

impl TextMapPropagator for TraceContextPropagator {
    fn inject_context(&self, context: &Context, injector: &mut dyn Injector) {
        let span = context.span();
        let span_context = span.span_context();
        if !span_context.is_valid() {
            return;
        }
        // Whoever injects (an annotated client, or code written to the API): a
        // callee in this process then prints in its caller's console tree.
        crate::console::note_sent(span_context);
        injector.set(
            TRACEPARENT,
            format!(
                "00-{}-{}-{:02x}",
                span_context.trace_id(),
                span_context.span_id(),
                span_context.trace_flags().to_u8() & VERSION_00_FLAGS
            ),
        );
        // Set also when empty, as the SDK's propagator does: an `Injector` cannot
        // remove a header, and a carrier that held another span's `tracestate` (a
        // gateway's copy of the incoming headers) must not send it beside this
        // `traceparent`. Our own carriers take the empty value as a removal
        // (`AsInjector`), so they send no empty header.
        injector.set(TRACESTATE, sendable_trace_state(span_context.trace_state()));
    }

    fn extract_with_context(&self, context: &Context, extractor: &dyn Extractor) -> Context {
        let Some(mut span_context) = extract(extractor) else {
            return context.clone();
        };
        if let Some(trace_state) = extractor
            .get_all(TRACESTATE)
            .and_then(|values| trace_state(&values))
        {
            span_context = SpanContext::new(
                span_context.trace_id(),
                span_context.span_id(),
                span_context.trace_flags(),
                true,
                trace_state,
            );
        }
        context.with_remote_span_context(span_context)
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&self.fields)
    }
}

/// The remote span context of a valid, single `traceparent`.
fn extract(extractor: &dyn Extractor) -> Option<SpanContext> {
    // Absent, or duplicated: invalid.
    let value = super::one_value(extractor.get_all(TRACEPARENT)?)?;
    let (trace_id, span_id, flags) = traceparent(value)?;
    Some(SpanContext::new(
        trace_id,
        span_id,
        flags,
        true,
        TraceState::NONE,
    ))
}

/// Parses a `traceparent` value.
pub(crate) fn traceparent(value: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    let bytes = value.as_bytes();
    // Non-ASCII is never valid in the four fields read here, and would make the
    // slices below cut a character in two; what a later version adds after them
    // is not read.
    if bytes.len() < 55 || !bytes[..55].is_ascii() {
        return None;
    }
    let version = hex_field(&value[0..2])?;
    let separators = [2, 35, 52];
    if separators.iter().any(|&index| bytes[index] != b'-') || version == 0xff {
        return None;
    }
    if version == 0 && bytes.len() != 55 {
        return None;
    }
    if version > 0 && bytes.len() > 55 && bytes[55] != b'-' {
        return None;
    }
    let trace_id = u128::from_str_radix(lower_hex(&value[3..35])?, 16).ok()?;
    let span_id = u64::from_str_radix(lower_hex(&value[36..52])?, 16).ok()?;
    let known_flags = if version == 0 {
        VERSION_00_FLAGS
    } else {
        LATER_VERSION_FLAGS
    };
    let flags = hex_field(&value[53..55])? & known_flags;
    if trace_id == 0 || span_id == 0 {
        return None;
    }
    Some((
        TraceId::from(trace_id),
        SpanId::from(span_id),
        TraceFlags::new(flags),
    ))
}

/// `text` if it is all lowercase hexadecimal digits.
fn lower_hex(text: &str) -> Option<&str> {
    text.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        .then_some(text)
}

fn hex_field(text: &str) -> Option<u8> {
    u8::from_str_radix(lower_hex(text)?, 16).ok()
}

/// Combines every `tracestate` header and parses the list; `None` when it breaks a
/// rule (it is then dropped) or is empty.
pub(crate) fn trace_state(headers: &[&str]) -> Option<TraceState> {
    let combined = headers.join(",");
    let mut members: Vec<(&str, &str)> = Vec::new();
    for member in combined.split(',') {
        let member = member.trim_matches([' ', '\t']);
        if member.is_empty() {
            continue;
        }
        let (key, value) = member.split_once('=')?;
        if !valid_key(key) || !valid_value(value) || members.iter().any(|(k, _)| *k == key) {
            return None;
        }
        members.push((key, value));
        if members.len() > MAX_MEMBERS {
            return None;
        }
    }
    // OpenTelemetry's `TraceState` refuses a valid key whose system id has the 14
    // characters the specification allows (it takes at most 13): it cannot hold
    // that member, so that member alone is dropped, not the whole list.
    members.retain(|(key, value)| TraceState::from_key_value([(key, value)]).is_ok());
    cut_to_kept_characters(&mut members);
    if members.is_empty() {
        return None;
    }
    TraceState::from_key_value(members).ok()
}

/// Cuts `members` to [`KEPT_CHARACTERS`] as W3C Trace Context lets a tracer: its
/// long members from the last, then its others from the last.
fn cut_to_kept_characters(members: &mut Vec<(&str, &str)>) {
    let length = |(key, value): &(&str, &str)| key.len() + 1 + value.len();
    let mut characters =
        members.iter().map(length).sum::<usize>() + members.len().saturating_sub(1);
    while characters > KEPT_CHARACTERS {
        let cut = (members
            .iter()
            .rposition(|member| length(member) > LONG_MEMBER))
        .unwrap_or(members.len() - 1);
        characters -= length(&members.remove(cut)) + usize::from(!members.is_empty());
    }
}

/// The `tracestate` header of `state`, with only the members a W3C parser takes:
/// OpenTelemetry's `TraceState` holds what the specification refuses (a key
/// starting with a digit, an empty value, control characters; set by a sampler or
/// an attached context), and one such member would make the receiver drop the
/// whole list, every other vendor's members with it. At most 32 members, each key
/// once, in order.
fn sendable_trace_state(state: &TraceState) -> String {
    let mut header = String::new();
    let mut kept = 0;
    for (key, value) in state {
        let repeated = || {
            header
                .split(',')
                .any(|member| member.split_once('=').is_some_and(|(seen, _)| seen == key))
        };
        if kept == MAX_MEMBERS || !valid_key(key) || !valid_value(value) || repeated() {
            continue;
        }
        if kept > 0 {
            header.push(',');
        }
        header.push_str(key);
        header.push('=');
        header.push_str(value);
        kept += 1;
    }
    header
}

/// `simple-key = lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/")`, or
/// `tenant-id "@" system-id` with `tenant-id = (lcalpha / DIGIT) 0*240(..)` and
/// `system-id = lcalpha 0*13(..)`.
fn valid_key(key: &str) -> bool {
    let rest_ok = |text: &str| {
        text.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'*' | b'/')
        })
    };
    match key.split_once('@') {
        None => {
            let Some(first) = key.bytes().next() else {
                return false;
            };
            key.len() <= 256 && first.is_ascii_lowercase() && rest_ok(&key[1..])
        }
        Some((tenant, system)) => {
            let (Some(tenant_first), Some(system_first)) =
                (tenant.bytes().next(), system.bytes().next())
            else {
                return false;
            };
            tenant.len() <= 241
                && system.len() <= 14
                && (tenant_first.is_ascii_lowercase() || tenant_first.is_ascii_digit())
                && system_first.is_ascii_lowercase()
                && rest_ok(&tenant[1..])
                && rest_ok(&system[1..])
        }
    }
}

/// `value = 0*255(chr) nblk-chr`, `chr = %x20 / nblk-chr`,
/// `nblk-chr = %x21-2B / %x2D-3C / %x3E-7E`: 1 to 256 printable characters without
/// `,` or `=`, not ending in a space.
fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let nonblank = |b: u8| matches!(b, 0x21..=0x2b | 0x2d..=0x3c | 0x3e..=0x7e);
    !bytes.is_empty()
        && bytes.len() <= 256
        && bytes.iter().all(|&b| b == b' ' || nonblank(b))
        && nonblank(bytes[bytes.len() - 1])
}

#[cfg(test)]
mod tests;
