// A warning of the macro, made an error so that its output is pinned.
#![deny(deprecated)]
#![allow(unused_variables, non_snake_case)]

use otel_traced::traced;

#[traced]
fn by_name(userID: u64) {}

#[traced]
fn explicit(#[attr] größe: u32) {}

#[traced]
fn reserved(otel: u32) {}

// Its key brought within the rules would say nothing: none is suggested.
#[traced]
fn another_script(#[attr] 数量: u32) {}

// A pointer is never recorded: its name is no key, and nothing is said of it
// (`eventId` is).
#[traced]
extern "C" fn on_event(userData: *mut u8, onDone: &extern "C" fn(u32), eventId: u32) {}

// Nor is a generic's or an `impl Trait`'s value (`eventCount` is), unless an
// `AsAttribute` bounds it, nor is a value of a type of the crate's own, which
// may implement it.
#[traced]
fn send<T: std::fmt::Display>(reqBody: T, cfgValue: impl std::fmt::Display, eventCount: u32) {}

#[traced]
fn held<T: std::fmt::Display>(maybeBody: Option<T>, allBodies: &[T], someValues: Vec<impl std::fmt::Display>) {}

struct OrderId(u64);

impl otel_traced::AsAttribute for OrderId {
    fn as_attribute(&self) -> otel_traced::opentelemetry::Value {
        (self.0 as i64).into()
    }
}

#[traced]
fn bounded<T: otel_traced::AsAttribute, U>(itemId: T, lineId: &impl otel_traced::AsAttribute, orderId: OrderId, nextId: U)
where
    U: otel_traced::AsAttribute,
{
}

fn main() {}
