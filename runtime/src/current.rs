//! What an instrumented body can do to its span: set attributes (`record!`), add
//! events (`event!`), decide the status, and open ad-hoc child spans.

use crate::callsite::{CallKind, Callsite, Parent, SpanMeta};
use crate::future::Instrumented;
use crate::span::Attributes;
use opentelemetry::KeyValue;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _};
use std::future::IntoFuture;
use std::panic::Location;

/// Sets the status of the current span. An explicit decision wins over the
/// automatic one: after `set_status(Status::Ok)` a returned error still adds its
/// `exception` event but leaves the status `Ok`. As the API specifies, of two
/// Errors the last one counts, `Ok` is final, and `Unset` is ignored. (On spans of
/// ours: a span another tracer made keeps its own rules.)
///
/// ```
/// use otel_traced::{opentelemetry::trace::Status, set_status, traced};
///
/// #[traced]
/// fn lookup(id: u64) -> Option<u64> {
///     let found = (id == 7).then_some(id);
///     if found.is_none() {
///         set_status(Status::error("not found"));
///     }
///     found
/// }
/// ```
pub fn set_status(status: Status) {
    // Nothing installed: no span of ours is current, and the caller's (an
    // application's own provider) is not this call's to change.
    if !crate::route::is_enabled() {
        return;
    }
    crate::thread_exit::map_current(|current| {
        crate::kept::set_explicit(&current.span(), status);
    });
}

/// The call site behind `in_span`: one for the whole crate, its scope this crate's,
/// since a function cannot see its caller's crate name.
static IN_SPAN: Callsite = Callsite::new(&IN_SPAN_META);

static IN_SPAN_META: SpanMeta = SpanMeta {
    name: "in_span",
    kind: SpanKind::Internal,
    root: false,
    function: crate::callsite::FunctionName::Fixed("otel_traced::in_span"),
    file: file!(),
    line: line!(),
    code: false,
    scope_name: env!("CARGO_PKG_NAME"),
    scope_version: env!("CARGO_PKG_VERSION"),
    max_attributes: 2,
    sample: None,
    metrics: false,
};

/// Runs `body` in a child span named `name`, for a block that deserves its own span
/// inside an instrumented function. The span records where it was opened
/// (`code.file.path`, `code.line.number`), and a panic in `body` as `#[traced]` does.
/// Its name is not checked as `#[traced(name = ..)]`'s is, when compiling: keep it
/// a constant of low cardinality, neither empty nor longer than 255 bytes, with no
/// control character.
///
/// ```
/// #[otel_traced::traced]
/// fn import(rows: &[u32]) -> u32 {
///     let valid = otel_traced::in_span("validate", || rows.iter().filter(|r| **r > 0).count());
///     otel_traced::in_span("store", || valid as u32)
/// }
/// ```
#[track_caller]
pub fn in_span<R>(name: &'static str, body: impl FnOnce() -> R) -> R {
    let mut span = open_in_span(name, CallKind::Sync);
    let mut current = span.enter_once();
    let output = span.handle().catch_panic(&mut current, body);
    drop(current);
    output
}

/// Awaits `future` in a child span named `name` (opened now, ended when the future
/// completes or is dropped), the async counterpart of [`in_span`].
///
/// The future is made before the span opens: what making it does at once is the
/// caller's, not this span's. A traced function returning a future (`-> impl
/// Future`, a boxed one, an `#[async_trait]` method) opens its span when called, so
/// its span is this one's sibling; an `async` block makes it the child:
/// `in_span_async("load", async { repo.load(id).await })`. (An `async fn`'s span
/// opens at its first poll, inside this one.)
///
/// ```
/// # async fn fetch() -> u32 { 1 }
/// #[otel_traced::traced]
/// async fn refresh() -> u32 {
///     otel_traced::in_span_async("fetch", fetch()).await
/// }
/// ```
#[track_caller]
pub fn in_span_async<F: IntoFuture>(name: &'static str, future: F) -> Instrumented<F::IntoFuture> {
    let future = future.into_future();
    Instrumented::new(open_in_span(name, CallKind::Future), future)
}

#[track_caller]
fn open_in_span(name: &'static str, call: CallKind) -> crate::span::ActiveSpan {
    let location = Location::caller();
    IN_SPAN.start_named(name, Parent::Current, call, Vec::new, |attributes| {
        attributes.push("code.file.path", Some(location.file().into()));
        attributes.push("code.line.number", Some(i64::from(location.line()).into()));
    })
}

/// The current context where its span records, for what is added to it: cloned
/// rather than borrowed, as what is added is made by user code, which may itself
/// enter spans. None with nothing installed (as `set_status`: no span of ours to
/// add to), nor on a thread exiting past the context.
pub(crate) fn recording() -> Option<opentelemetry::Context> {
    if !crate::route::is_enabled() {
        return None;
    }
    let current = crate::thread_exit::current()?;
    current.span().is_recording().then_some(current)
}

/// Sets attributes on the current span (`record!`): `record` runs only when the span
/// is recording, and a key set again replaces the earlier value when the span ends.
/// A panic in it (a field's expression, an `AsAttribute`) is contained, as
/// everywhere instrumentation runs user code: whether it ran depends on sampling,
/// so it must not change what the call does; what was recorded before it stays.
#[doc(hidden)]
pub fn record_current(record: impl FnOnce(&mut Attributes<'_>)) {
    let Some(current) = recording() else {
        return;
    };
    let span = current.span();
    let mut list = Vec::new();
    crate::panic::contained(|| record(&mut Attributes::list(&mut list)));
    span.set_attributes(list);
}

/// Adds an event to the current span (`event!`); its fields are evaluated only when
/// the span is recording (a panic in them contained, as [`record_current`]'s).
#[doc(hidden)]
pub fn add_event_current(name: &'static str, record: impl FnOnce(&mut Attributes<'_>)) {
    let Some(current) = recording() else {
        return;
    };
    let span = current.span();
    let mut list: Vec<KeyValue> = Vec::new();
    crate::panic::contained(|| record(&mut Attributes::list(&mut list)));
    span.add_event(name, list);
}

#[cfg(test)]
mod tests {
    use super::in_span;
    use crate::AsAttribute;
    use crate::testing::capture;
    use opentelemetry::{KeyValue, Value};

    /// Recorded through this crate's `AsAttribute`.
    #[derive(Debug)]
    struct Sku(i64);

    impl AsAttribute for Sku {
        fn as_attribute(&self) -> Value {
            Value::I64(self.0)
        }
    }

    /// The macros reach the runtime through `$crate`, whatever a crate calls it (a
    /// renamed dependency, a re-export). Here `::otel_traced` is another build of
    /// this crate (the tests' own dependency), whose `AsAttribute` `Sku` does not
    /// implement: reached that way, `Sku` would be recorded by `Debug`.
    #[test]
    fn record_and_event_reach_the_runtime_they_belong_to() {
        let captured = capture(|| {
            in_span("work", || {
                crate::record!(item.sku = Sku(7));
                crate::event!("retry", item.sku = Sku(8));
            });
        });
        let span = captured.find("work").expect("the span");
        assert!(
            span.attributes
                .contains(&KeyValue::new("item.sku", Value::I64(7))),
            "{:?}",
            span.attributes
        );
        let event = span.events.first().expect("the event");
        assert_eq!(event.name, "retry");
        assert_eq!(event.attributes, [KeyValue::new("item.sku", 8_i64)]);
    }
}
