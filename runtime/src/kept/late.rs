//! Attributes set on a span after it opened: `record!`, a returned value, a reply's
//! status code. The SDK appends each one and drops those past its limit (128 by
//! default), so a key set again takes a place of its own (our exporters keep its
//! last value), and a body recording one key in a loop would crowd out every
//! attribute set after it, the call's outcome among them. The first few go to the
//! span at once: a span sets few late, and they need no allocation. Past those, a
//! key set again has its value replaced aside, and the span takes them as it ends.

use opentelemetry::KeyValue;

/// How many attributes set late go to the span at once; past them, the span holds
/// at most this many places more than it has keys.
const AT_ONCE: u8 = 8;

/// How many keys are kept aside: the SDK's default attribute count limit. Past
/// them, attributes go to the span, which counts those it drops.
const KEPT_MOST: usize = 128;

/// How many places of a span's attributes may hold a key set again: each set at
/// once, and each kept aside, which the span takes as it ends (once a span keeps
/// more keys than these aside, any more repeat takes a place too).
pub(crate) const REPEATS_AT_MOST: u32 = AT_ONCE as u32 + KEPT_MOST as u32;

#[derive(Debug, Default)]
pub(super) struct LateAttributes {
    /// How many went to the span at once, up to [`AT_ONCE`].
    passed: u8,
    /// One value per key, the last set.
    kept: Vec<KeyValue>,
}

impl LateAttributes {
    /// `attribute` if it goes to the span now; `None` if it is kept for the end.
    pub(super) fn set(&mut self, attribute: KeyValue) -> Option<KeyValue> {
        if self.passed < AT_ONCE {
            self.passed += 1;
            return Some(attribute);
        }
        if let Some(kept) = self.kept.iter_mut().find(|kept| kept.key == attribute.key) {
            kept.value = attribute.value;
            return None;
        }
        if self.kept.len() == KEPT_MOST {
            return Some(attribute);
        }
        self.kept.push(attribute);
        None
    }

    /// The attributes kept aside, for the span as it ends.
    pub(super) fn take(&mut self) -> Vec<KeyValue> {
        std::mem::take(&mut self.kept)
    }
}

#[cfg(test)]
mod tests {
    use super::{AT_ONCE, KEPT_MOST, LateAttributes};
    use opentelemetry::KeyValue;

    #[test]
    fn past_the_first_few_a_key_set_again_replaces_its_value() {
        let mut late = LateAttributes::default();
        for step in 0..i64::from(AT_ONCE) {
            assert!(late.set(KeyValue::new("step", step)).is_some(), "at once");
        }
        for step in 8..1000 {
            assert!(late.set(KeyValue::new("step", step)).is_none(), "kept");
        }
        assert!(late.set(KeyValue::new("error.type", "io")).is_none());
        assert_eq!(
            late.take(),
            [
                KeyValue::new("step", 999),
                KeyValue::new("error.type", "io")
            ]
        );
        assert!(late.take().is_empty(), "taken once");
    }

    #[test]
    fn keys_past_the_kept_most_go_to_the_span_which_counts_what_it_drops() {
        let mut late = LateAttributes::default();
        for index in 0..usize::from(AT_ONCE) + KEPT_MOST {
            let _ = late.set(KeyValue::new(format!("key{index}"), 1));
        }
        assert!(late.set(KeyValue::new("one.more", 1)).is_some());
        assert!(late.set(KeyValue::new("key100", 2)).is_none(), "still kept");
    }
}
