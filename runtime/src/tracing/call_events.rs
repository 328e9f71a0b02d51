//! A `tracing` event inside a `#[traced]` call (`info!("priced")` in an
//! annotated function), as a span event of the call's span while no logs are
//! exported: what `tracing-opentelemetry` makes of an event inside a `tracing`
//! span, which it cannot do here: it knows `tracing` spans alone, and drops an
//! event made in none. While logs are exported, the event is a log record of the
//! call's span ([`super::ExportEvents`]), and not both.

use super::EnteredIds;
use crate::value::ScalarValue;
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry::{KeyValue, Value};
use std::borrow::Cow;
use std::fmt;
use tracing_core::field::{Field, Visit};
use tracing_core::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// The layer, beside `tracing-opentelemetry`'s.
pub(super) struct CallEvents;

impl<S> Layer<S> for CallEvents
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &Event<'_>, cx: tracing_subscriber::layer::Context<'_, S>) {
        // One naming its span (`parent: &span`, or none) is not the call's.
        if !event.is_contextual() {
            return;
        }
        // (A capture is isolated from the logs pipeline: its events are span
        // events, as without one.)
        if crate::logs::exported() && !crate::route::CaptureRoute::holds_current() {
            return;
        }
        let Some(current) = crate::current::recording() else {
            return;
        };
        let span = current.span();
        // The current `tracing` span's own event, which `tracing-opentelemetry`
        // records ([`super::SpanEvents`]): made in it, with no call of ours inside.
        // (One without ids was entered while nothing recorded: its span is a
        // no-op one, which keeps nothing.)
        if let Some(around) = cx.lookup_current()
            && around
                .extensions()
                .get::<EnteredIds>()
                .is_some_and(|entered| entered.ids.span_id() == span.span_context().span_id())
        {
            return;
        }
        let metadata = event.metadata();
        let mut fields = EventFields {
            name: None,
            attributes: vec![
                KeyValue::new("level", metadata.level().as_str()),
                KeyValue::new("target", metadata.target()),
            ],
        };
        if let Some(file) = metadata.file() {
            fields
                .attributes
                .push(KeyValue::new("code.file.path", file));
        }
        if let Some(line) = metadata.line() {
            fields
                .attributes
                .push(KeyValue::new("code.line.number", i64::from(line)));
        }
        if let Some(module) = metadata.module_path() {
            fields
                .attributes
                .push(KeyValue::new("code.module.name", module));
        }
        // A field's `Debug` or `Display` that panics leaves out what follows it.
        crate::panic::contained(|| event.record(&mut fields));
        let name = fields
            .name
            .map_or(Cow::Borrowed(metadata.name()), Cow::Owned);
        span.add_event(name, fields.attributes);
    }
}

/// An event's fields as its span event has them: the message its name, any
/// other an attribute of its native type (an unsigned or 128-bit integer as a
/// parameter of its type is recorded, [`ScalarValue`]; text cut as any we
/// format); the `log.` fields of a `log` record made an event (`tracing-log`'s
/// `LogTracer`, which tracing-subscriber's `.init()` sets) its target and
/// location, as `tracing-opentelemetry` normalises them.
struct EventFields {
    name: Option<String>,
    attributes: Vec<KeyValue>,
}

impl EventFields {
    fn push(&mut self, field: &Field, value: impl FnOnce() -> Value) {
        match field.name() {
            "message" => self.name = Some(value().as_str().into_owned()),
            name if name.starts_with("log.") => self.push_log_record_field(name, value),
            name => self.attributes.push(KeyValue::new(name, value())),
        }
    }

    /// A `log` record's own target and location: its event's metadata has the
    /// target `log` and no location, the same for every record.
    fn push_log_record_field(&mut self, field: &str, value: impl FnOnce() -> Value) {
        let key = match field {
            "log.target" => "target",
            "log.file" => "code.file.path",
            "log.line" => "code.line.number",
            "log.module_path" => "code.module.name",
            _ => return,
        };
        let value = value();
        match (self.attributes.iter_mut()).find(|attribute| attribute.key.as_str() == key) {
            Some(attribute) => attribute.value = value,
            None => self.attributes.push(KeyValue::new(key, value)),
        }
    }

    fn scalar(&mut self, field: &Field, value: &impl ScalarValue) {
        if let Some(value) = value.scalar_value() {
            self.push(field, || value);
        }
    }
}

impl Visit for EventFields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // The message (`format_args!`), made the name without a copy.
        if field.name() == "message" {
            self.name = Some(crate::value::format_bounded(format_args!("{value:?}")));
            return;
        }
        self.push(field, || crate::value::formatted(format_args!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, || crate::value::formatted(format_args!("{value}")));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.push(field, || {
            Value::from(crate::outcome::described_with_sources(value))
        });
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.scalar(field, &value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.scalar(field, &value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.scalar(field, &value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.scalar(field, &value);
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.scalar(field, &value);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.scalar(field, &value);
    }
}
