//! Messaging boundaries over a batch of messages (`batch = messages`): one span
//! for the whole operation, linked to each message's creation context and
//! counting the messages, as the messaging conventions v1.44 describe batch
//! publishing, receiving, processing and settling.

use super::open::creation_link;
use crate::propagation::{Extract, Inject};
use crate::span::{ActiveSpan, SpanHandle};
use opentelemetry::trace::Link;
use opentelemetry::{KeyValue, Value};
use std::collections::VecDeque;

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

/// What a `receive` with `batch = return` returns: its messages, which its span
/// counts and links to (their creation contexts) when the call ends, as the
/// conventions allow for `receive`. A `Result` holds them in its `Ok` (an `Err`
/// received nothing to count); an `Option` holds a batch or none.
#[diagnostic::on_unimplemented(
    message = "`{Self}` holds no messages for `batch = return`",
    label = "not the messages a `receive` returns",
    note = "a `receive` with `batch = return` returns what it received: a `Vec<M>`, `&[M]`, `VecDeque<M>`, `[M; N]`, an `Option` or the `Ok` of a `Result` of one, whose messages implement `otel_traced::propagation::Extract`; otherwise name a parameter with `batch = messages`"
)]
pub trait ReceivedMessages {
    /// Counts the messages into the span of `handle` and links it to them, if the
    /// span is recording.
    fn record_received(&self, handle: &SpanHandle);
}

impl SpanHandle {
    /// Counts the messages whose creation links (if any) `links` gives, and adds
    /// the links, if the span is recording.
    fn record_messages(&self, links: impl Iterator<Item = Option<Link>>) {
        self.if_recording(|span| {
            let mut count = 0_i64;
            for link in links {
                count = count.saturating_add(1);
                if let Some(link) = link {
                    span.add_link(link.span_context, link.attributes);
                }
            }
            span.set_attribute(KeyValue::new(BATCH_MESSAGE_COUNT, count));
        });
    }
}

impl<M: Extract> ReceivedMessages for [M] {
    fn record_received(&self, handle: &SpanHandle) {
        handle.record_messages(self.iter().map(creation_link));
    }
}

impl<M: Extract, const N: usize> ReceivedMessages for [M; N] {
    fn record_received(&self, handle: &SpanHandle) {
        handle.record_messages(self.iter().map(creation_link));
    }
}

impl<M: Extract> ReceivedMessages for Vec<M> {
    fn record_received(&self, handle: &SpanHandle) {
        handle.record_messages(self.iter().map(creation_link));
    }
}

impl<M: Extract> ReceivedMessages for VecDeque<M> {
    fn record_received(&self, handle: &SpanHandle) {
        handle.record_messages(self.iter().map(creation_link));
    }
}

impl<T: ReceivedMessages + ?Sized> ReceivedMessages for &T {
    fn record_received(&self, handle: &SpanHandle) {
        (**self).record_received(handle);
    }
}

impl<T: ReceivedMessages + ?Sized> ReceivedMessages for &mut T {
    fn record_received(&self, handle: &SpanHandle) {
        (**self).record_received(handle);
    }
}

impl<T: ReceivedMessages + ?Sized> ReceivedMessages for Box<T> {
    fn record_received(&self, handle: &SpanHandle) {
        (**self).record_received(handle);
    }
}

/// `None`: a receive that got no message (a poll that timed out) counts 0.
impl<T: ReceivedMessages> ReceivedMessages for Option<T> {
    fn record_received(&self, handle: &SpanHandle) {
        match self {
            Some(messages) => messages.record_received(handle),
            None => handle.record_messages(std::iter::empty()),
        }
    }
}

/// An `Err` received nothing to count; its error is recorded as any error is.
impl<T: ReceivedMessages, E> ReceivedMessages for Result<T, E> {
    fn record_received(&self, handle: &SpanHandle) {
        if let Ok(messages) = self {
            messages.record_received(handle);
        }
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
