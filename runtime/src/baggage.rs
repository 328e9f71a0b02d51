//! Baggage: name-value pairs that travel with the context across calls and, through
//! the `baggage` propagator, across services (a user id, a tenant).
//!
//! `#[traced(baggage(user.id))]` records entries of the current baggage as span
//! attributes; `#[traced(set_baggage(user.id = id))]` runs the body with entries
//! added, so downstream calls carry them. The W3C Baggage limits (64 entries, 8192
//! bytes) hold: an entry that would break them is not added. Values arriving from
//! other services are only recorded under keys the code names.

use opentelemetry::baggage::{Baggage, BaggageExt as _};
use opentelemetry::{Context, Key, KeyValue, StringValue, Value};

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
/// (replacing entries of the same keys).
pub fn with<K, V, R>(entries: impl IntoIterator<Item = (K, V)>, body: impl FnOnce() -> R) -> R
where
    K: Into<Key>,
    V: Into<StringValue>,
{
    let entries: Vec<KeyValue> = entries
        .into_iter()
        .map(|(key, value)| KeyValue::new(key, Value::String(value.into())))
        .collect();
    // A thread exiting past its current context runs `body` without the entries.
    let Some(context) = crate::thread_exit::map_current(|current| added(current, entries)) else {
        return body();
    };
    let _current = context.attach();
    body()
}

/// `context` with `entries` added to its baggage.
pub(crate) fn added(context: &Context, entries: Vec<KeyValue>) -> Context {
    let existing = context.baggage();
    let mut baggage: Baggage = existing
        .iter()
        .map(|(key, entry)| (key.clone(), entry.clone()))
        .collect();
    for KeyValue { key, value, .. } in entries {
        // An entry beyond the W3C limits is not added; the others stay.
        let _ = baggage.insert(key, StringValue::from(value.as_str().into_owned()));
    }
    context.with_baggage(baggage)
}

/// `context` with the entries of `carried` (a message's baggage) added to its
/// baggage, theirs winning over entries of the same keys, properties kept.
pub(crate) fn merged(context: &Context, carried: &Baggage) -> Context {
    let baggage: Baggage = context
        .baggage()
        .iter()
        .chain(carried.iter())
        .map(|(key, entry)| (key.clone(), entry.clone()))
        .collect();
    context.with_baggage(baggage)
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
