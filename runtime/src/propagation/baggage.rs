//! W3C Baggage, to the letter: the `baggage` header.
//!
//! The upstream `BaggagePropagator` of opentelemetry 0.33 reads only the first of
//! several `baggage` headers, drops a whole header over 8192 bytes, percent-decodes
//! keys, cuts a value at its second `=`, keeps values with spaces, quotes or
//! backslashes, drops a member whose escapes are not UTF-8 instead of replacing
//! them, and writes entries in hash order with unchecked metadata and no size limit.
//! This one follows the specification:
//!
//! - Every `baggage` header, in order, is one list. Empty list members and optional
//!   white space (spaces and tabs) around members, keys, values and properties are
//!   allowed; the white space is not part of what it surrounds.
//! - A list member is `key OWS "=" OWS value *( OWS ";" OWS property )`: the key an
//!   RFC 7230 token, the value baggage octets (printable ASCII without `"`, `,`, `;`,
//!   `\`), possibly empty, percent-decoded. An escape whose octets are not UTF-8
//!   becomes U+FFFD, as the specification requires; a `%` not followed by two hex
//!   digits is kept as it is (the WHATWG URL percent-decoding), the member stays.
//! - Properties, `key` or `key=value` (the value as received: the specification
//!   gives properties no meaning), are the entry's metadata, joined with `;`.
//! - A member that breaks this grammar is dropped alone and the others are kept:
//!   the specification lets a system drop an entry not in its format, and
//!   OpenTelemetry's propagators must not fail. A key given twice takes the last
//!   value: the specification allows keeping the first or the last, and
//!   OpenTelemetry's baggage holds one value per key, a later insert replacing it.
//! - Limits: all members must pass while there are at most 64 and the list is at
//!   most 8192 bytes; beyond, the specification lets a system drop members of its
//!   choice. Each member, in order, is taken if both limits still hold with it and
//!   dropped whole otherwise (a later, smaller one may still fit); a member counts
//!   as received (inner white space included) plus a comma before all but the
//!   first, and is measured again as the next hop writes it (a bare `%`, an octet
//!   that is no UTF-8 take three times their room then): what is kept can be
//!   forwarded. Invalid members count for nothing.
//! - With no valid member the context is returned unchanged, its baggage included.
//! - The injector writes entries in key order (the header does not depend on hash
//!   order), skips a key that is not a token, percent-encodes every value byte that
//!   is not a baggage octet, `%` (the escape itself) and `=` (allowed, but parsers
//!   that split at every `=` would cut the value), writes the metadata's valid
//!   properties and drops the others, keeps to the same limits by dropping whole
//!   members, and writes no header when nothing is left.

use opentelemetry::Context;
use opentelemetry::baggage::{Baggage, BaggageExt as _};
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use std::fmt::Write as _;

pub(crate) const BAGGAGE: &str = "baggage";

/// The most list members a `baggage` header must carry.
const MAX_MEMBERS: usize = 64;

/// The most bytes a `baggage` header must carry.
pub(crate) const MAX_BYTES: usize = 8192;

/// Optional white space: spaces and horizontal tabs.
const OWS: [char; 2] = [' ', '\t'];

/// W3C Baggage propagator; `OTEL_PROPAGATORS=baggage` installs it globally.
///
/// ```
/// use otel_traced::opentelemetry::baggage::BaggageExt as _;
/// use otel_traced::opentelemetry::propagation::TextMapPropagator as _;
/// use std::collections::HashMap;
///
/// let headers = HashMap::from([(
///     "baggage".to_owned(),
///     "userId=alice,serverNode=DF%2028".to_owned(),
/// )]);
/// let context = otel_traced::propagation::BaggagePropagator::new().extract(&headers);
/// let node = context.baggage().get("serverNode").map(|value| value.as_str());
/// assert_eq!(node, Some("DF 28"));
/// ```
#[derive(Clone, Debug)]
pub struct BaggagePropagator {
    fields: [String; 1],
}

impl Default for BaggagePropagator {
    fn default() -> Self {
        BaggagePropagator::new()
    }
}

impl BaggagePropagator {
    /// A W3C Baggage propagator.
    pub fn new() -> Self {
        BaggagePropagator {
            fields: [BAGGAGE.to_owned()],
        }
    }
}

