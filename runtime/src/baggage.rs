//! Baggage: name-value pairs that travel with the context across calls and, through
//! the `baggage` propagator, across services (a user id, a tenant).
//!
//! `#[traced(baggage(user.id))]` records entries of the current baggage as span
//! attributes; `#[traced(set_baggage(user.id = id))]` runs the body with entries
//! added, so downstream calls carry them. The W3C Baggage limits (64 entries, 8192
//! bytes of the header, values escaped) hold: an entry that would break them is
//! not added. Values arriving from
//! other services are only recorded under keys the code names.

use crate::callsite::CallKind;
use opentelemetry::baggage::{Baggage, BaggageExt as _, BaggageMetadata};
use opentelemetry::{Context, Key, StringValue, Value};

/// The value of baggage entry `key` in the current context.
///
/// ```
/// otel_traced::baggage::with([("tenant", "acme")], || {
///     assert_eq!(otel_traced::baggage::get("tenant").as_deref(), Some("acme"));
/// });
/// ```
pub fn get(key: &str) -> Option<String> {
    crate::thread_exit::map_current(|context| {
        context.baggage().get(key).map(|value| value.to_string())
    })
    .flatten()
}

/// Runs `body` in the current context with `entries` added to its baggage
/// (replacing entries of the same keys). For a future, use [`with_async`]: a
/// closure here would only make the future, and an `async fn`'s span opens at its
/// first poll, after the entries are gone.
pub fn with<K, V, R>(entries: impl IntoIterator<Item = (K, V)>, body: impl FnOnce() -> R) -> R
where
    K: Into<Key>,
    V: Into<StringValue>,
{
    // Made before the current context is borrowed: the entries' iterator is the
    // caller's code, which may open a span (attach a context) as it runs.
    let entries = key_values(entries);
    // A thread exiting past its current context runs `body` without the entries.
    let Some(context) = crate::thread_exit::map_current(|current| added(current, entries)) else {
        return body();
    };
    let _current = context.attach();
    body()
}

/// Awaits `future` with `entries` added to the baggage of the current context
/// (replacing entries of the same keys), in every poll and in its drop, wherever
/// it is polled: the async counterpart of [`with`]. The context is the one of the
/// call, span included: the future runs under it wherever it is awaited.
///
/// ```
/// # async fn fetch() -> Option<String> { otel_traced::baggage::get("tenant") }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let tenant = otel_traced::baggage::with_async([("tenant", "acme")], fetch()).await;
/// assert_eq!(tenant.as_deref(), Some("acme"));
/// # });
/// ```
pub fn with_async<K, V, F>(
    entries: impl IntoIterator<Item = (K, V)>,
    future: F,
) -> crate::Instrumented<F::IntoFuture>
where
    K: Into<Key>,
    V: Into<StringValue>,
    F: std::future::IntoFuture,
{
    let entries = crate::span::ActiveSpan::without_span(None, CallKind::Carrier, None)
        .with_baggage(key_values(entries));
    crate::Instrumented::new(entries, future.into_future())
}

/// An entry to add to the baggage: its key, and its value, or none to take the
/// key out (a `set_baggage` value that could not be made, whose key the
/// caller's baggage must not carry on with another value).
#[doc(hidden)]
pub type Entry = (Key, Option<StringValue>);

fn key_values<K: Into<Key>, V: Into<StringValue>>(
    entries: impl IntoIterator<Item = (K, V)>,
) -> Vec<Entry> {
    entries
        .into_iter()
        .map(|(key, value)| (key.into(), Some(value.into())))
        .collect()
}

/// `context` with `entries` added to its baggage (the keys of those without a
/// value taken out).
pub(crate) fn added(context: &Context, mut entries: Vec<Entry>) -> Context {
    // Of two entries of one key the last is set, and only it is measured.
    for index in (0..entries.len()).rev() {
        if entries[index + 1..]
            .iter()
            .any(|(later, _)| *later == entries[index].0)
        {
            entries.remove(index);
        }
    }
    // The entries replaced go either way: one whose new value breaks the W3C
    // limits is not added, and the old value left would travel on stale. (Left
    // out of the copy rather than removed: `Baggage::remove` keeps counting their
    // bytes against the limit.)
    let mut baggage = copied(context.baggage(), |key| {
        !entries.iter().any(|(entry, _)| entry == key)
    });
    let mut header_bytes = least_header_bytes(&baggage);
    let mut left_out: Vec<Key> = Vec::new();
    for (key, value) in entries {
        let Some(value) = value else {
            left_out.push(key);
            continue;
        };
        if !insert_if_carried(
            &mut baggage,
            &mut header_bytes,
            key.clone(),
            value,
            Default::default(),
        ) {
            left_out.push(key);
        }
    }
    let earlier = context.get::<KeysLeftOut>();
    let context = context.with_baggage(baggage);
    if left_out.is_empty() {
        return context;
    }
    if let Some(KeysLeftOut(earlier)) = earlier {
        let inherited: Vec<Key> = (earlier.iter())
            .filter(|key| !left_out.contains(key))
            .cloned()
            .collect();
        left_out.extend(inherited);
    }
    context.with_value(KeysLeftOut(left_out))
}

