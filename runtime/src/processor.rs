//! A span processor wrapper that makes a key set twice on a span keep its last
//! value, as the specification asks ("setting an attribute with the same key as an
//! existing attribute should overwrite"): the SDK appends instead, so `record!` of a
//! key the function already recorded would otherwise export both.

use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use std::collections::HashSet;
use std::time::Duration;

/// Forwards every span to `P` with each attribute key present once, holding its
/// last value at the position of its first.
#[derive(Debug)]
pub(crate) struct LastValueWins<P>(pub P);

impl<P: SpanProcessor> SpanProcessor for LastValueWins<P> {
    fn on_start(&self, span: &mut Span, context: &Context) {
        self.0.on_start(span, context);
    }

    fn on_end(&self, mut span: SpanData) {
        keep_last_values(&mut span.attributes);
        self.0.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.0.set_resource(resource);
    }
}

/// Removes repeated keys, keeping each key's last value at its first position. A
/// list without repeats (the usual case) is left untouched after one pass.
fn keep_last_values(attributes: &mut Vec<KeyValue>) {
    let mut seen = HashSet::with_capacity(attributes.len());
    if attributes.iter().all(|kv| seen.insert(kv.key.clone())) {
        return;
    }
    let mut kept: Vec<KeyValue> = Vec::with_capacity(seen.len());
    for attribute in attributes.drain(..) {
        match kept
            .iter_mut()
            .find(|existing| existing.key == attribute.key)
        {
            Some(existing) => existing.value = attribute.value,
            None => kept.push(attribute),
        }
    }
    *attributes = kept;
}

#[cfg(test)]
mod tests {
    use super::keep_last_values;
    use opentelemetry::KeyValue;

    #[test]
    fn a_repeated_key_keeps_its_last_value_at_its_first_position() {
        let mut attributes = vec![
            KeyValue::new("a", 1),
            KeyValue::new("b", 2),
            KeyValue::new("a", 3),
            KeyValue::new("c", 4),
            KeyValue::new("b", 5),
        ];
        keep_last_values(&mut attributes);
        assert_eq!(
            attributes,
            [
                KeyValue::new("a", 3),
                KeyValue::new("b", 5),
                KeyValue::new("c", 4)
            ]
        );
    }

    #[test]
    fn distinct_keys_are_left_as_they_are() {
        let mut attributes = vec![KeyValue::new("a", 1), KeyValue::new("b", 2)];
        keep_last_values(&mut attributes);
        assert_eq!(attributes, [KeyValue::new("a", 1), KeyValue::new("b", 2)]);
    }
}