impl TextMapPropagator for BaggagePropagator {
    fn inject_context(&self, context: &Context, injector: &mut dyn Injector) {
        let mut entries: Vec<(&str, &str, &str)> = context
            .baggage()
            .iter()
            .map(|(key, (value, metadata))| (key.as_str(), value.as_str(), metadata.as_str()))
            .collect();
        entries.sort_unstable_by_key(|(key, ..)| *key);
        match header(entries) {
            Some(header) => injector.set(BAGGAGE, header),
            // Nothing to write, but the baggage `set_baggage` left a key out of
            // replaces what the carrier holds (a gateway's copy of the incoming
            // headers), whose value for that key must not travel on: set empty,
            // as an `Injector` cannot remove (our carriers then remove it).
            None if context.get::<crate::baggage::KeysLeftOut>().is_some() => {
                injector.set(BAGGAGE, String::new());
            }
            None => {}
        }
    }

    fn extract_with_context(&self, context: &Context, extractor: &dyn Extractor) -> Context {
        match extractor
            .get_all(BAGGAGE)
            .and_then(|headers| baggage(&headers))
        {
            Some(baggage) => context.with_baggage(baggage),
            None => context.clone(),
        }
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&self.fields)
    }
}

/// The baggage of every `baggage` header read as one list; `None` when no member is
/// valid.
fn baggage(headers: &[&str]) -> Option<Baggage> {
    let mut baggage = Baggage::new();
    let (mut members, mut bytes) = (0, 0);
    for member in headers.iter().flat_map(|header| header.split(',')) {
        if members == MAX_MEMBERS {
            break;
        }
        let member = member.trim_matches(OWS);
        let separator = usize::from(members > 0); // a comma before all but the first
        // Sized before it is parsed: an oversized member costs no decoding.
        if bytes + separator + member.len() > MAX_BYTES {
            continue;
        }
        let Some((key, value, metadata)) = list_member(member) else {
            continue; // empty or invalid: dropped
        };
        // Sized again as it is written on, so that what is kept here is forwarded:
        // a bare `%` or an octet that is no UTF-8 (U+FFFD then) takes three times
        // its room escaped, and a member accepted would leave the next hop's header.
        let size = separator + least_member_bytes(key, &value, &metadata).unwrap_or(0);
        if bytes + size > MAX_BYTES {
            continue;
        }
        members += 1;
        bytes += size;
        // Within the limits above (no longer decoded than written), the entry
        // always fits the `Baggage`'s own.
        let _ = baggage.insert_with_metadata(key.to_owned(), value, metadata);
    }
    (!baggage.is_empty()).then_some(baggage)
}

/// A list member's key, decoded value and properties (as metadata); `None` when it
/// breaks the grammar.
fn list_member(member: &str) -> Option<(&str, String, String)> {
    let mut parts = member.split(';');
    let (key, value) = parts.next()?.split_once('=')?;
    let (key, value) = (key.trim_matches(OWS), value.trim_matches(OWS));
    if !is_token(key) || !value.bytes().all(is_baggage_octet) {
        return None;
    }
    let properties: Vec<String> = parts.map(property).collect::<Option<_>>()?;
    Some((key, percent_decode(value), properties.join(";")))
}

/// `key OWS "=" OWS value` or `key OWS`, written without white space; `None` when it
/// is neither.
fn property(property: &str) -> Option<String> {
    match property.split_once('=') {
        Some((key, value)) => {
            let (key, value) = (key.trim_matches(OWS), value.trim_matches(OWS));
            (is_token(key) && value.bytes().all(is_baggage_octet)).then(|| format!("{key}={value}"))
        }
        None => {
            let key = property.trim_matches(OWS);
            is_token(key).then(|| key.to_owned())
        }
    }
}

/// The `baggage` header for `entries` (key, value, metadata), in their order; `None`
/// when no member is written. Values are escaped for form decoders too where the
/// header then holds the same members, else only as the grammar needs: a hop
/// forwarding a header it received within the limit (`+` and `=` raw in values)
/// does not push members out of it, and the members sent are those a local entry
/// is measured against ([`least_header_bytes`]).
fn header<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str, &'a str)> + Clone,
) -> Option<String> {
    let form_safe = written(entries.clone(), Escape::FormSafe);
    if form_safe.all {
        return form_safe.header;
    }
    let needed = written(entries, Escape::Needed);
    if needed.kept == form_safe.kept {
        form_safe.header
    } else {
        needed.header
    }
}

/// A header written, and what it holds.
struct Written {
    /// `None` when no member is written.
    header: Option<String>,
    /// The indices of the entries written.
    kept: Vec<usize>,
    /// Whether every member (with a valid key) found room in it.
    all: bool,
}

