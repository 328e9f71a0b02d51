//! Messaging boundaries over a batch of messages (`batch = messages`): one span
//! for the whole operation, linked to each message's creation context and
//! counting the messages, as the messaging conventions v1.44 describe batch
//! publishing, receiving, processing and settling.

use super::open::creation_link;
use crate::propagation::{Extract, Inject};
use crate::span::{ActiveSpan, SpanHandle};
use opentelemetry::trace::Link;
use opentelemetry::{KeyValue, Value};

/// The links of a batch operation: one to the creation context each message
/// carries (a message without one has none to link to).
pub fn batch_links<'a, M: Extract + ?Sized + 'a>(
    messages: impl IntoIterator<Item = &'a M>,
) -> Vec<Link> {
    messages.into_iter().filter_map(creation_link).collect()
}

/// What a batch `send` needs before its span opens: the links to the creation
/// contexts the messages already carry, and whether any message carries none, in
/// which case the `send` span's own context becomes its creation context (and the
/// span is a PRODUCER; with none fresh it is a CLIENT).
pub fn batch_creation<'a, M: Extract + ?Sized + 'a>(
    messages: impl IntoIterator<Item = &'a M>,
) -> (Vec<Link>, bool) {
    let mut fresh = false;
    let links = messages
        .into_iter()
        .filter_map(|message| {
            let link = creation_link(message);
            fresh |= link.is_none();
            link
        })
        .collect();
    (links, fresh)
}

/// `messaging.batch.message_count`.
pub const BATCH_MESSAGE_COUNT: &str = "messaging.batch.message_count";

/// `messaging.batch.message_count`: how many messages the operation accounts for.
pub fn batch_count<I: IntoIterator>(messages: I) -> Option<Value> {
    let count = messages.into_iter().count();
    Some(Value::I64(i64::try_from(count).unwrap_or(i64::MAX)))
}

impl SpanHandle {
    /// Counts the messages a `receive` returned (`batch = return`) and links its
    /// span to their creation contexts, if the span is recording (links added after
    /// the start, as the conventions allow for `receive`).
    pub fn record_received<'a, M: Extract + ?Sized + 'a>(
        &self,
        messages: impl IntoIterator<Item = &'a M>,
    ) {
        self.if_recording(|span| {
            let mut count = 0_i64;
            for message in messages {
                count = count.saturating_add(1);
                if let Some(link) = creation_link(message) {
                    span.add_link(link.span_context, link.attributes);
                }
            }
            span.set_attribute(KeyValue::new(BATCH_MESSAGE_COUNT, count));
        });
    }
}

impl ActiveSpan {
    /// Writes the context the body runs under into every message of the batch that
    /// carries no creation context yet; the others keep theirs (from a `create`
    /// span, or put there by the user), as the conventions ask.
    pub fn inject_fresh<'a, M: Extract + Inject + ?Sized + 'a>(
        &self,
        messages: impl IntoIterator<Item = &'a mut M>,
    ) {
        for message in messages {
            if creation_link(&*message).is_none() {
                self.inject(message);
            }
        }
    }
}