/// Marks a context whose baggage left out keys `set_baggage` set (a value that
/// could not be made, or was past the limits), naming them: written into a
/// carrier, its baggage replaces the carrier's, whose value for such a key (a
/// gateway's copy of the incoming headers) must not travel on in its place, also
/// when nothing is left to write; a new message keeps its own entries but those.
#[derive(Clone, Debug)]
pub(crate) struct KeysLeftOut(pub(crate) Vec<Key>);

/// Adds a new `key`'s entry to `baggage`, whose header takes `header_bytes` at
/// least, if it fits: measured as the header writes it (escaped), as well as the
/// `Baggage` type measures it, so that no entry is kept here that the header would
/// leave out. An entry beyond the limits is not added (`false`); the others stay.
fn insert_if_carried(
    baggage: &mut Baggage,
    header_bytes: &mut usize,
    key: Key,
    value: StringValue,
    metadata: BaggageMetadata,
) -> bool {
    // A key that is no token is never written, and takes no room.
    let member =
        crate::propagation::least_member_bytes(key.as_str(), value.as_str(), metadata.as_str());
    let bytes = match member {
        Some(member) => *header_bytes + usize::from(*header_bytes > 0) + member,
        None => *header_bytes,
    };
    if bytes > crate::propagation::MAX_BAGGAGE_BYTES {
        return false;
    }
    // A new key: `insert` tells a refusal by the length alone.
    let entries = baggage.len();
    let _ = baggage.insert_with_metadata(key, value, metadata);
    let inserted = baggage.len() > entries;
    if inserted {
        *header_bytes = bytes;
    }
    inserted
}

/// What the header of `baggage` takes at least.
fn least_header_bytes(baggage: &Baggage) -> usize {
    crate::propagation::least_baggage_bytes(
        baggage
            .iter()
            .map(|(key, (value, metadata))| (key.as_str(), value.as_str(), metadata.as_str())),
    )
}

/// `context` with the entries of `carried` (a message's baggage) added to its
/// baggage, theirs winning over entries of the same keys, properties kept. Theirs
/// go in first: within the W3C limits already, they all stay, and the current
/// entries that no longer fit are the ones left out (the last in key order, the
/// same on every run).
pub(crate) fn merged(context: &Context, carried: &Baggage) -> Context {
    if carried.is_empty() {
        return context.clone();
    }
    context.with_baggage(merged_baggage(context.baggage(), carried))
}

/// `current` with the entries of `carried`, theirs winning; see [`merged`]. The
/// current entries are measured as [`added`] measures entries, against the header
/// theirs take: within the `Baggage` type's limits, which count bytes unescaped, a
/// current entry could still push one of theirs out of the header.
pub(crate) fn merged_baggage(current: &Baggage, carried: &Baggage) -> Baggage {
    let mut baggage = copied(carried, |_| true);
    let mut header_bytes = least_header_bytes(&baggage);
    let mut current: Vec<_> = current
        .iter()
        .filter(|(key, _)| carried.get(key).is_none())
        .collect();
    current.sort_unstable_by(|(one, _), (other, _)| one.as_str().cmp(other.as_str()));
    for (key, (value, metadata)) in current {
        insert_if_carried(
            &mut baggage,
            &mut header_bytes,
            key.clone(),
            value.clone(),
            metadata.clone(),
        );
    }
    baggage
}

/// The entries of `baggage` whose keys `keep` takes, properties kept (`Baggage`
/// is not `Clone`).
pub(crate) fn copied(baggage: &Baggage, keep: impl Fn(&Key) -> bool) -> Baggage {
    baggage
        .iter()
        .filter(|(key, _)| keep(key))
        .map(|(key, entry)| (key.clone(), entry.clone()))
        .collect()
}

/// The value of baggage entry `key` of the current context, as an attribute value
/// (`baggage(..)`).
#[doc(hidden)]
pub fn attribute_value(key: &str) -> Option<Value> {
    crate::thread_exit::map_current(|context| {
        context
            .baggage()
            .get(key)
            .map(|value| Value::String(value.clone()))
    })
    .flatten()
}

/// The value of baggage entry `key` in the baggage the body runs with, as an
/// attribute value, where the annotation's own `set_baggage` entries (`set`, made
/// before the span opens) are added to the current baggage: as they are added,
/// an entry the W3C limits leave out not there.
#[doc(hidden)]
pub fn attribute_value_set(set: &[Entry], key: &str) -> Option<Value> {
    crate::thread_exit::map_current(|current| {
        added(current, set.to_vec())
            .baggage()
            .get(key)
            .map(|value| Value::String(value.clone()))
    })
    .flatten()
}