/// The header of `entries` escaped as `escape` says.
fn written<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    escape: Escape,
) -> Written {
    let mut header = String::new();
    let (mut kept, mut all) = (Vec::new(), true);
    for (index, (key, value, metadata)) in entries.into_iter().enumerate() {
        let Some(member) = member(key, value, metadata, escape) else {
            continue;
        };
        let separator = if kept.is_empty() { "" } else { "," };
        if kept.len() == MAX_MEMBERS || header.len() + separator.len() + member.len() > MAX_BYTES {
            all = false;
            continue;
        }
        header.push_str(separator);
        header.push_str(&member);
        kept.push(index);
    }
    Written {
        header: (!kept.is_empty()).then_some(header),
        kept,
        all,
    }
}

/// The bytes the header of `entries` (key, value, metadata) takes at least: the
/// members it writes, in key order, each value escaped only as the grammar needs,
/// and none of those it leaves out for want of room (an entry the application
/// set through the API, too large to travel). What a local entry is measured
/// against before it is added, so that no entry is kept here that the header
/// would leave out, and none refused for one that never goes out.
pub(crate) fn least_header_bytes<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
) -> usize {
    let mut entries: Vec<_> = entries.into_iter().collect();
    entries.sort_unstable_by_key(|(key, ..)| *key);
    let (mut bytes, mut members) = (0, 0);
    for (key, value, metadata) in entries {
        let Some(member) = least_member_bytes(key, value, metadata) else {
            continue;
        };
        let separator = usize::from(members > 0);
        if members == MAX_MEMBERS || bytes + separator + member > MAX_BYTES {
            continue;
        }
        bytes += separator + member;
        members += 1;
    }
    bytes
}

/// The bytes of the member `key=value;properties` at least, its value escaped only
/// as the grammar needs; `None` when the key is no token (the header leaves it
/// out).
pub(crate) fn least_member_bytes(key: &str, value: &str, metadata: &str) -> Option<usize> {
    if !is_token(key) {
        return None;
    }
    let value: usize = value
        .bytes()
        .map(|byte| if Escape::Needed.escapes(byte) { 3 } else { 1 })
        .sum();
    // Properties are rare: written to be measured.
    let properties: usize = metadata
        .split(';')
        .filter_map(property)
        .map(|property| 1 + property.len())
        .sum();
    Some(key.len() + 1 + value + properties)
}

/// `key=value;property..`, the value percent-encoded and only the metadata's valid
/// properties written; `None` when the key is not a token.
fn member(key: &str, value: &str, metadata: &str, escape: Escape) -> Option<String> {
    if !is_token(key) {
        return None;
    }
    let mut member = format!("{key}={}", percent_encode(value, escape));
    for property in metadata.split(';').filter_map(property) {
        member.push(';');
        member.push_str(&property);
    }
    Some(member)
}

/// `token = 1*tchar` (RFC 7230, section 3.2.6): letters, digits and
/// ``!#$%&'*+-.^_`|~``.
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`: printable ASCII
/// without space, `"`, `,`, `;` and `\`.
fn is_baggage_octet(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// Decodes the `%XX` escapes of `value`; a `%` without two hex digits after it is
/// kept, and octets that are not UTF-8 become U+FFFD.
pub(crate) fn percent_decode(value: &str) -> String {
    String::from_utf8_lossy(&percent_decoded(value.as_bytes())).into_owned()
}

/// The octets of `value` with its `%XX` escapes decoded; a `%` without two hex
/// digits after it is kept. (gRPC's `grpc-message` is encoded the same way.)
pub(crate) fn percent_decoded(value: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%'
            && let [high, low, after @ ..] = tail
            && let (Some(high), Some(low)) = (hex_digit(*high), hex_digit(*low))
        {
            decoded.push((high << 4) | low);
            rest = after;
        } else {
            decoded.push(byte);
            rest = tail;
        }
    }
    decoded
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

/// Which bytes of a value are escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    /// Those the grammar needs (every byte that is not a baggage octet, and `%`),
    /// and `=` and `+`: the specification allows escaping any, and decoders that
    /// read values as form data (OpenTelemetry Python's `unquote_plus` among them)
    /// take a raw `+` for a space.
    FormSafe,
    /// Only those the grammar needs.
    Needed,
}

impl Escape {
    /// Whether `byte` of a value is escaped.
    fn escapes(self, byte: u8) -> bool {
        !is_baggage_octet(byte)
            || byte == b'%'
            || (self == Escape::FormSafe && matches!(byte, b'=' | b'+'))
    }
}

/// `value` with the bytes `escape` names percent-encoded.
fn percent_encode(value: &str, escape: Escape) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if !escape.escapes(byte) {
            encoded.push(char::from(byte));
        } else {
            // Writing to a `String` cannot fail.
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

#[cfg(test)]
mod tests;
