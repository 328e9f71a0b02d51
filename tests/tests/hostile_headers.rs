//! Hostile input (issue 9, item 3): the header extraction paths (`traceparent`,
//! `tracestate`, `baggage`) through every carrier, and the runtime helpers a request
//! reaches, fuzzed with arbitrary, near-valid, huge, non-UTF-8 and repeated headers.
//!
//! Each property runs `FUZZ_CASES` cases (256 by default, quick enough for CI). A
//! long run: `FUZZ_CASES=2000000 cargo test --release -p otel-traced-tests --test
//! hostile_headers`, or `FUZZ_SECONDS=600`, which repeats batches of `FUZZ_CASES`
//! until that many seconds are spent (`scripts/fuzz-headers` does this for each
//! property). Every property prints a summary line (`--nocapture` shows it).
//!
//! The expected outcomes come from small models of the specifications written here,
//! independently of the runtime's parsers: W3C Trace Context Level 2 and W3C
//! Baggage as `runtime/src/propagation` documents them.

use http_body::{Body, Frame};
use http_body_util::BodyExt as _;
use otel_traced::opentelemetry::baggage::BaggageExt as _;
use otel_traced::opentelemetry::propagation::TextMapPropagator as _;
use otel_traced::opentelemetry::trace::{SpanId, SpanKind, TraceContextExt as _};
use otel_traced::opentelemetry::{Context, Value};
use otel_traced::propagation::{
    AsExtractor, AsInjector, BaggagePropagator, Extract, TraceContextPropagator,
};
use otel_traced::sdk::trace::SpanData;
use otel_traced::testing::capture;
use otel_traced::tower::GrpcLayer;
use otel_traced::traced_rpc;
use otel_traced_tests::attribute;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, TestCaseError, TestRng, TestRunner};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt::Debug;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};
use tower_layer::Layer as _;
use tower_service::Service;

// ---------------------------------------------------------------------------------
// Running a property
// ---------------------------------------------------------------------------------

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// How many cases exercised what (a continued parent, a value that is not UTF-8,
/// ...), and the slowest of some timings: printed with the summary, to show the
/// inputs reach the paths they are meant to.
#[derive(Default)]
struct Seen {
    counts: Mutex<BTreeMap<&'static str, u64>>,
    slowest: Mutex<Duration>,
}

impl Seen {
    fn note(&self, what: &'static str, happened: bool) {
        if happened {
            *self.counts.lock().unwrap().entry(what).or_default() += 1;
        }
    }

    fn timing(&self, elapsed: Duration) {
        let mut slowest = self.slowest.lock().unwrap();
        *slowest = (*slowest).max(elapsed);
    }

    fn summary(&self) -> String {
        let mut parts: Vec<String> = self
            .counts
            .lock()
            .unwrap()
            .iter()
            .map(|(what, count)| format!("{what}: {count}"))
            .collect();
        let slowest = *self.slowest.lock().unwrap();
        if !slowest.is_zero() {
            parts.push(format!("slowest: {slowest:?}"));
        }
        parts.join(", ")
    }
}