/// A `set_baggage` entry, its `value` formatted whole; no value when its
/// `Display` or `Debug` panics: a value made up in its place would travel to
/// every service downstream, and instrumentation must not make the call panic.
/// The W3C limits then apply as to any entry; a value longer than the whole
/// baggage may be (8192 bytes) is left out as soon as its formatting passes that,
/// not formatted whole first. Either way the key is taken out of the baggage the
/// body runs with, as when a value does not fit: the value it had (from upstream,
/// say) does not travel on in place of the one the code set.
#[doc(hidden)]
pub fn set_baggage_entry(key: impl Into<Key>, value: std::fmt::Arguments<'_>) -> Entry {
    (key.into(), formatted_within_limit(value))
}

/// `value` formatted, unless its formatting panics or passes what a header holds.
fn formatted_within_limit(value: std::fmt::Arguments<'_>) -> Option<StringValue> {
    let mut text = Capped::default();
    crate::panic::contained(|| std::fmt::Write::write_fmt(&mut text, value))?.ok()?;
    (!text.refused).then(|| text.text.into())
}

/// Text that fails to grow past what a baggage header holds, and fails for good
/// once it did: a `Display` that ignores the error and writes on would make up a
/// value of the pieces after the one refused.
#[derive(Default)]
struct Capped {
    text: String,
    refused: bool,
}

impl std::fmt::Write for Capped {
    fn write_str(&mut self, piece: &str) -> std::fmt::Result {
        if self.refused || self.text.len() + piece.len() > crate::propagation::MAX_BAGGAGE_BYTES {
            self.refused = true;
            return Err(std::fmt::Error);
        }
        self.text.push_str(piece);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::KeyValue;

    fn baggage_of(entries: impl IntoIterator<Item = (String, String)>) -> Baggage {
        entries
            .into_iter()
            .map(|(key, value)| KeyValue::new(key, value))
            .collect()
    }

    /// Writes `x` without end, counting the pieces asked for.
    struct Endless(std::cell::Cell<usize>);

    impl std::fmt::Display for Endless {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            loop {
                self.0.set(self.0.get() + 1);
                f.write_str("x")?;
            }
        }
    }

    #[test]
    fn a_value_past_the_baggage_limit_is_left_out_without_being_formatted_whole() {
        let endless = Endless(std::cell::Cell::new(0));
        assert_eq!(set_baggage_entry("big", format_args!("{endless}")).1, None);
        assert_eq!(endless.0.get(), 8193, "stopped at the limit");
        assert_eq!(
            set_baggage_entry("tenant", format_args!("{}", "a".repeat(8192))),
            ("tenant".into(), Some("a".repeat(8192).into()))
        );
    }

    /// Writes a piece past the limit, ignores the error, and writes on.
    struct Heedless;

