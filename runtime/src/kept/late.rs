//! Attributes set on a span after it opened: `record!`, a returned value, a reply's
//! status code. The SDK appends each one and drops those past its limit (128 by
//! default), so a key set again takes a place of its own (our exporters keep its
//! last value), and a body recording one key in a loop would crowd out every
//! attribute set after it, the call's outcome among them. The first few go to the
//! span at once: a span sets few late, and they need no allocation. Past those, a
//! key set again has its value replaced aside, and the span takes them as it ends.
//! A key that finds no room aside comes after them: they go to the span first (the
//! span's attributes stay in the order they were first set, and the limit keeps
//! the first, as the specification says), and so do the keys set after it, as
//! they are set; the values of all these are still replaced aside when set again,
//! the span taking those it does not have as it ends.

use opentelemetry::KeyValue;

/// How many attributes set late go to the span at once; past them, the span holds
/// at most this many places more than it has keys.
const AT_ONCE: u8 = 8;

/// How many keys are kept aside before any goes to the span: the SDK's default
/// attribute count limit.
const ASIDE_MOST: usize = 128;

/// How many keys have their values replaced aside when set again; past them, keys
/// go to the span each time they are set, which counts those it drops.
const TRACKED_MOST: usize = 2 * ASIDE_MOST;

/// How many places of a span's attributes may hold a key set again: each set at
/// once, and each key tracked twice (as it went to the span, and its last value as
/// the span ends). Once a span sets more keys than these late, a key set again
/// may take a place too.
pub(crate) const REPEATS_AT_MOST: u32 = AT_ONCE as u32 + 2 * TRACKED_MOST as u32;

#[derive(Debug, Default)]
pub(super) struct LateAttributes {
    /// How many went to the span at once, up to [`AT_ONCE`].
    passed: u8,
    /// One value per key, the last set.
    kept: Vec<Aside>,
    /// Whether keys go to the span as they are set: one found no room aside.
    giving: bool,
}

/// A key's last value, and whether the span has it.
#[derive(Debug)]
struct Aside {
    attribute: KeyValue,
    given: bool,
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

/// Whether `attribute` is the conventions' `error.type`.
fn is_error_type(attribute: &KeyValue) -> bool {
    attribute.key.as_str() == super::ERROR_TYPE
}

impl LateAttributes {
    /// What goes to the span now that `attribute` is set.
    pub(super) fn set(&mut self, attribute: KeyValue) -> Passed {
        // `error.type` is kept aside from the first, whatever else is: the body
        // may set it and a panic after it again, and an application's provider
        // would export both.
        // (It stays aside when the others go to the span, below; it takes no
        // place of theirs.)
        if is_error_type(&attribute) {
            match (self.kept.iter_mut()).find(|aside| aside.attribute.key == attribute.key) {
                Some(aside) => {
                    aside.attribute.value = attribute.value;
                    aside.given = false;
                }
                None => self.kept.push(Aside {
                    attribute,
                    given: false,
                }),
            }
            return Passed::Nothing;
        }
        if self.passed < AT_ONCE {
            self.passed += 1;
            return Passed::One(attribute);
        }
        if let Some(aside) =
            (self.kept.iter_mut()).find(|aside| aside.attribute.key == attribute.key)
        {
            aside.attribute.value = attribute.value;
            aside.given = false;
            return Passed::Nothing;
        }
        if !self.giving && self.kept.len() < ASIDE_MOST {
            self.kept.push(Aside {
                attribute,
                given: false,
            });
            return Passed::Nothing;
        }
        let tracked_keys = self.kept.len()
            - usize::from(
                self.kept
                    .iter()
                    .any(|aside| is_error_type(&aside.attribute)),
            );
        if tracked_keys >= TRACKED_MOST {
            return Passed::One(attribute);
        }
        let tracked = Aside {
            attribute: attribute.clone(),
            given: true,
        };
        if std::mem::replace(&mut self.giving, true) {
            self.kept.push(tracked);
            return Passed::One(attribute);
        }
        let mut passed: Vec<KeyValue> = (self.kept.iter_mut())
            .filter(|aside| !is_error_type(&aside.attribute))
            .map(|aside| {
                aside.given = true;
                aside.attribute.clone()
            })
            .collect();
        self.kept.push(tracked);
        passed.push(attribute);
        Passed::AfterKept(passed)
    }

