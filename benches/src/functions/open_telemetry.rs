//! Hand-written OpenTelemetry API code doing what `#[traced(code = false)]` does: a
//! span from a tracer obtained once from the provider, built with its two
//! attributes under static keys (so a sampler sees them), its context attached
//! while the body runs, and ended.

use super::{Point, Polls, body, body8};
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{TraceContextExt as _, Tracer};
use opentelemetry::{Context, Key, KeyValue};

const ID: Key = Key::from_static_str("id");
const NAME: Key = Key::from_static_str("name");

/// The span of a call with the two attributes, in the current context.
#[inline(always)]
fn start<T: Tracer>(tracer: &T, span_name: &'static str, id: u64, name: &str) -> Context
where
    T::Span: Send + Sync + 'static,
{
    let span = tracer
        .span_builder(span_name)
        .with_attributes([
            KeyValue::new(ID, id as i64),
            KeyValue::new(NAME, name.to_owned()),
        ])
        .start(tracer);
    Context::current_with_span(span)
}

/// Runs `body` with `context` attached, then ends its span.
#[inline(always)]
fn within<R>(context: Context, body: impl FnOnce() -> R) -> R {
    let guard = context.clone().attach();
    let output = body();
    drop(guard);
    context.span().end();
    output
}

/// The trivial function.
#[inline(never)]
pub fn work<T: Tracer>(tracer: &T, id: u64, name: &str) -> u64
where
    T::Span: Send + Sync + 'static,
{
    within(start(tracer, "work", id, name), || body(id, name))
}

/// The trivial function with the three `code.*` attributes `#[traced]` records by
/// default (five in all), static strings as its are.
#[inline(never)]
pub fn work_with_code<T: Tracer>(tracer: &T, id: u64, name: &str) -> u64
where
    T::Span: Send + Sync + 'static,
{
    let span = tracer
        .span_builder("work_with_code")
        .with_attributes([
            KeyValue::new(
                Key::from_static_str("code.function.name"),
                concat!(module_path!(), "::work_with_code"),
            ),
            KeyValue::new(Key::from_static_str("code.file.path"), file!()),
            KeyValue::new(Key::from_static_str("code.line.number"), i64::from(line!())),
            KeyValue::new(ID, id as i64),
            KeyValue::new(NAME, name.to_owned()),
        ])
        .start(tracer);
    within(Context::current_with_span(span), || body(id, name))
}

/// The trivial function, as an `async fn`: the span opens at the first poll, as
/// an annotated `async fn`'s does, and its context is attached on every poll.
#[inline(never)]
pub async fn work_async<T: Tracer>(tracer: &T, id: u64, name: &str) -> u64
where
    T::Span: Send + Sync + 'static,
{
    let context = start(tracer, "work_async", id, name);
    let output = async { body(id, name) }.with_context(context.clone()).await;
    context.span().end();
    output
}

/// Three spans deep.
#[inline(never)]
pub fn nested<T: Tracer>(tracer: &T, id: u64, name: &str) -> u64
where
    T::Span: Send + Sync + 'static,
{
    within(start(tracer, "nested", id, name), || {
        within(start(tracer, "middle", id, name), || work(tracer, id, name))
    })
}

/// Eight attributes, one of them a `Debug` struct.
#[inline(never)]
#[allow(
    clippy::too_many_arguments,
    reason = "the case measures eight recorded arguments"
)]
pub fn attributes8<T: Tracer>(
    tracer: &T,
    a: u64,
    b: &str,
    c: i64,
    d: bool,
    e: f64,
    f: u32,
    g: &str,
    h: &Point,
) -> u64
where
    T::Span: Send + Sync + 'static,
{
    let span = tracer
        .span_builder("attributes8")
        .with_attributes([
            KeyValue::new(Key::from_static_str("a"), a as i64),
            KeyValue::new(Key::from_static_str("b"), b.to_owned()),
            KeyValue::new(Key::from_static_str("c"), c),
            KeyValue::new(Key::from_static_str("d"), d),
            KeyValue::new(Key::from_static_str("e"), e),
            KeyValue::new(Key::from_static_str("f"), i64::from(f)),
            KeyValue::new(Key::from_static_str("g"), g.to_owned()),
            KeyValue::new(Key::from_static_str("h"), format!("{h:?}")),
        ])
        .start(tracer);
    within(Context::current_with_span(span), || {
        body8(a, b, c, d, e, f, g, h)
    })
}

/// Ready at poll number `polls`; the context is attached on every poll.
#[inline(never)]
pub async fn polled<T: Tracer>(tracer: &T, id: u64, name: &str, polls: u32) -> u64
where
    T::Span: Send + Sync + 'static,
{
    let context = start(tracer, "polled", id, name);
    Polls::new(polls).with_context(context.clone()).await;
    context.span().end();
    body(id, name)
}