    impl std::fmt::Display for Heedless {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let _ = f.write_str(&"a".repeat(9000));
            f.write_str("tail")
        }
    }

    #[test]
    fn a_value_whose_formatting_writes_on_past_a_refusal_is_left_out() {
        assert_eq!(set_baggage_entry("k", format_args!("{Heedless}")).1, None);
    }

    #[test]
    fn an_entry_the_header_could_not_carry_escaped_is_left_out() {
        // 6000 bytes, within the limit; 18000 escaped (`%C3%A9` each).
        let escaped_past = added(&Context::new(), key_values([("note", "é".repeat(3000))]));
        assert_eq!(escaped_past.baggage().get("note"), None);
        // 2000 bytes, 6000 escaped: kept, and so is what comes after it.
        let fitting = added(
            &Context::new(),
            key_values([("note", "é".repeat(1000)), ("tenant", "acme".to_owned())]),
        );
        assert!(fitting.baggage().get("note").is_some());
        let big = added(&fitting, key_values([("big", "x".repeat(2200))]));
        assert_eq!(
            big.baggage().get("big"),
            None,
            "6000 escaped bytes and 2200 more are past 8192"
        );
        assert!(big.baggage().get("tenant").is_some(), "the others stay");
    }

    #[test]
    fn an_entry_set_through_the_api_too_large_to_travel_leaves_room_for_others() {
        // 6000 bytes the `Baggage` type takes, 18000 escaped: no header carries it.
        let untravelled = Context::new().with_baggage([KeyValue::new("note", "é".repeat(3000))]);
        let context = added(&untravelled, key_values([("tenant", "acme")]));
        assert_eq!(
            context.baggage().get("tenant").map(StringValue::as_str),
            Some("acme"),
            "the header goes out with tenant alone"
        );
    }

    #[test]
    fn an_entry_added_leaves_the_header_with_the_members_it_was_measured_against() {
        use opentelemetry::propagation::TextMapPropagator as _;
        // `b` travels (6002 bytes escaped), `c` (2502) does not fit beside it.
        let context = Context::new().with_baggage([
            KeyValue::new("b", "é".repeat(1000)),
            KeyValue::new("c", "z".repeat(2500)),
        ]);
        // 1500 bytes, 400 of them `+`: 1502 as the grammar escapes it, beside `b`.
        let value = format!("{}{}", "+".repeat(400), "x".repeat(1100));
        let added = added(&context, key_values([("a", value)]));
        let mut headers = std::collections::HashMap::new();
        crate::propagation::BaggagePropagator::new().inject_context(&added, &mut headers);
        let sent: Vec<&str> = headers["baggage"]
            .split(',')
            .map(|member| member.split('=').next().unwrap_or_default())
            .collect();
        assert_eq!(sent, ["a", "b"], "b still travels");
    }

    #[test]
    fn of_two_entries_of_one_key_the_last_is_measured_and_kept() {
        // The second "k" (6000 escaped bytes) replaces the first; "m" (4200 more)
        // would pass 8192 with it.
        let context = added(
            &Context::new(),
            key_values([
                ("k", "x".to_owned()),
                ("k", "é".repeat(1000)),
                ("m", "é".repeat(700)),
            ]),
        );
        let baggage = context.baggage();
        assert_eq!(
            baggage.get("k").map(StringValue::as_str),
            Some("é".repeat(1000).as_str())
        );
        assert_eq!(baggage.get("m"), None, "past what the header carries");
    }

    #[test]
    fn a_value_too_large_to_replace_an_entry_leaves_it_out_rather_than_stale() {
        let context = Context::new().with_baggage(baggage_of([
            ("big".to_owned(), "x".repeat(8000)),
            ("tenant".to_owned(), "old".to_owned()),
        ]));
        let replaced = added(&context, key_values([("tenant", "y".repeat(300))]));
        assert_eq!(replaced.baggage().get("tenant"), None);
        assert!(replaced.baggage().get("big").is_some(), "the others stay");
        let fitting = added(&context, key_values([("tenant", "new")]));
        assert_eq!(
            fitting.baggage().get("tenant").map(StringValue::as_str),
            Some("new")
        );
        // At the limit, a value of the same size replaces the old one.
        let full = Context::new().with_baggage(baggage_of([
            ("big".to_owned(), "x".repeat(8192 - 3 - 1 - 10 - 1)),
            ("tenant".to_owned(), "old".to_owned()),
        ]));
        assert!(full.baggage().get("tenant").is_some(), "8192 bytes fit");
        let replaced = added(&full, key_values([("tenant", "new")]));
        assert_eq!(
            replaced.baggage().get("tenant").map(StringValue::as_str),
            Some("new")
        );
    }

    #[test]
    fn a_messages_baggage_wins_over_a_full_current_one() {
        let full = baggage_of((0..64).map(|index| (format!("k{index:02}"), "v".to_owned())));
        let context = Context::new().with_baggage(full);
        let carried = baggage_of([
            ("tenant".to_owned(), "acme".to_owned()),
            ("k00".to_owned(), "theirs".to_owned()),
        ]);
        for _ in 0..5 {
            let merged = merged(&context, &carried);
            let baggage = merged.baggage();
            assert_eq!(baggage.get("tenant").map(StringValue::as_str), Some("acme"));
            assert_eq!(baggage.get("k00").map(StringValue::as_str), Some("theirs"));
            assert_eq!(baggage.len(), 64);
            assert!(baggage.get("k62").is_some(), "the first in key order kept");
            assert_eq!(baggage.get("k63"), None, "the last left out, every time");
        }
    }

    #[test]
    fn a_current_entry_that_would_push_a_messages_one_out_of_the_header_is_left_out() {
        // 2600 bytes, 7800 escaped (`%C3%A9` each): theirs. The current 1000
        // bytes fit the `Baggage` type's limit beside it, not the header's.
        let carried = baggage_of([("z".to_owned(), "é".repeat(1300))]);
        let context = Context::new().with_baggage(baggage_of([
            ("a".to_owned(), "x".repeat(1000)),
            ("b".to_owned(), "y".repeat(300)),
        ]));
        let merged = merged(&context, &carried);
        let baggage = merged.baggage();
        assert_eq!(
            baggage.get("z").map(StringValue::as_str),
            Some("é".repeat(1300).as_str())
        );
        assert_eq!(baggage.get("a"), None, "7802 + 1 + 1002 escaped bytes");
        assert_eq!(
            baggage.get("b").map(StringValue::as_str),
            Some("y".repeat(300).as_str()),
            "7802 + 1 + 302 fit"
        );
    }
}