    /// The values kept aside the span does not have, for the span as it ends.
    pub(super) fn take(&mut self) -> Vec<KeyValue> {
        // Every span, nearly always with nothing kept: no iteration made.
        if self.kept.is_empty() {
            return Vec::new();
        }
        (std::mem::take(&mut self.kept).into_iter())
            .filter(|aside| !aside.given)
            .map(|aside| aside.attribute)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{ASIDE_MOST, AT_ONCE, LateAttributes, Passed, TRACKED_MOST};
    use opentelemetry::KeyValue;

    #[test]
    fn an_error_type_is_kept_aside_from_the_first() {
        // The body's, then a panic's: both kept aside, the last taken.
        let set_twice = |late: &mut LateAttributes| {
            for error_type in ["timeout", "panic"] {
                let set = late.set(KeyValue::new("error.type", error_type));
                assert_eq!(set, Passed::Nothing, "{error_type}");
            }
        };
        let mut late = LateAttributes::default();
        set_twice(&mut late);
        assert_eq!(late.take(), [KeyValue::new("error.type", "panic")]);
        // Also once keys go to the span as they are set, and when they start to,
        // and the keys tracked are as many as without it.
        for before in [0, AT_ONCE as usize + ASIDE_MOST - 1, TRACKED_MOST + 1] {
            let mut late = LateAttributes::default();
            let mut passed = 0;
            let mut set = |late: &mut LateAttributes, key: usize| {
                passed += match late.set(KeyValue::new(format!("key.{key}"), 1)) {
                    Passed::Nothing => 0,
                    Passed::One(_) => 1,
                    Passed::AfterKept(passed) => passed.len(),
                };
            };
            for key in 0..before {
                set(&mut late, key);
            }
            late.set(KeyValue::new("error.type", "timeout"));
            for key in before..2 * TRACKED_MOST {
                set(&mut late, key);
            }
            set_twice(&mut late);
            let taken = late.take();
            let error_types: Vec<_> = (taken.iter())
                .filter(|attribute| attribute.key.as_str() == "error.type")
                .collect();
            assert_eq!(
                error_types,
                [&KeyValue::new("error.type", "panic")],
                "{before}"
            );
            assert_eq!(
                passed + taken.len() - 1,
                2 * TRACKED_MOST,
                "{before}: each key once"
            );
        }
    }

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
    fn keys_past_those_aside_go_to_the_span_after_them_and_are_still_replaced_aside() {
        let mut late = LateAttributes::default();
        let key = |index: usize| KeyValue::new(format!("key{index}"), 1);
        let at_once = usize::from(AT_ONCE);
        for index in 0..at_once + ASIDE_MOST {
            let _ = late.set(key(index));
        }
        let aside_then_one_more = (at_once..at_once + ASIDE_MOST).map(key).chain([key(1000)]);
        assert_eq!(
            late.set(key(1000)),
            Passed::AfterKept(aside_then_one_more.collect())
        );
        assert_eq!(late.set(key(1001)), Passed::One(key(1001)), "past them");
        let again = [KeyValue::new("key100", 2), KeyValue::new("key1001", 2)];
        for attribute in &again {
            assert_eq!(late.set(attribute.clone()), Passed::Nothing, "tracked");
        }
        // Up to the keys tracked; past them, each set goes to the span.
        for index in 2000..2000 + TRACKED_MOST - ASIDE_MOST - 2 {
            assert_eq!(late.set(key(index)), Passed::One(key(index)));
        }
        assert_eq!(late.set(key(3000)), Passed::One(key(3000)));
        assert_eq!(late.set(key(3000)), Passed::One(key(3000)), "untracked");
        assert_eq!(late.take(), again, "what the span does not have");
    }
}