/// Runs `test` over `FUZZ_CASES` inputs of `strategy` (256 by default); with
/// `FUZZ_SECONDS`, batch after batch until that many seconds are spent. A failure
/// is shrunk and reported with its minimal input. Over 256 cases or more, every
/// path of `reached` must have been noted: a generator that drifted away from one
/// would pass untested. The first batch's inputs are the same every run (a fixed
/// seed), so that whether a rare path is reached does not change from run to run
/// of one build; the batches after it are random.
fn fuzz<S>(
    name: &str,
    reached: &[&str],
    strategy: S,
    test: impl Fn(&Seen, S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let seen = Seen::default();
    let cases = env_number("FUZZ_CASES").map_or(256, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let seconds = env_number("FUZZ_SECONDS");
    let start = Instant::now();
    let mut total: u64 = 0;
    loop {
        let mut config = Config::with_cases(cases);
        // Reported in the panic message; nothing written next to the sources.
        config.failure_persistence = None;
        config.max_shrink_time = 120_000;
        let mut runner = if total == 0 {
            let rng = TestRng::deterministic_rng(config.rng_algorithm);
            TestRunner::new_with_rng(config, rng)
        } else {
            TestRunner::new(config)
        };
        if let Err(error) = runner.run(&strategy, |value| test(&seen, value)) {
            panic!("{name}: {error}");
        }
        total += u64::from(cases);
        match seconds {
            Some(seconds) if start.elapsed() < Duration::from_secs(seconds) => {}
            _ => break,
        }
    }
    eprintln!(
        "fuzz {name}: {total} cases in {:.1}s, nothing found ({})",
        start.elapsed().as_secs_f64(),
        seen.summary()
    );
    if total >= 256 {
        let reached_paths: Vec<&str> = seen.counts.lock().unwrap().keys().copied().collect();
        for path in reached {
            assert!(
                reached_paths.contains(path),
                "{name}: no input reached \"{path}\" ({})",
                seen.summary()
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// Character sets
// ---------------------------------------------------------------------------------

fn chars(pred: impl Fn(char) -> bool) -> Vec<char> {
    (' '..='~').filter(|&c| pred(c)).collect()
}

fn lcalpha() -> Vec<char> {
    chars(|c| c.is_ascii_lowercase())
}

/// `tracestate` key characters after the first.
fn key_rest() -> Vec<char> {
    chars(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-*/".contains(c))
}

/// `tracestate` value characters that are not blank (`nblk-chr`).
fn ts_nonblank() -> Vec<char> {
    chars(|c| c != ' ' && c != ',' && c != '=')
}

/// RFC 7230 `tchar`.
fn tchar() -> Vec<char> {
    chars(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

/// W3C Baggage `baggage-octet`, as characters.
fn baggage_octet() -> Vec<char> {
    chars(|c| c != ' ' && !"\",;\\".contains(c))
}

/// Characters that make near-valid input invalid, or valid in surprising ways.
const SOUP: &[char] = &[
    '0', '1', '9', 'a', 'f', 'k', 'v', 'z', 'A', 'F', 'G', 'Z', '-', '=', ',', ';', '@', ' ', '\t',
    '%', '*', '/', '_', '"', '\\', '\'', '.', ':', '~', '+', '!', '&', '?', '#', '[', ']', '{',
    '}', 'é', '\u{fffd}', '\u{0}', '\u{7f}', '\u{1}', '\n', '\r', '€', '😀',
];

/// Bytes that are never part of UTF-8 text on their own.
const NOT_UTF8: &[u8] = &[0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xf0, 0xf8, 0xfe, 0xff];

fn text_of(chars: Vec<char>, len: std::ops::RangeInclusive<usize>) -> BoxedStrategy<String> {
    vec(select(chars), len)
        .prop_map(|chars| chars.into_iter().collect())
        .boxed()
}

fn soup(max: usize) -> BoxedStrategy<String> {
    text_of(SOUP.to_vec(), 0..=max)
}

/// Short most of the time, sometimes near `max`: limits are where bugs live.
fn sized(chars: Vec<char>, max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        6 => text_of(chars.clone(), 0..=6),
        1 => text_of(chars, max.saturating_sub(3)..=max),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------
// Header values
// ---------------------------------------------------------------------------------

/// A valid `traceparent` (some ids all zero, some versions `ff`: still near-valid).
fn traceparent_valid() -> BoxedStrategy<String> {
    let version = prop_oneof![8 => Just(0u8), 1 => Just(0xff), 2 => any::<u8>()];
    let trace_id = prop_oneof![12 => any::<u128>(), 1 => Just(0)];
    let span_id = prop_oneof![12 => any::<u64>(), 1 => Just(0)];
    let suffix = proptest::option::of(soup(12));
    (version, trace_id, span_id, any::<u8>(), suffix)
        .prop_map(|(version, trace_id, span_id, flags, suffix)| {
            let mut text = format!("{version:02x}-{trace_id:032x}-{span_id:016x}-{flags:02x}");
            if let Some(suffix) = suffix.filter(|_| version != 0) {
                text.push('-');
                text.push_str(&suffix);
            }
            text
        })
        .boxed()
}

#[derive(Clone, Debug)]
enum Mutation {
    Replace(Index, char),
    Insert(Index, char),
    Delete(Index),
    Truncate(Index),
    Pad(&'static str, &'static str),
    Uppercase,
}

fn mutation() -> BoxedStrategy<Mutation> {
    let ows = select(&["", " ", "\t", "  ", " \t"][..]);
    prop_oneof![
        4 => (any::<Index>(), select(SOUP)).prop_map(|(at, c)| Mutation::Replace(at, c)),
        2 => (any::<Index>(), select(SOUP)).prop_map(|(at, c)| Mutation::Insert(at, c)),
        2 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        2 => (ows.clone(), ows).prop_map(|(a, b)| Mutation::Pad(a, b)),
        1 => Just(Mutation::Uppercase),
    ]
    .boxed()
}

fn mutate(text: String, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for mutation in mutations {
        match mutation {
            Mutation::Replace(at, c) if !chars.is_empty() => {
                let at = at.index(chars.len());
                chars[at] = *c;
            }
            Mutation::Insert(at, c) => {
                let at = at.index(chars.len() + 1);
                chars.insert(at, *c);
            }
            Mutation::Delete(at) if !chars.is_empty() => {
                chars.remove(at.index(chars.len()));
            }
            Mutation::Truncate(at) => {
                let at = at.index(chars.len() + 1);
                chars.truncate(at);
            }
            Mutation::Pad(before, after) => {
                chars.splice(0..0, before.chars());
                chars.extend(after.chars());
            }
            Mutation::Uppercase => chars.iter_mut().for_each(|c| c.make_ascii_uppercase()),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// A valid `traceparent` with up to three characters or lengths changed.
fn traceparent_near() -> BoxedStrategy<String> {
    let mutations = prop_oneof![2 => Just(Vec::new()), 3 => vec(mutation(), 1..=3)];
    (traceparent_valid(), mutations)
        .prop_map(|(text, mutations)| mutate(text, &mutations))
        .boxed()
}

fn ts_key() -> BoxedStrategy<String> {
    let simple = (select(lcalpha()), sized(key_rest(), 255))
        .prop_map(|(first, rest)| format!("{first}{rest}"));
    let first = chars(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let tenant = (
        select(first),
        sized(key_rest(), 240),
        select(lcalpha()),
        sized(key_rest(), 13),
    )
        .prop_map(|(t, tenant, s, system)| format!("{t}{tenant}@{s}{system}"));
    prop_oneof![3 => simple, 1 => tenant].boxed()
}

fn ts_value() -> BoxedStrategy<String> {
    let middle = chars(|c| c != ',' && c != '=');
    (sized(middle, 255), select(ts_nonblank()))
        .prop_map(|(middle, last)| format!("{middle}{last}"))
        .boxed()
}

/// A `tracestate` list member: valid (most often, keys repeating now and then),
/// with a broken key or value, random, or empty.
fn ts_member() -> BoxedStrategy<String> {
    let repeated_key = select(&["a", "b", "t@s", "0@z"][..]).prop_map(str::to_owned);
    prop_oneof![
        10 => (ts_key(), ts_value()).prop_map(|(k, v)| format!("{k}={v}")),
        1 => (repeated_key, ts_value()).prop_map(|(k, v)| format!("{k}={v}")),
        1 => (soup(8), ts_value()).prop_map(|(k, v)| format!("{k}={v}")),
        1 => (ts_key(), soup(8)).prop_map(|(k, v)| format!("{k}={v}")),
        1 => soup(16),
        1 => Just(String::new()),
    ]
    .boxed()
}

fn separator() -> impl Strategy<Value = &'static str> {
    select(&[",", ",", ",", ", ", " ,", ",\t", ",,", " , ", "\t,\t"][..])
}

/// Up to 100 `tracestate` members, a third of the time; otherwise up to 34 valid
/// ones (more than 32 is too many).
fn tracestate_list() -> BoxedStrategy<String> {
    let many = vec((ts_member(), separator()), 0..=100);
    let valid = vec(
        (
            (ts_key(), ts_value()).prop_map(|(k, v)| format!("{k}={v}")),
            separator(),
        ),
        1..=34,
    );
    prop_oneof![1 => many, 2 => valid].prop_map(join).boxed()
}

fn join(members: Vec<(String, &'static str)>) -> String {
    let mut text = String::new();
    for (index, (member, separator)) in members.into_iter().enumerate() {
        if index > 0 {
            text.push_str(separator);
        }
        text.push_str(&member);
    }
    text
}

fn ows() -> impl Strategy<Value = &'static str> {
    select(&["", "", "", " ", "\t", " \t "][..])
}

/// A baggage value: baggage octets and percent sequences, valid and not.
fn baggage_value() -> BoxedStrategy<String> {
    let piece = prop_oneof![
        6 => text_of(baggage_octet(), 1..=4),
        2 => (0u8..=0xff).prop_map(|byte| format!("%{byte:02X}")),
        1 => (0u8..=0xff).prop_map(|byte| format!("%{byte:02x}")),
        2 => select(&["%", "%%", "%G1", "%1", "%F", "%+1", "%C3%A9", "%E2%82", "%FF%FE", "%20"][..])
            .prop_map(str::to_owned),
    ];
    prop_oneof![
        8 => vec(piece, 0..=6).prop_map(|pieces| pieces.concat()),
        1 => text_of(baggage_octet(), 250..=300),
    ]
    .boxed()
}

fn baggage_property() -> BoxedStrategy<String> {
    prop_oneof![
        3 => (ows(), text_of(tchar(), 1..=6), ows()).prop_map(|(a, k, b)| format!("{a}{k}{b}")),
        3 => (text_of(tchar(), 1..=6), ows(), ows(), text_of(baggage_octet(), 0..=6))
            .prop_map(|(k, a, b, v)| format!("{k}{a}={b}{v}")),
        1 => soup(8),
    ]
    .boxed()
}

/// A baggage list member: valid most often (keys repeating now and then),
/// otherwise broken somewhere.
fn baggage_member() -> BoxedStrategy<String> {
    let key = prop_oneof![
        6 => text_of(tchar(), 1..=8),
        1 => select(&["k", "K", "a", "%41"][..]).prop_map(str::to_owned),
        1 => soup(6),
    ];
    let valid = (
        key,
        ows(),
        ows(),
        baggage_value(),
        vec(baggage_property(), 0..=3),
    )
        .prop_map(|(key, a, b, value, properties)| {
            let mut member = format!("{key}{a}={b}{value}");
            for property in properties {
                member.push(';');
                member.push_str(&property);
            }
            member
        });
    prop_oneof![
        12 => valid,
        1 => (text_of(tchar(), 1..=8), soup(12)).prop_map(|(k, v)| format!("{k}={v}")),
        1 => soup(20),
        1 => Just(String::new()),
    ]
    .boxed()
}

/// Up to 200 baggage members.
fn baggage_list() -> BoxedStrategy<String> {
    vec((baggage_member(), separator()), 0..=200)
        .prop_map(join)
        .boxed()
}

/// Up to 64 KiB: a short value repeated, a structured list with a huge member,
/// or random bytes.
fn huge() -> BoxedStrategy<Vec<u8>> {
    let pattern = prop_oneof![
        select(
            &[
                ",", " ", "\t", "=", ";", "%", "%%", "a", "k=v,", "k=v;p", "a=b,", "a=b", "k=%",
                "k=%F", "t@s=v,", "00-", "-", "ff", "é", "k=v,=,", ";;;", "k=;p=;q",
            ][..]
        )
        .prop_map(|p| p.as_bytes().to_vec()),
        soup(16).prop_map(String::into_bytes),
        vec(any::<u8>(), 1..=16),
    ];
    let repeated = (pattern, 1..=65_536usize).prop_map(|(pattern, len)| {
        let pattern = if pattern.is_empty() {
            vec![b',']
        } else {
            pattern
        };
        pattern
            .iter()
            .copied()
            .cycle()
            .take(len)
            .collect::<Vec<u8>>()
    });
    let one_huge_member = (
        select(&["k=", "k", "a=b,k=", "t@s=", "k=v;p=", "00-"][..]),
        select(&[b'v', b'%', b' ', b',', b'0'][..]),
        1..=65_536usize,
        select(&["", ",after=1", ";p", ",a=b,c=d"][..]),
    )
        .prop_map(|(head, fill, len, tail)| {
            let mut value = head.as_bytes().to_vec();
            value.resize(head.len() + len, fill);
            value.extend_from_slice(tail.as_bytes());
            value
        });
    // Random bytes from a seed: proptest building 64 KiB element by element is slow.
    let random = (any::<u64>(), 0..=65_536usize).prop_map(|(seed, len)| {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect()
    });
    prop_oneof![3 => repeated, 3 => one_huge_member, 1 => random].boxed()
}

/// A value with bytes that are not UTF-8 put in.
fn not_utf8(inner: BoxedStrategy<Vec<u8>>) -> BoxedStrategy<Vec<u8>> {
    (inner, vec((any::<Index>(), select(NOT_UTF8)), 1..=3))
        .prop_map(|(mut value, bytes)| {
            for (at, byte) in bytes {
                let at = at.index(value.len() + 1);
                value.insert(at, byte);
            }
            value
        })
        .boxed()
}

/// A header as a request carries it: a name and bytes.
#[derive(Clone)]
struct Header {
    name: String,
    value: Vec<u8>,
}

impl Header {
    fn new(name: &str, value: Vec<u8>) -> Self {
        Header {
            name: name.to_owned(),
            value,
        }
    }
}

/// The value as text, bytes that are not printable ASCII escaped, the middle of a
/// long one left out.
impl Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = &self.value;
        write!(f, "({:?}, b\"", self.name)?;
        if value.len() <= 1024 {
            write!(f, "{}", value.escape_ascii())?;
        } else {
            let (head, tail) = (&value[..512], &value[value.len() - 256..]);
            write!(f, "{}..{}", head.escape_ascii(), tail.escape_ascii())?;
        }
        write!(f, "\" [{} bytes])", value.len())
    }
}

/// Any header value, of every kind.
fn value() -> BoxedStrategy<Vec<u8>> {
    let structured = prop_oneof![
        traceparent_near(),
        tracestate_list(),
        baggage_list(),
        soup(64),
        any::<String>(),
    ]
    .prop_map(String::into_bytes)
    .boxed();
    prop_oneof![
        8 => structured.clone(),
        1 => vec(any::<u8>(), 0..=128),
        1 => huge(),
        2 => not_utf8(structured),
    ]
    .boxed()
}

fn header_name() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(&["traceparent", "traceparent", "TraceParent"][..]).prop_map(str::to_owned),
        3 => select(&["tracestate", "tracestate", "TRACESTATE"][..]).prop_map(str::to_owned),
        3 => select(&["baggage", "baggage", "Baggage"][..]).prop_map(str::to_owned),
        1 => text_of(lcalpha(), 1..=10),
    ]
    .boxed()
}

/// The value fitting each name most of the time, any value otherwise.
fn header() -> BoxedStrategy<Header> {
    header_name()
        .prop_flat_map(|name| {
            let fitting = match name.to_ascii_lowercase().as_str() {
                "traceparent" => traceparent_near().prop_map(String::into_bytes).boxed(),
                "tracestate" => tracestate_list().prop_map(String::into_bytes).boxed(),
                "baggage" => baggage_list().prop_map(String::into_bytes).boxed(),
                _ => soup(16).prop_map(String::into_bytes).boxed(),
            };
            let value = prop_oneof![2 => fitting, 1 => value()];
            value.prop_map(move |value| Header {
                name: name.clone(),
                value,
            })
        })
        .boxed()
}

/// A request's headers: none to several, names repeating.
fn headers() -> BoxedStrategy<Vec<Header>> {
    // One near-valid `traceparent` among other headers: the parent is often
    // continued, so that its `tracestate` is read too.
    let others = header().prop_filter("not a traceparent", |header| {
        !header.name.eq_ignore_ascii_case("traceparent")
    });
    let one_traceparent = (
        traceparent_near(),
        proptest::option::weighted(0.7, tracestate_list()),
        vec(others, 0..=4),
        any::<Index>(),
    )
        .prop_map(|(traceparent, tracestate, mut headers, at)| {
            if let Some(tracestate) = tracestate {
                headers.push(Header::new("tracestate", tracestate.into_bytes()));
            }
            let at = at.index(headers.len() + 1);
            headers.insert(at, Header::new("traceparent", traceparent.into_bytes()));
            headers
        });
    prop_oneof![
        1 => vec(header(), 0..=2),
        3 => vec(header(), 1..=6),
        3 => one_traceparent,
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------
// Carriers
// ---------------------------------------------------------------------------------

/// The same headers in every carrier; each keeps what it can hold.
struct Carriers {
    map: HashMap<String, String>,
    raw: Vec<(String, Vec<u8>)>,
    header_map: http::HeaderMap,
    request: http::Request<()>,
    metadata: tonic::metadata::MetadataMap,
    grpc: tonic::Request<()>,
}

fn header_map(headers: &[Header]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for Header { name, value } in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_bytes(value),
        ) {
            map.append(name, value);
        }
    }
    map
}

fn grpc_request(headers: &http::HeaderMap) -> tonic::Request<()> {
    tonic::Request::from_parts(
        tonic::metadata::MetadataMap::from_headers(headers.clone()),
        tonic::Extensions::default(),
        (),
    )
}

impl Carriers {
    fn new(headers: &[Header]) -> Self {
        let map = headers
            .iter()
            .map(|Header { name, value }| {
                (name.clone(), String::from_utf8_lossy(value).into_owned())
            })
            .collect();
        let header_map = header_map(headers);
        let mut request = http::Request::new(());
        *request.headers_mut() = header_map.clone();
        Carriers {
            map,
            raw: headers
                .iter()
                .map(|Header { name, value }| (name.clone(), value.clone()))
                .collect(),
            metadata: tonic::metadata::MetadataMap::from_headers(header_map.clone()),
            grpc: grpc_request(&header_map),
            request,
            header_map,
        }
    }
}

/// Every value of a header as the carrier holds it, bytes and all, read without the
/// runtime's `Extract`.
trait Raw {
    fn raw(&self, name: &str) -> Vec<Vec<u8>>;
}

/// A map's values of `name` in any case, names differing only in case taken in
/// byte order (a map has no order of its own).
impl Raw for HashMap<String, String> {
    fn raw(&self, name: &str) -> Vec<Vec<u8>> {
        let mut found: Vec<(&String, &String)> = self
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .collect();
        found.sort();
        found
            .into_iter()
            .map(|(_, value)| value.clone().into_bytes())
            .collect()
    }
}

impl Raw for Vec<(String, Vec<u8>)> {
    fn raw(&self, name: &str) -> Vec<Vec<u8>> {
        self.iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
            .collect()
    }
}

impl Raw for http::HeaderMap {
    fn raw(&self, name: &str) -> Vec<Vec<u8>> {
        self.get_all(name)
            .iter()
            .map(|value| value.as_bytes().to_vec())
            .collect()
    }
}

impl<B> Raw for http::Request<B> {
    fn raw(&self, name: &str) -> Vec<Vec<u8>> {
        self.headers().raw(name)
    }
}

impl Raw for tonic::metadata::MetadataMap {
    fn raw(&self, name: &str) -> Vec<Vec<u8>> {
        self.get_all(name)
            .iter()
            .map(|value| value.as_encoded_bytes().to_vec())
            .collect()
    }
}

impl<T> Raw for tonic::Request<T> {
    fn raw(&self, name: &str) -> Vec<Vec<u8>> {
        self.metadata().raw(name)
    }
}

// ---------------------------------------------------------------------------------
// Models of the specifications
// ---------------------------------------------------------------------------------

fn trim_ows(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// W3C Trace Context: the ids and the known flags of a valid `traceparent` value
/// (sampled and random for version `00`, sampled alone for a later one).
fn model_traceparent(value: &str) -> Option<(u128, u64, u8)> {
    let value = trim_ows(value);
    // (The first four fields are ASCII by the checks below; what a later version
    // adds after them may hold anything.)
    let fields: Vec<&str> = value.splitn(5, '-').collect();
    let [version, trace_id, span_id, flags, rest @ ..] = &fields[..] else {
        return None;
    };
    let lower_hex = |text: &str, len: usize| {
        text.len() == len && text.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
    };
    if !lower_hex(version, 2)
        || *version == "ff"
        || !lower_hex(trace_id, 32)
        || !lower_hex(span_id, 16)
        || !lower_hex(flags, 2)
        || (*version == "00" && !rest.is_empty())
    {
        return None;
    }
    let trace_id = u128::from_str_radix(trace_id, 16).ok()?;
    let span_id = u64::from_str_radix(span_id, 16).ok()?;
    let known = if *version == "00" { 0x03 } else { 0x01 };
    let flags = u8::from_str_radix(flags, 16).ok()? & known;
    (trace_id != 0 && span_id != 0).then_some((trace_id, span_id, flags))
}

/// The parent a request continues: exactly one `traceparent` value, UTF-8 and valid.
fn model_parent(raw: &[Vec<u8>]) -> Option<(u128, u64, u8)> {
    let [value] = raw else { return None };
    model_traceparent(std::str::from_utf8(value).ok()?)
}

fn ts_key_ok(key: &str) -> bool {
    let rest = |c: char| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '*' | '/')
    };
    let parts: Vec<&str> = key.split('@').collect();
    match parts[..] {
        [simple] => {
            (1..=256).contains(&simple.len())
                && simple.starts_with(|c: char| c.is_ascii_lowercase())
                && simple.chars().all(rest)
        }
        [tenant, system] => {
            (1..=241).contains(&tenant.len())
                && tenant.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && tenant.chars().all(rest)
                && (1..=14).contains(&system.len())
                && system.starts_with(|c: char| c.is_ascii_lowercase())
                && system.chars().all(rest)
        }
        _ => false,
    }
}

fn ts_value_ok(value: &str) -> bool {
    (1..=256).contains(&value.len())
        && value
            .chars()
            .all(|c| matches!(c, ' '..='~') && c != ',' && c != '=')
        && !value.ends_with(' ')
}

/// W3C Trace Context: the `tracestate` a valid parent carries on, as its header; ""
/// when it is absent or breaks a rule (every value must be valid: one that is not
/// UTF-8 is not, and makes the whole list invalid).
fn model_tracestate(raw: &[Vec<u8>]) -> String {
    let Ok(values) = raw
        .iter()
        .map(|value| std::str::from_utf8(value))
        .collect::<Result<Vec<&str>, _>>()
    else {
        return String::new();
    };
    let combined = values.join(",");
    let mut members: Vec<(&str, &str)> = Vec::new();
    for member in combined.split(',').map(trim_ows) {
        if member.is_empty() {
            continue;
        }
        let Some(eq) = member.find('=') else {
            return String::new();
        };
        let (key, value) = (&member[..eq], &member[eq + 1..]);
        if !ts_key_ok(key) || !ts_value_ok(value) || members.iter().any(|(k, _)| *k == key) {
            return String::new();
        }
        members.push((key, value));
    }
    if members.len() > 32 {
        return String::new();
    }
    // The one documented departure: OpenTelemetry's `TraceState` holds a system id
    // of at most 13 characters, so a valid member with 14 is dropped alone.
    let mut kept: Vec<String> = members
        .iter()
        .filter(|(key, _)| {
            key.split_once('@')
                .is_none_or(|(_, system)| system.len() < 14)
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    // Then cut to 512 characters as W3C Trace Context lets a tracer: members over
    // 128 characters from the last, then any from the last.
    while kept.join(",").len() > 512 {
        let last_long = kept.iter().rposition(|member| member.len() > 128);
        kept.remove(last_long.unwrap_or(kept.len() - 1));
    }
    kept.join(",")
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_tchar)
}

fn is_octet(b: u8) -> bool {
    (0x21..=0x7e).contains(&b) && !b"\",;\\".contains(&b)
}

fn model_percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let escape = bytes
            .get(index + 1..index + 3)
            .filter(|digits| bytes[index] == b'%' && digits.iter().all(u8::is_ascii_hexdigit));
        match escape {
            Some(digits) => {
                let digits = std::str::from_utf8(digits).expect("hex digits");
                out.push(u8::from_str_radix(digits, 16).expect("hex"));
                index += 3;
            }
            None => {
                out.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

type Entries = BTreeMap<String, (String, String)>;

/// A baggage list member: key, decoded value and properties.
fn model_member(member: &str) -> Option<(String, (String, String))> {
    let mut parts = member.split(';');
    let first = parts.next()?;
    let eq = first.find('=')?;
    let (key, value) = (trim_ows(&first[..eq]), trim_ows(&first[eq + 1..]));
    if !is_token(key) || !value.bytes().all(is_octet) {
        return None;
    }
    let mut properties = Vec::new();
    for property in parts {
        match property.find('=') {
            Some(eq) => {
                let (k, v) = (trim_ows(&property[..eq]), trim_ows(&property[eq + 1..]));
                if !is_token(k) || !v.bytes().all(is_octet) {
                    return None;
                }
                properties.push(format!("{k}={v}"));
            }
            None if is_token(trim_ows(property)) => properties.push(trim_ows(property).into()),
            None => return None,
        }
    }
    Some((
        key.to_owned(),
        (model_percent_decode(value), properties.join(";")),
    ))
}

/// W3C Baggage as the runtime documents it: every `baggage` value in order as one
/// list (a member that is not UTF-8 is an invalid one to the propagator, as its
/// carrier gives it as U+FFFD); invalid members dropped alone; members taken in
/// order while at most 64 and 8192 bytes (as received, a comma between) hold; the
/// last value of a key wins.
fn model_baggage(raw: &[Vec<u8>]) -> Entries {
    let mut entries = Entries::new();
    let (mut members, mut bytes) = (0, 0);
    let members_text = raw
        .iter()
        .flat_map(|value| value.split(|&byte| byte == b','))
        .filter_map(|member| std::str::from_utf8(member).ok());
    for member in members_text.map(trim_ows) {
        if members == 64 {
            break;
        }
        let Some((key, entry)) = model_member(member) else {
            continue;
        };
        let size = member.len() + usize::from(members > 0);
        if bytes + size > 8192 {
            continue;
        }
        members += 1;
        bytes += size;
        entries.insert(key, entry);
    }
    entries
}

/// The bytes an entry takes in a header written by the injector.
fn encoded_len(key: &str, value: &str, metadata: &str) -> usize {
    let value: usize = value
        .bytes()
        .map(|b| {
            if is_octet(b) && b != b'%' && b != b'=' {
                1
            } else {
                3
            }
        })
        .sum();
    key.len()
        + 1
        + value
        + if metadata.is_empty() {
            0
        } else {
            1 + metadata.len()
        }
}

// ---------------------------------------------------------------------------------
// Property 1: extraction through the public propagators
// ---------------------------------------------------------------------------------

fn note_headers(seen: &Seen, headers: &[Header]) {
    let count = |name: &str| {
        headers
            .iter()
            .filter(|header| header.name.eq_ignore_ascii_case(name))
            .count()
    };
    seen.note("traceparent repeated", count("traceparent") > 1);
    seen.note("tracestate repeated", count("tracestate") > 1);
    seen.note("baggage repeated", count("baggage") > 1);
    seen.note(
        "a value not UTF-8",
        headers
            .iter()
            .any(|header| std::str::from_utf8(&header.value).is_err()),
    );
    seen.note(
        "a value over 8 KiB",
        headers.iter().any(|header| header.value.len() > 8192),
    );
}

fn baggage_entries(context: &Context) -> Entries {
    context
        .baggage()
        .iter()
        .map(|(key, (value, metadata))| {
            (
                key.to_string(),
                (value.as_str().to_owned(), metadata.as_str().to_owned()),
            )
        })
        .collect()
}

fn extract_all<C: Extract + ?Sized>(carrier: &C) -> Context {
    let context = TraceContextPropagator::new().extract(&AsExtractor(carrier));
    BaggagePropagator::new().extract_with_context(&context, &AsExtractor(carrier))
}

fn check_extraction<C: Extract + Raw>(kind: &str, carrier: &C) -> Result<(), TestCaseError> {
    let context = extract_all(carrier);
    let span_context = context.span().span_context().clone();

    // traceparent: accepted exactly when there is one valid value, and then it
    // round-trips.
    let expected = model_parent(&carrier.raw("traceparent"));
    let got = span_context.is_valid().then(|| {
        (
            u128::from_be_bytes(span_context.trace_id().to_bytes()),
            u64::from_be_bytes(span_context.span_id().to_bytes()),
            span_context.trace_flags().to_u8(),
        )
    });
    prop_assert_eq!(got, expected, "{}: traceparent", kind);
    if span_context.is_valid() {
        prop_assert!(span_context.is_remote(), "{kind}: a remote parent");
        let tracestate = span_context.trace_state().header();
        prop_assert!(tracestate.split(',').count() <= 32, "{kind}: {tracestate}");
        let expected = model_tracestate(&carrier.raw("tracestate"));
        prop_assert_eq!(&tracestate, &expected, "{}: tracestate", kind);
        let mut sent: HashMap<String, String> = HashMap::new();
        TraceContextPropagator::new().inject_context(&context, &mut AsInjector(&mut sent));
        let back = TraceContextPropagator::new().extract(&AsExtractor(&sent));
        let back = back.span().span_context().clone();
        prop_assert_eq!(back, span_context, "{}: round trip", kind);
    }

    // baggage: the model's entries, within the limits, and what is injected again
    // extracts to the same entries.
    let entries = baggage_entries(&context);
    let expected = model_baggage(&carrier.raw("baggage"));
    prop_assert_eq!(&entries, &expected, "{}: baggage", kind);
    prop_assert!(entries.len() <= 64, "{kind}: {} entries", entries.len());
    let held: usize = entries
        .iter()
        .map(|(k, (v, m))| k.len() + 1 + v.len() + if m.is_empty() { 0 } else { 1 + m.len() })
        .sum::<usize>()
        + entries.len().saturating_sub(1);
    prop_assert!(held <= 8192, "{kind}: {held} bytes of baggage");
    let mut sent: HashMap<String, String> = HashMap::new();
    BaggagePropagator::new().inject_context(&context, &mut AsInjector(&mut sent));
    let header = sent.get("baggage").cloned().unwrap_or_default();
    prop_assert!(
        header.len() <= 8192,
        "{kind}: a {}-byte header",
        header.len()
    );
    prop_assert!(header.split(',').count() <= 64, "{kind}: {header}");
    let again = baggage_entries(&BaggagePropagator::new().extract(&AsExtractor(&sent)));
    for (key, entry) in &again {
        prop_assert_eq!(
            Some(entry),
            entries.get(key),
            "{}: baggage round trip",
            kind
        );
    }
    let written: usize = entries
        .iter()
        .map(|(k, (v, m))| encoded_len(k, v, m))
        .sum::<usize>()
        + entries.len().saturating_sub(1);
    if written <= 8192 {
        prop_assert_eq!(
            &again,
            &entries,
            "{}: every entry fits, all round-trip",
            kind
        );
    }
    Ok(())
}

#[test]
fn extraction_through_every_carrier_follows_the_specifications() {
    let reached = [
        "parent continued",
        "tracestate kept",
        "baggage kept",
        "a value not UTF-8",
        "a value over 8 KiB",
    ];
    fuzz("extraction", &reached, headers(), |seen, headers| {
        let carriers = Carriers::new(&headers);
        note_headers(seen, &headers);
        let context = extract_all(&carriers.raw);
        let span_context = context.span().span_context().clone();
        seen.note("parent continued", span_context.is_valid());
        seen.note(
            "tracestate kept",
            !span_context.trace_state().header().is_empty(),
        );
        seen.note("baggage kept", !context.baggage().is_empty());
        check_extraction("HashMap", &carriers.map)?;
        check_extraction("Vec<(String, Vec<u8>)>", &carriers.raw)?;
        check_extraction("http::HeaderMap", &carriers.header_map)?;
        check_extraction("http::Request", &carriers.request)?;
        check_extraction("MetadataMap", &carriers.metadata)?;
        check_extraction("tonic::Request", &carriers.grpc)?;
        Ok(())
    });
}

// ---------------------------------------------------------------------------------
// Property 2: #[traced_rpc] servers
// ---------------------------------------------------------------------------------

#[traced_rpc(http, route = "/x")]
fn http_server(headers: &http::HeaderMap) -> http::StatusCode {
    let _ = headers;
    http::StatusCode::OK
}

#[traced_rpc(service = "a.B")]
fn grpc_server(request: tonic::Request<()>) -> Result<tonic::Response<()>, tonic::Status> {
    let _ = request;
    Ok(tonic::Response::new(()))
}

fn check_server_span(
    kind: &str,
    spans: &[SpanData],
    parent: Option<(u128, u64, u8)>,
    tracestate: &str,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(spans.len(), 1, "{}: one span", kind);
    let span = &spans[0];
    prop_assert_eq!(&span.span_kind, &SpanKind::Server, "{}", kind);
    match parent {
        Some((trace_id, span_id, _)) => {
            prop_assert_eq!(
                u64::from_be_bytes(span.parent_span_id.to_bytes()),
                span_id,
                "{}: parent",
                kind
            );
            prop_assert_eq!(
                u128::from_be_bytes(span.span_context.trace_id().to_bytes()),
                trace_id,
                "{}: trace",
                kind
            );
            prop_assert!(span.parent_span_is_remote, "{kind}");
            prop_assert_eq!(
                span.span_context.trace_state().header(),
                tracestate,
                "{}: tracestate",
                kind
            );
        }
        None => {
            prop_assert_eq!(span.parent_span_id, SpanId::INVALID, "{}: no parent", kind);
            prop_assert!(!span.parent_span_is_remote, "{kind}");
        }
    }
    Ok(())
}

#[test]
fn traced_rpc_servers_continue_only_a_single_valid_traceparent() {
    let reached = ["parent continued", "tracestate kept", "a value over 8 KiB"];
    fuzz(
        "traced_rpc servers",
        &reached,
        headers(),
        |seen, headers| {
            let map = header_map(&headers);
            note_headers(seen, &headers);
            let parent = model_parent(&map.raw("traceparent"));
            seen.note("parent continued", parent.is_some());
            let tracestate = model_tracestate(&map.raw("tracestate"));
            seen.note(
                "tracestate kept",
                parent.is_some() && !tracestate.is_empty(),
            );

            let captured = capture(|| http_server(&map));
            prop_assert_eq!(*captured.output(), http::StatusCode::OK);
            check_server_span("http", captured.spans(), parent, &tracestate)?;

            let request = grpc_request(&map);
            let captured = capture(|| grpc_server(request));
            prop_assert!(captured.output().is_ok());
            check_server_span("grpc", captured.spans(), parent, &tracestate)?;
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------
// Property 3: the runtime helpers a request reaches
// ---------------------------------------------------------------------------------

#[traced_rpc(client, http)]
fn http_client(request: http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

#[traced_rpc(client, http, server = server)]
fn http_client_to(request: http::Request<()>, #[skip] server: &str) -> http::StatusCode {
    let _ = (request, server);
    http::StatusCode::OK
}

#[traced_rpc(client, service = "a.B", server = server)]
fn grpc_client_to(
    request: tonic::Request<()>,
    #[skip] server: &str,
) -> Result<tonic::Response<()>, tonic::Status> {
    let _ = (request, server);
    Ok(tonic::Response::new(()))
}

/// A response body of a few frames: data, then trailers maybe.
struct Frames(VecDeque<Frame<&'static [u8]>>);

impl Body for Frames {
    type Data = &'static [u8];
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<&'static [u8]>, Infallible>>> {
        Poll::Ready(self.get_mut().0.pop_front().map(Ok))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }
}

/// A gRPC handler replying with the given headers and trailers.
#[derive(Clone)]
struct Replier {
    headers: http::HeaderMap,
    trailers: Option<http::HeaderMap>,
}

impl Service<http::Request<()>> for Replier {
    type Response = http::Response<Frames>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<http::Response<Frames>, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<()>) -> Self::Future {
        let mut frames = VecDeque::from([Frame::data(&b"\0\0\0\0\0"[..])]);
        if let Some(trailers) = &self.trailers {
            frames.push_back(Frame::trailers(trailers.clone()));
        }
        let mut response = http::Response::new(Frames(frames));
        *response.headers_mut() = self.headers.clone();
        std::future::ready(Ok(response))
    }
}

#[derive(Clone, Debug)]
struct Target {
    method: String,
    scheme: Option<String>,
    authority: Option<String>,
    path: String,
    query: Option<String>,
    host: Option<Vec<u8>>,
}

impl Target {
    /// The request, or `None` when the `http` crate refuses its parts.
    fn request(&self, headers: &[Header]) -> Option<http::Request<()>> {
        let mut uri = http::Uri::builder();
        if let Some(scheme) = &self.scheme {
            uri = uri.scheme(scheme.as_str());
        }
        if let Some(authority) = &self.authority {
            uri = uri.authority(authority.as_str());
        }
        let mut path_and_query = self.path.clone();
        if let Some(query) = &self.query {
            path_and_query.push('?');
            path_and_query.push_str(query);
        }
        let uri = uri.path_and_query(path_and_query).build().ok()?;
        let mut request = http::Request::builder()
            .method(http::Method::from_bytes(self.method.as_bytes()).ok()?)
            .uri(uri)
            .body(())
            .ok()?;
        *request.headers_mut() = header_map(headers);
        if let Some(host) = &self.host
            && let Ok(host) = http::HeaderValue::from_bytes(host)
        {
            request.headers_mut().insert(http::header::HOST, host);
        }
        Some(request)
    }
}

const SECRET_KEYS: [&str; 19] = [
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "sig",
    "X-Goog-Signature",
    "AWSAccessKeyId",
    "Signature",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "api_key",
    "apikey",
    "key",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "ACCESS_TOKEN",
];

fn uri_text(max: usize) -> BoxedStrategy<String> {
    let uri_chars = chars(|c| c.is_ascii_alphanumeric() || "-._~!$'()*+,;:@%/".contains(c));
    prop_oneof![8 => text_of(uri_chars, 0..=max), 1 => soup(max)].boxed()
}

fn authority() -> BoxedStrategy<String> {
    let host = prop_oneof![
        text_of(lcalpha(), 1..=8),
        select(&["[::1]", "[::1", "::1", "[v1.x]", "127.0.0.1", ""][..]).prop_map(str::to_owned),
        uri_text(12),
    ];
    let port = prop_oneof![
        Just(String::new()),
        any::<u16>().prop_map(|p| format!(":{p}")),
        select(&[":", ":99999", ":http", ":-1", ":+80", ": 80"][..]).prop_map(str::to_owned),
    ];
    let user = proptest::option::of(select(&["u", "u:pw", "a@b", "", ":"][..]));
    (user, host, port)
        .prop_map(|(user, host, port)| match user {
            Some(user) => format!("{user}@{host}{port}"),
            None => format!("{host}{port}"),
        })
        .boxed()
}

fn target() -> BoxedStrategy<Target> {
    let method = prop_oneof![
        3 => select(&["GET", "POST", "QUERY", "get", "BREW", "CONNECT"][..]).prop_map(str::to_owned),
        1 => text_of(tchar(), 1..=12),
    ];
    let scheme = select(&["http", "https", "ftp", "grpc+tls", "HTTP"][..]).prop_map(str::to_owned);
    let pair = (
        prop_oneof![
            select(&SECRET_KEYS[..]).prop_map(str::to_owned),
            uri_text(6)
        ],
        proptest::option::of(uri_text(8)),
    )
        .prop_map(|(key, value)| match value {
            Some(value) => format!("{key}={value}"),
            None => key,
        });
    let query = proptest::option::of(vec(pair, 0..=5).prop_map(|pairs| pairs.join("&")));
    let host = proptest::option::of(prop_oneof![
        authority().prop_map(String::into_bytes),
        not_utf8(authority().prop_map(String::into_bytes).boxed()),
        vec(any::<u8>(), 0..=20),
    ]);
    // A URI has both a scheme and an authority, or neither (the `Host` header then
    // names the server); now and then one alone, which the `http` crate refuses.
    let absolute = prop_oneof![
        4 => (scheme.clone(), authority()).prop_map(|(scheme, authority)| (Some(scheme), Some(authority))),
        2 => Just((None, None)),
        1 => (proptest::option::of(scheme), proptest::option::of(authority())),
    ];
    (
        method,
        absolute,
        uri_text(24).prop_map(|path| format!("/{path}")),
        query,
        host,
    )
        .prop_map(|(method, (scheme, authority), path, query, host)| Target {
            method,
            scheme,
            authority,
            path,
            query,
            host,
        })
        .boxed()
}

#[derive(Debug)]
enum Call {
    /// A client request through `#[traced_rpc(client, http)]`.
    HttpClient(Target, Vec<Header>),
    /// A request received by `#[traced_rpc(http)]` through its `http::Request`,
    /// with the headers a proxy and a client add.
    HttpServer(Target, Vec<Header>),
    /// `server = <string>` of an HTTP and a gRPC client.
    Server(String),
    /// A gRPC path and reply through `GrpcLayer::server()` and `client().calling(..)`.
    Layer {
        path: String,
        headers: Vec<Header>,
        status: Vec<Header>,
        in_trailers: bool,
        calling: String,
    },
}

/// The headers a server reads its request's origin from: `Host`, a proxy's
/// `Forwarded` and `X-Forwarded-*`, the client's `User-Agent`.
fn proxy_header() -> BoxedStrategy<Header> {
    let name = select(
        &[
            "host",
            "forwarded",
            "Forwarded",
            "x-forwarded-for",
            "x-forwarded-host",
            "x-forwarded-proto",
            "user-agent",
        ][..],
    );
    let fitting = prop_oneof![
        authority(),
        select(
            &[
                "for=192.0.2.60;proto=https;by=203.0.113.43",
                "for=\"[2001:db8:cafe::17]:4711\"",
                "for=\"_hidden\", for=198.51.100.17",
                "proto=HTTP;host=shop.example:8443",
                "host=",
                "for=unknown",
                "for=\"a,b\";proto=https",
                "203.0.113.9, 10.0.0.1",
                " 203.0.113.9 ",
                "\"203.0.113.9\", 10.0.0.1",
                "[2001:db8::1]:8080",
                "https",
                "http",
                "wss",
                "curl/8.5.0",
                "Mozilla/5.0 (X11; Linux x86_64)",
                "кириллица/1.0",
            ][..]
        )
        .prop_map(str::to_owned),
        soup(30),
    ];
    let value = prop_oneof![3 => fitting.prop_map(String::into_bytes), 1 => value()];
    (name, value)
        .prop_map(|(name, value)| Header::new(name, value))
        .boxed()
}

fn grpc_status() -> BoxedStrategy<Vec<Header>> {
    let code = prop_oneof![
        (-2i64..=20).prop_map(|code| code.to_string().into_bytes()),
        any::<i64>().prop_map(|code| code.to_string().into_bytes()),
        select(&[" 0", "2 ", "+5", "-0", "2147483648", "0x1", "", "١"][..])
            .prop_map(|code| code.as_bytes().to_vec()),
        vec(any::<u8>(), 0..=8),
    ];
    let message = prop_oneof![
        baggage_value().prop_map(String::into_bytes),
        vec(any::<u8>(), 0..=40),
        not_utf8(soup(20).prop_map(String::into_bytes).boxed()),
    ];
    (proptest::option::of(code), proptest::option::of(message))
        .prop_map(|(code, message)| {
            let mut headers = Vec::new();
            if let Some(value) = code {
                headers.push(Header::new("grpc-status", value));
            }
            if let Some(value) = message {
                headers.push(Header::new("grpc-message", value));
            }
            headers
        })
        .boxed()
}

fn call() -> BoxedStrategy<Call> {
    let server = prop_oneof![authority(), any::<String>(), soup(30)];
    let path = prop_oneof![
        (text_of(tchar(), 1..=12), text_of(tchar(), 1..=12))
            .prop_map(|(service, method)| format!("/{service}/{method}")),
        uri_text(30).prop_map(|path| format!("/{path}")),
        select(&["/", "//", "/a/", "/a.B/C/D", "/a.B/C"][..]).prop_map(str::to_owned),
    ];
    let layer = (path, headers(), grpc_status(), any::<bool>(), authority()).prop_map(
        |(path, headers, status, in_trailers, calling)| Call::Layer {
            path,
            headers,
            status,
            in_trailers,
            calling,
        },
    );
    prop_oneof![
        2 => (target(), headers()).prop_map(|(target, headers)| Call::HttpClient(target, headers)),
        2 => (target(), vec(proxy_header(), 0..=5))
            .prop_map(|(target, headers)| Call::HttpServer(target, headers)),
        1 => server.prop_map(Call::Server),
        2 => layer,
    ]
    .boxed()
}

fn string_attribute(span: &SpanData, key: &str) -> Option<String> {
    match attribute(span, key) {
        Some(Value::String(value)) => Some(value.as_str().to_owned()),
        _ => None,
    }
}

/// A recorded `server.address` is a host: never empty, no user information.
fn check_server_address(span: &SpanData) -> Result<(), TestCaseError> {
    if let Some(address) = string_attribute(span, "server.address") {
        prop_assert!(!address.is_empty() && !address.contains('@'), "{address:?}");
    }
    if let Some(port) = attribute(span, "server.port") {
        prop_assert!(
            matches!(port, Value::I64(port) if (0..=65535).contains(port)),
            "{:?}",
            port
        );
    }
    Ok(())
}

const GRPC_CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

fn check_http_client(
    seen: &Seen,
    target: &Target,
    headers: &[Header],
) -> Result<(), TestCaseError> {
    let request = target.request(headers);
    seen.note("client: refused by the http crate", request.is_none());
    let Some(request) = request else {
        return Ok(()); // not a request the `http` crate can hold
    };
    let uri = request.uri().clone();
    let captured = capture(|| http_client(request));
    prop_assert_eq!(captured.spans().len(), 1);
    let span = &captured.spans()[0];
    prop_assert!(
        ["GET", "POST", "QUERY", "CONNECT", "HTTP"].contains(&&*span.name),
        "{}",
        span.name
    );
    check_server_address(span)?;
    let full = string_attribute(span, "url.full");
    prop_assert_eq!(
        full.is_some(),
        uri.scheme().is_some() && uri.authority().is_some(),
        "{:?}",
        full
    );
    seen.note("client: url.full", full.is_some());
    seen.note(
        "client: server.address",
        attribute(span, "server.address").is_some(),
    );
    if let Some(full) = full {
        seen.note("client: a secret redacted", full.contains("=REDACTED"));
        let scheme = uri.scheme_str().unwrap_or_default();
        prop_assert!(full.starts_with(&format!("{scheme}://")), "{full}");
        let rest = &full[scheme.len() + 3..];
        let host = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
        let host = host.strip_prefix("REDACTED:REDACTED@").unwrap_or(host);
        prop_assert!(!host.contains('@'), "user information in {full}");
        if let Some((_, query)) = full.split_once('?') {
            for pair in query.split('&') {
                if let Some((key, value)) = pair.split_once('=')
                    && SECRET_KEYS
                        .iter()
                        .any(|secret| secret.eq_ignore_ascii_case(key))
                {
                    prop_assert_eq!(value, "REDACTED", "{}", full);
                }
            }
        }
    }
    Ok(())
}

#[traced_rpc(http, route = "/x")]
fn http_request_server(request: &http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

/// What a server records of a request's origin is well-formed whatever a client
/// or proxy wrote: a scheme of the web's, a port, an address without a list or
/// padding, the `User-Agent` as sent.
fn check_http_server(
    seen: &Seen,
    target: &Target,
    headers: &[Header],
) -> Result<(), TestCaseError> {
    let Some(request) = target.request(headers) else {
        return Ok(()); // not a request the `http` crate can hold
    };
    let user_agent = request
        .headers()
        .get(http::header::USER_AGENT)
        .and_then(|agent| std::str::from_utf8(agent.as_bytes()).ok())
        .map(str::to_owned);
    let captured = capture(|| http_request_server(&request));
    prop_assert_eq!(captured.spans().len(), 1);
    let span = &captured.spans()[0];
    prop_assert_eq!(&span.span_kind, &SpanKind::Server);
    prop_assert!(span.name.ends_with(" /x"), "{}", span.name);
    let scheme = string_attribute(span, "url.scheme");
    prop_assert!(
        scheme
            .as_deref()
            .is_none_or(|scheme| ["http", "https"].contains(&scheme)),
        "{:?}",
        scheme
    );
    seen.note(
        "server: a scheme from a proxy",
        scheme.as_deref() == Some("https"),
    );
    check_server_address(span)?;
    seen.note(
        "server: port in a request",
        attribute(span, "server.port").is_some(),
    );
    let client = string_attribute(span, "client.address");
    seen.note("server: client.address", client.is_some());
    if let Some(client) = &client {
        prop_assert!(
            !client.is_empty() && !client.contains([',', '"']) && client.trim() == client,
            "{:?}",
            client
        );
    }
    prop_assert_eq!(string_attribute(span, "user_agent.original"), user_agent);
    Ok(())
}

fn check_layer(
    seen: &Seen,
    path: &str,
    headers: &[Header],
    status: &[Header],
    in_trailers: bool,
    calling: &str,
) -> Result<(), TestCaseError> {
    let uri = http::Uri::builder().path_and_query(path).build();
    seen.note("layer: path refused by the http crate", uri.is_err());
    let Ok(uri) = uri else {
        return Ok(()); // not a path the `http` crate can hold
    };
    let path = uri.path();
    let status = header_map(status);
    // The reply is HTTP 200, so a missing status is UNKNOWN. A client's span says
    // what tonic tells the application (UNKNOWN for a message that is not UTF-8
    // once decoded); a server's, the code it sent.
    let name = |code: tonic::Code| {
        GRPC_CODES[usize::try_from(i32::from(code)).expect("a code of the protocol")]
    };
    let told = tonic::Status::from_header_map(&status).map_or("UNKNOWN", |told| name(told.code()));
    let sent = status.get("grpc-status").map_or("UNKNOWN", |value| {
        name(tonic::Code::from_bytes(value.as_bytes()))
    });
    // tonic's answer to a method a service does not have: a server takes the
    // method it named for `_OTHER` then.
    let unknown_method_answer = !in_trailers
        && sent == "UNIMPLEMENTED"
        && status
            .get("grpc-message")
            .is_none_or(http::HeaderValue::is_empty);
    let replier = if in_trailers {
        Replier {
            headers: http::HeaderMap::new(),
            trailers: Some(status),
        }
    } else {
        Replier {
            headers: status,
            trailers: None,
        }
    };
    for (layer, serving) in [
        (GrpcLayer::server(), true),
        (GrpcLayer::client().calling(calling), false),
    ] {
        let mut request = http::Request::new(());
        *request.uri_mut() = uri.clone();
        *request.headers_mut() = header_map(headers);
        let mut service = layer.layer(replier.clone());
        let captured = capture(|| {
            futures::executor::block_on(async {
                let response = service.call(request).await.expect("replied");
                response.into_body().collect().await.expect("a body");
            })
        });
        prop_assert_eq!(captured.spans().len(), 1);
        let span = &captured.spans()[0];
        let method = path.strip_prefix('/').filter(|method| {
            let parts: Vec<&str> = method.split('/').collect();
            parts.len() == 2
                && parts.iter().all(|part| {
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
                })
        });
        let known = method.filter(|_| !(serving && unknown_method_answer));
        seen.note(
            "layer: a server's method relabelled",
            method.is_some() && known.is_none(),
        );
        prop_assert_eq!(&*span.name, known.unwrap_or("grpc"));
        let recorded_method = string_attribute(span, "rpc.method");
        prop_assert_eq!(recorded_method.as_deref(), Some(known.unwrap_or("_OTHER")));
        let original = string_attribute(span, "rpc.method_original");
        prop_assert_eq!(
            original.as_deref(),
            known
                .is_none()
                .then(|| path.strip_prefix('/').unwrap_or(path)),
            "the path is kept as sent when it names no method"
        );
        seen.note("layer: a gRPC method", method.is_some());
        let code = string_attribute(span, "rpc.response.status_code").unwrap_or_default();
        seen.note(
            "layer: a status other than OK and UNKNOWN",
            code != "OK" && code != "UNKNOWN",
        );
        prop_assert_eq!(&code, if serving { sent } else { told });
        check_server_address(span)?;
    }
    Ok(())
}

/// The layer's model for the inputs the fuzzer rarely draws: tonic's answer to a
/// method a served service does not have (UNIMPLEMENTED, no message, in the
/// headers), which a server relabels, and the same status said otherwise.
#[test]
fn the_layer_model_holds_for_an_unimplemented_answer() {
    let seen = Seen::default();
    let status = |message: Option<&str>| {
        let mut status = vec![Header::new("grpc-status", b"12".to_vec())];
        status.extend(message.map(|message| Header::new("grpc-message", message.into())));
        status
    };
    for (message, in_trailers) in [(None, false), (Some("not here"), false), (None, true)] {
        check_layer(&seen, "/a.B/C", &[], &status(message), in_trailers, "a")
            .unwrap_or_else(|error| panic!("{message:?}, in trailers {in_trailers}: {error}"));
    }
    assert!(
        seen.summary()
            .contains("layer: a server's method relabelled: 1"),
        "{}",
        seen.summary()
    );
}

/// The layer's model for a `grpc-message` that is not UTF-8 once decoded, escaped
/// or raw: a client is told UNKNOWN, a server's span keeps the code it sent; and
/// for raw UTF-8, which tonic takes as it is.
#[test]
fn the_layer_model_holds_for_messages_escaped_or_raw() {
    let seen = Seen::default();
    for message in [&b"%FF"[..], b"\xff", "é".as_bytes()] {
        for in_trailers in [false, true] {
            let status = [
                Header::new("grpc-status", b"5".to_vec()),
                Header::new("grpc-message", message.to_vec()),
            ];
            check_layer(&seen, "/a.B/C", &[], &status, in_trailers, "a")
                .unwrap_or_else(|error| panic!("{message:?}, in trailers {in_trailers}: {error}"));
        }
    }
}

#[test]
fn the_runtime_helpers_never_panic_on_arbitrary_requests() {
    let reached = [
        "client: url.full",
        "client: server.address",
        "layer: a gRPC method",
        "layer: a status other than OK and UNKNOWN",
        "server: address recorded",
        "server: port in a request",
        "server: a scheme from a proxy",
        "server: client.address",
    ];
    fuzz("runtime helpers", &reached, call(), |seen, call| {
        match call {
            Call::HttpClient(target, headers) => check_http_client(seen, &target, &headers)?,
            Call::HttpServer(target, headers) => check_http_server(seen, &target, &headers)?,
            Call::Server(server) => {
                let captured = capture(|| http_client_to(http::Request::new(()), &server));
                prop_assert_eq!(captured.spans().len(), 1);
                let address = attribute(&captured.spans()[0], "server.address");
                seen.note("server: address recorded", address.is_some());
                let port = attribute(&captured.spans()[0], "server.port");
                seen.note("server: port recorded", port.is_some());
                check_server_address(&captured.spans()[0])?;
                let captured = capture(|| grpc_client_to(tonic::Request::new(()), &server));
                prop_assert_eq!(captured.spans().len(), 1);
                check_server_address(&captured.spans()[0])?;
            }
            Call::Layer {
                path,
                headers,
                status,
                in_trailers,
                calling,
            } => check_layer(seen, &path, &headers, &status, in_trailers, &calling)?,
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------
// Property 4: bounded work
// ---------------------------------------------------------------------------------

/// A generous bound for extracting a few 64 KiB headers: linear work takes well
/// under a millisecond per header in release; only a blow-up (quadratic, or worse)
/// comes near it.
const BOUND: Duration = if cfg!(debug_assertions) {
    Duration::from_millis(500)
} else {
    Duration::from_millis(50)
};

/// A value filling exactly 64 KiB (the value a proxy lets through, at most).
fn full_64k() -> BoxedStrategy<Vec<u8>> {
    huge()
        .prop_map(|mut value| {
            let pattern = if value.is_empty() {
                vec![b',']
            } else {
                value.clone()
            };
            value = pattern.iter().copied().cycle().take(65_536).collect();
            value
        })
        .boxed()
}

#[test]
fn extracting_from_64_kib_headers_is_bounded_work() {
    let names = select(&["traceparent", "tracestate", "baggage"][..]);
    let headers = vec((names, full_64k()), 1..=3).prop_map(|headers| {
        headers
            .into_iter()
            .map(|(name, value)| Header::new(name, value))
            .collect::<Vec<_>>()
    });
    fuzz("bounded work", &[], headers, |seen, headers| {
        let carriers = Carriers::new(&headers);
        let mut timings = Vec::new();
        // Over the bound, measured twice more and the fastest kept: a blow-up is
        // slow every time, a thread the scheduler set aside once is not.
        let mut time = |kind: &'static str, extract: &dyn Fn() -> Context| {
            let start = Instant::now();
            let context = extract();
            let mut elapsed = start.elapsed();
            for _ in 0..2 {
                if elapsed < BOUND {
                    break;
                }
                let start = Instant::now();
                extract();
                elapsed = elapsed.min(start.elapsed());
            }
            timings.push((kind, elapsed));
            context
        };
        let contexts = [
            time("HashMap", &|| extract_all(&carriers.map)),
            time("Vec<(String, Vec<u8>)>", &|| extract_all(&carriers.raw)),
            time("http::HeaderMap", &|| extract_all(&carriers.header_map)),
            time("http::Request", &|| extract_all(&carriers.request)),
            time("MetadataMap", &|| extract_all(&carriers.metadata)),
            time("tonic::Request", &|| extract_all(&carriers.grpc)),
        ];
        for (kind, elapsed) in timings {
            seen.timing(elapsed);
            prop_assert!(elapsed < BOUND, "{kind}: {elapsed:?} for 64 KiB headers");
        }
        // What a request can make the process hold is bounded too.
        for context in contexts {
            prop_assert!(context.baggage().len() <= 64);
            let tracestate = context.span().span_context().trace_state().header();
            prop_assert!(tracestate.len() <= 512);
        }
        Ok(())
    });
}
