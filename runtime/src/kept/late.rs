//! Attributes set on a span after it opened: `record!`, a returned value, a reply's
//! status code. The SDK appends each one and drops those past its limit (128 by
//! default), so a key set again takes a place of its own (our exporters keep its
//! last value), and a body recording one key in a loop would crowd out every
//! attribute set after it, the call's outcome among them. The first few go to the
//! span at once: a span sets few late, and they need no allocation. Past those, a
//! key set again has its value replaced aside, and the span takes them as it ends,
//! or before a key that finds no room aside: the span's attributes stay in the
//! order they were first set, and the limit keeps the first (as the specification
//! says), not those that came after the keys kept aside.

use opentelemetry::KeyValue;

/// How many attributes set late go to the span at once; past them, the span holds
/// at most this many places more than it has keys.
const AT_ONCE: u8 = 8;

/// How many keys are kept aside: the SDK's default attribute count limit. Past
/// them, those kept go to the span, then the new one, and keys are kept aside
/// again; the span counts those it drops.
const KEPT_MOST: usize = 128;

/// How many places of a span's attributes may hold a key set again: each set at
/// once, and each kept aside, which the span takes as it ends (once a span sets
/// more keys than these late, a key set again may take a place too).
pub(crate) const REPEATS_AT_MOST: u32 = AT_ONCE as u32 + KEPT_MOST as u32;

#[derive(Debug, Default)]
pub(super) struct LateAttributes {
    /// How many went to the span at once, up to [`AT_ONCE`].
    passed: u8,
    /// One value per key, the last set.
    kept: Vec<KeyValue>,
}

/// What goes to the span when an attribute is set late.
#[derive(Debug, PartialEq)]
pub(super) enum Passed {
    /// Nothing: the attribute is kept aside for the end.
    Nothing,
    /// The attribute.
    One(KeyValue),
    /// The attributes kept aside, then the one set, which found no room there.
    AfterKept(Vec<KeyValue>),
}

impl LateAttributes {
    /// What goes to the span now that `attribute` is set.
    pub(super) fn set(&mut self, attribute: KeyValue) -> Passed {
        if self.passed < AT_ONCE {
            self.passed += 1;
            return Passed::One(attribute);
        }
        if let Some(kept) = self.kept.iter_mut().find(|kept| kept.key == attribute.key) {
            kept.value = attribute.value;
            return Passed::Nothing;
        }
        if self.kept.len() == KEPT_MOST {
            let mut passed = self.take();
            passed.push(attribute);
            return Passed::AfterKept(passed);
        }
        self.kept.push(attribute);
        Passed::Nothing
    }

    /// The attributes kept aside, for the span as it ends.
    pub(super) fn take(&mut self) -> Vec<KeyValue> {
        std::mem::take(&mut self.kept)
    }
}

#[cfg(test)]
mod tests {
    use super::{AT_ONCE, KEPT_MOST, LateAttributes, Passed};
    use opentelemetry::KeyValue;

    #[test]
    fn past_the_first_few_a_key_set_again_replaces_its_value() {
        let mut late = LateAttributes::default();
        for step in 0..i64::from(AT_ONCE) {
            let step = KeyValue::new("step", step);
            assert_eq!(late.set(step.clone()), Passed::One(step), "at once");
        }
        for step in 8..1000 {
            assert_eq!(late.set(KeyValue::new("step", step)), Passed::Nothing);
        }
        assert_eq!(late.set(KeyValue::new("error.type", "io")), Passed::Nothing);
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
    fn a_key_past_the_kept_most_goes_to_the_span_after_those_kept_in_the_order_set() {
        let mut late = LateAttributes::default();
        let key = |index: usize| KeyValue::new(format!("key{index}"), 1);
        let at_once = usize::from(AT_ONCE);
        for index in 0..at_once + KEPT_MOST {
            let _ = late.set(key(index));
        }
        let kept_then_one_more = (at_once..at_once + KEPT_MOST).map(key).chain([key(1000)]);
        assert_eq!(
            late.set(key(1000)),
            Passed::AfterKept(kept_then_one_more.collect())
        );
        assert_eq!(late.set(key(100)), Passed::Nothing, "kept aside again");
        assert_eq!(late.take(), [key(100)]);
    }
}
