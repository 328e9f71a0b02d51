//! What `tracing-opentelemetry` 0.34 records wrong of a `tracing` span, set right
//! on the span it built: an unsigned (`u8` to `u64`, `usize`) or 128-bit integer
//! field is recorded by its `Debug`, a string (tracing-opentelemetry#267), where
//! DESIGN §3 records an integer (a string past `i64::MAX`, as it has it); and an
//! `otel.name` recorded once the span is built (entered, the route known, or given
//! as a new span's parent) is dropped (#240), where the API lets a span be
//! renamed. (A span event's fields stay as the layer records them.)

use opentelemetry::KeyValue;
use opentelemetry::trace::TraceContextExt as _;
use tracing_core::Subscriber;
use tracing_core::field::{Field, Visit};
use tracing_core::span::Id;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// The layer, after `tracing-opentelemetry`'s.
#[derive(Default)]
pub(super) struct TypedFields {
    /// To reach a span's OpenTelemetry span with.
    dispatch: super::OwnDispatch,
}

/// What was recorded of a span not built yet (the layer builds it where it is
/// first entered, or first given as a new span's parent), set once it is.
#[derive(Default)]
struct Pending {
    integers: Vec<KeyValue>,
    name: Option<String>,
}

impl Pending {
    fn of(found: Found) -> Self {
        let mut pending = Pending::default();
        pending.add(found);
        pending
    }

    /// Adds what `found` holds, a key recorded again taking its new value (one
    /// recorded again as no integer of ours, the layer's value).
    fn add(&mut self, found: Found) {
        let others = found.others.unwrap_or_default();
        self.integers
            .retain(|held| !others.contains(&held.key.as_str()));
        for integer in found.integers {
            match self
                .integers
                .iter_mut()
                .find(|held| held.key == integer.key)
            {
                Some(held) => held.value = integer.value,
                None => self.integers.push(integer),
            }
        }
        if found.name.is_some() {
            self.name = found.name;
        }
    }
}

/// Marks a span built, what is recorded in it set on it at once.
struct Built;

/// Sets what a span the layer never built (never entered, nor given as a parent)
/// holds pending, on the span the layer builds as it closes it: placed before the
/// layer, whose close ends the span. (A span built by reading its context,
/// `OpenTelemetrySpanExt::context`, has what was recorded meanwhile set then too.)
#[derive(Default)]
pub(super) struct SetAtClose {
    dispatch: super::OwnDispatch,
}

impl<S> Layer<S> for SetAtClose
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_register_dispatch(&self, subscriber: &tracing_core::Dispatch) {
        self.dispatch.register(subscriber);
    }

    fn on_close(&self, id: Id, ctx: tracing_subscriber::layer::Context<'_, S>) {
        // Not where the layer leaves spans unbuilt: a thread exiting past the
        // context.
        if !super::enterable() {
            return;
        }
        let Some(span) = ctx.span(&id) else { return };
        let pending = {
            let mut extensions = span.extensions_mut();
            if extensions.get_mut::<Built>().is_some() {
                return;
            }
            extensions.remove::<Pending>()
        };
        if let Some(Pending { integers, name }) = pending {
            set(&self.dispatch, &id, integers, name);
        }
    }
}

impl<S> Layer<S> for TypedFields
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_register_dispatch(&self, subscriber: &tracing_core::Dispatch) {
        self.dispatch.register(subscriber);
    }

    fn on_new_span(
        &self,
        attributes: &tracing_core::span::Attributes<'_>,
        id: &Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        // A parent named for this span: the layer built it for it.
        if let Some(parent) = attributes.parent() {
            self.built(parent, &ctx);
        }
        let mut found = Found::default();
        attributes.record(&mut found);
        if let Some(span) = ctx.span(id).filter(|_| !found.integers.is_empty()) {
            span.extensions_mut().insert(Pending::of(found));
        }
    }

    fn on_record(
        &self,
        id: &Id,
        values: &tracing_core::span::Record<'_>,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let Some(span) = ctx.span(id) else { return };
        // The other fields are noted only where an integer is held for the span.
        let mut found = Found {
            others: span.extensions().get::<Pending>().map(|_| Vec::new()),
            ..Found::default()
        };
        values.record(&mut found);
        if found.integers.is_empty()
            && found.name.is_none()
            && found.others.as_ref().is_none_or(Vec::is_empty)
        {
            return;
        }
        let mut extensions = span.extensions_mut();
        if extensions.get_mut::<Built>().is_none() {
            match extensions.get_mut::<Pending>() {
                Some(pending) => pending.add(found),
                None if found.integers.is_empty() && found.name.is_none() => {}
                None => extensions.insert(Pending::of(found)),
            }
            return;
        }
        drop(extensions);
        if !found.integers.is_empty() || found.name.is_some() {
            set(&self.dispatch, id, found.integers, found.name);
        }
    }

    fn on_enter(&self, id: &Id, ctx: tracing_subscriber::layer::Context<'_, S>) {
        self.built(id, &ctx);
    }
}

impl TypedFields {
    /// Notes the span `id` built by the layer (entered, or a new span's parent),
    /// and sets on it what was recorded before. Not where the layer left it
    /// unbuilt: a thread exiting past the context. Read first: a span is entered
    /// at each poll of a future instrumented with it.
    fn built<S: Subscriber + for<'a> LookupSpan<'a>>(
        &self,
        id: &Id,
        ctx: &tracing_subscriber::layer::Context<'_, S>,
    ) {
        if !super::enterable() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        if span.extensions().get::<Built>().is_some() {
            return;
        }
        let mut extensions = span.extensions_mut();
        if extensions.get_mut::<Built>().is_some() {
            return;
        }
        extensions.insert(Built);
        let pending = extensions.remove::<Pending>();
        drop(extensions);
        if let Some(Pending { integers, name }) = pending {
            set(&self.dispatch, id, integers, name);
        }
    }
}

/// Sets `integers` and `name` on the span the layer built for `id` (building it
/// where it was not).
fn set(dispatch: &super::OwnDispatch, id: &Id, integers: Vec<KeyValue>, name: Option<String>) {
    let Some(context) = dispatch.context_of(id) else {
        return;
    };
    let span = context.span();
    for integer in integers {
        span.set_attribute(integer);
    }
    if let Some(name) = name {
        span.update_name(name);
    }
}

/// The integer fields the layer records as strings, and an `otel.name`; and,
/// where asked (`Some`), the other fields recorded, whose value is the layer's.
#[derive(Default)]
struct Found {
    integers: Vec<KeyValue>,
    name: Option<String>,
    others: Option<Vec<&'static str>>,
}

impl Found {
    fn integer(&mut self, field: &Field, value: impl TryInto<i64>) {
        // Past `i64::MAX`, the layer's string is DESIGN's too.
        match value.try_into() {
            Ok(value) => self.integers.push(KeyValue::new(field.name(), value)),
            Err(_) => self.other(field),
        }
    }

    fn other(&mut self, field: &Field) {
        if let Some(others) = &mut self.others {
            others.push(field.name());
        }
    }
}

impl Visit for Found {
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.integer(field, value);
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.integer(field, value);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.integer(field, value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == OTEL_NAME {
            self.name = Some(value.to_owned());
        } else {
            self.other(field);
        }
    }

    /// Every other type (`i64`, `f64`, `bool`, errors, `Debug`).
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == OTEL_NAME {
            self.name = Some(format!("{value:?}"));
        } else {
            self.other(field);
        }
    }
}

/// The field `tracing-opentelemetry` names a span by.
const OTEL_NAME: &str = "otel.name";
