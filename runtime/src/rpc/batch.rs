//! Messaging boundaries over a batch of messages (`batch = messages`): one span
//! for the whole operation, linked to each message's creation context and
//! counting the messages, as the messaging conventions v1.44 describe batch
//! publishing, receiving, processing and settling; and what a `receive` returns
//! (`batch = return`, `carrier = return` for one message), linked when it ends.

use super::open::creation_link;
use crate::propagation::{Extract, Inject};
use crate::setting::InstalledSetting;
use crate::span::{ActiveSpan, SpanHandle};
use opentelemetry::trace::{Link, SpanId, TraceId};
use opentelemetry::{KeyValue, Value};
use std::collections::{HashSet, VecDeque};

/// The messages of a batch operation (`batch = messages`), each carrying its
/// headers: a slice, array, `Vec`, `VecDeque` or box of carriers, the parameter
/// given by value or by reference.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a batch of messages",
    label = "not a batch of messages",
    note = "`batch = ..` names a `Vec<M>`, `&[M]`, `&mut [M]`, `VecDeque<M>`, `[M; N]` or `Box<[M]>` whose messages implement `otel_traced::propagation::Extract` (and `Inject` for a `send`); one message's headers are named with `carrier = ..`"
)]
pub trait MessageBatch {
    /// One message: its headers, or a message type implementing the carrier traits.
    type Message: Extract;

    /// The messages, in order.
    fn messages(&self) -> impl Iterator<Item = &Self::Message>;

    /// The messages, in order, to write into.
    fn messages_mut(&mut self) -> impl Iterator<Item = &mut Self::Message>;
}

impl<M: Extract> MessageBatch for [M] {
    type Message = M;

    fn messages(&self) -> impl Iterator<Item = &M> {
        self.iter()
    }

    fn messages_mut(&mut self) -> impl Iterator<Item = &mut M> {
        self.iter_mut()
    }
}

impl<M: Extract, const N: usize> MessageBatch for [M; N] {
    type Message = M;

    fn messages(&self) -> impl Iterator<Item = &M> {
        self.iter()
    }

    fn messages_mut(&mut self) -> impl Iterator<Item = &mut M> {
        self.iter_mut()
    }
}

impl<M: Extract> MessageBatch for Vec<M> {
    type Message = M;

    fn messages(&self) -> impl Iterator<Item = &M> {
        self.iter()
    }

    fn messages_mut(&mut self) -> impl Iterator<Item = &mut M> {
        self.iter_mut()
    }
}

impl<M: Extract> MessageBatch for VecDeque<M> {
    type Message = M;

    fn messages(&self) -> impl Iterator<Item = &M> {
        self.iter()
    }

    fn messages_mut(&mut self) -> impl Iterator<Item = &mut M> {
        self.iter_mut()
    }
}

impl<B: MessageBatch + ?Sized> MessageBatch for Box<B> {
    type Message = B::Message;

    fn messages(&self) -> impl Iterator<Item = &B::Message> {
        (**self).messages()
    }

    fn messages_mut(&mut self) -> impl Iterator<Item = &mut B::Message> {
        (**self).messages_mut()
    }
}

/// The links of a batch operation: one to each creation context its messages
/// carry (a message without one has none to link to).
pub fn batch_links<B: MessageBatch + ?Sized>(batch: &B) -> Vec<Link> {
    let mut links = DistinctLinks::default();
    batch
        .messages()
        .filter_map(creation_link)
        .filter_map(|link| links.first(link))
        .collect()
}

/// The installed pipeline's limit of links a span keeps
/// (`OTEL_SPAN_LINK_COUNT_LIMIT`); none known otherwise (an application's own
/// provider, a capture), where the SDK cuts them.
pub(crate) static LINK_COUNT_LIMIT: InstalledSetting<Option<usize>> =
    InstalledSetting::new(|| None);

/// Cuts `links` to `limit` (the installed one, [`LINK_COUNT_LIMIT`]), returning
/// those cut, to be added once the span started ([`ActiveSpan::add_cut_links`]).
/// The SDK cuts the links a span starts with to its limit, but keeps the room of
/// every one (a batch `process` of 10 000 messages, a megabyte a span), which a
/// queued span holds until it is exported; links added later past the limit are
/// only counted.
pub(crate) fn cut_to_link_limit(links: &mut Vec<Link>, limit: Option<usize>) -> Vec<Link> {
    let Some(limit) = limit.filter(|limit| links.len() > *limit) else {
        return Vec::new();
    };
    let cut = links.split_off(limit);
    links.shrink_to_fit();
    cut
}

impl ActiveSpan {
    /// Adds the links [`cut_to_link_limit`] cut: the span's limit reached, each is
    /// counted as dropped; under another limit (a capture's), kept up to it.
    pub(crate) fn add_cut_links(&mut self, cut: Vec<Link>) {
        if cut.is_empty() {
            return;
        }
        self.handle().if_recording(|span| {
            for link in cut {
                span.add_link(link.span_context, link.attributes);
            }
        });
    }
}

/// Links to creation contexts, each context once: a batch sent without `create`
/// gives all its messages the one context, and its links repeated would use up the
/// span's link limit (128) before another producer's came. (The links carry no
/// attribute of their own that would tell them apart.)
#[derive(Default)]
struct DistinctLinks(HashSet<(TraceId, SpanId)>);

impl DistinctLinks {
    /// `link`, unless one to its context came before.
    fn first(&mut self, link: Link) -> Option<Link> {
        let context = &link.span_context;
        self.0
            .insert((context.trace_id(), context.span_id()))
            .then_some(link)
    }
}

/// Which messages of a batch `send` carry no creation context yet: those take the
/// `send` span's own context as theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fresh {
    /// Every message carries one (or there is none): the span is a CLIENT.
    None,
    /// Some do, some do not.
    Some,
    /// None carries one: each takes the span's context, no need to look again.
    All,
}

/// Whether any message takes the span's context (the span is then a PRODUCER).
impl From<Fresh> for bool {
    fn from(fresh: Fresh) -> bool {
        fresh != Fresh::None
    }
}

/// What a batch `send` needs before its span opens: the links to the creation
/// contexts the messages already carry, and which messages carry none. Where
/// nothing records, no span links to them: each message is looked at once, as
/// it is written (`Fresh::Some`), not once more here.
pub fn batch_creation<B: MessageBatch + ?Sized>(batch: &B) -> (Vec<Link>, Fresh) {
    if !crate::route::is_enabled() {
        return (Vec::new(), Fresh::Some);
    }
    let (mut messages, mut carried) = (0_usize, 0_usize);
    let mut distinct = DistinctLinks::default();
    let links: Vec<Link> = batch
        .messages()
        .filter_map(|message| {
            messages += 1;
            let link = creation_link(message)?;
            carried += 1;
            distinct.first(link)
        })
        .collect();
    let fresh = match (carried, messages) {
        (carried, total) if carried == total => Fresh::None,
        (0, _) => Fresh::All,
        _ => Fresh::Some,
    };
    (links, fresh)
}

/// `messaging.batch.message_count`.
pub const BATCH_MESSAGE_COUNT: &str = "messaging.batch.message_count";

/// How many messages a batch holds.
#[doc(hidden)]
pub fn batch_len<B: MessageBatch + ?Sized>(batch: &B) -> usize {
    batch.messages().count()
}

/// `messaging.batch.message_count` of a batch of `count` messages.
#[doc(hidden)]
pub fn message_count(count: usize) -> Option<Value> {
    Some(Value::I64(count_value(count)))
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
    /// Counts the messages into the call's message count and, if the span of
    /// `handle` is recording, into the span, linked to them.
    fn record_received(&self, handle: &mut SpanHandle);
}

impl SpanHandle {
    /// Counts the messages of `batch` and, if the span is recording, adds the
    /// links to their creation contexts.
    fn record_messages<B: MessageBatch + ?Sized>(&mut self, batch: &B) {
        let count = batch_len(batch);
        self.count_messages(count);
        self.if_recording(|span| {
            let mut distinct = DistinctLinks::default();
            for link in batch.messages().filter_map(creation_link) {
                if let Some(link) = distinct.first(link) {
                    span.add_link(link.span_context, link.attributes);
                }
            }
            span.set_attribute(KeyValue::new(BATCH_MESSAGE_COUNT, count_value(count)));
        });
    }

    /// Counts a `receive` that got no message.
    fn record_no_messages(&mut self) {
        self.count_messages(0);
        self.if_recording(|span| span.set_attribute(KeyValue::new(BATCH_MESSAGE_COUNT, 0_i64)));
    }
}

fn count_value(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

impl<M: Extract> ReceivedMessages for [M] {
    fn record_received(&self, handle: &mut SpanHandle) {
        handle.record_messages(self);
    }
}

impl<M: Extract, const N: usize> ReceivedMessages for [M; N] {
    fn record_received(&self, handle: &mut SpanHandle) {
        handle.record_messages(self);
    }
}

impl<M: Extract> ReceivedMessages for Vec<M> {
    fn record_received(&self, handle: &mut SpanHandle) {
        handle.record_messages(self);
    }
}

impl<M: Extract> ReceivedMessages for VecDeque<M> {
    fn record_received(&self, handle: &mut SpanHandle) {
        handle.record_messages(self);
    }
}

impl<T: ReceivedMessages + ?Sized> ReceivedMessages for &T {
    fn record_received(&self, handle: &mut SpanHandle) {
        (**self).record_received(handle);
    }
}

impl<T: ReceivedMessages + ?Sized> ReceivedMessages for &mut T {
    fn record_received(&self, handle: &mut SpanHandle) {
        (**self).record_received(handle);
    }
}

impl<T: ReceivedMessages + ?Sized> ReceivedMessages for Box<T> {
    fn record_received(&self, handle: &mut SpanHandle) {
        (**self).record_received(handle);
    }
}

/// `None`: a receive that got no message (a poll that timed out) counts 0.
impl<T: ReceivedMessages> ReceivedMessages for Option<T> {
    fn record_received(&self, handle: &mut SpanHandle) {
        match self {
            Some(messages) => messages.record_received(handle),
            None => handle.record_no_messages(),
        }
    }
}

/// An `Err` received nothing to count; its error is recorded as any error is.
impl<T: ReceivedMessages, E> ReceivedMessages for Result<T, E> {
    fn record_received(&self, handle: &mut SpanHandle) {
        if let Ok(messages) = self {
            messages.record_received(handle);
        }
    }
}

/// What a `receive` with `carrier = return` returns: the one message it received,
/// which its span counts and links to (its creation context) when the call ends,
/// without the batch's message count. A `Result` holds it in its `Ok` (an `Err`
/// received nothing to count); an `Option` holds one or none.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is no message for `carrier = return`",
    label = "not the message a `receive` returns",
    note = "a `receive` with `carrier = return` returns the message it received: a type implementing `otel_traced::propagation::Extract`, or an `Option` or the `Ok` of a `Result` of one; several are `batch = return`"
)]
pub trait ReceivedMessage {
    /// Counts the message into the call's message count and, if the span of
    /// `handle` is recording, links the span to it.
    fn record_received(&self, handle: &mut SpanHandle);
}

impl<M: Extract + ?Sized> ReceivedMessage for M {
    fn record_received(&self, handle: &mut SpanHandle) {
        handle.count_messages(1);
        handle.if_recording(|span| {
            if let Some(link) = creation_link(self) {
                span.add_link(link.span_context, link.attributes);
            }
        });
    }
}

/// `None`: a receive that got no message (a poll that timed out) counts 0.
impl<M: ReceivedMessage> ReceivedMessage for Option<M> {
    fn record_received(&self, handle: &mut SpanHandle) {
        match self {
            Some(message) => message.record_received(handle),
            None => handle.count_messages(0),
        }
    }
}

/// An `Err` received nothing to count; its error is recorded as any error is.
impl<M: ReceivedMessage, E> ReceivedMessage for Result<M, E> {
    fn record_received(&self, handle: &mut SpanHandle) {
        if let Ok(message) = self {
            message.record_received(handle);
        }
    }
}

impl ActiveSpan {
    /// Writes the context the body runs under into every message of the batch that
    /// carries no creation context yet; the others keep theirs (from a `create`
    /// span, or put there by the user), as the conventions ask, and take the
    /// body's baggage only, under their own.
    pub fn inject_fresh<B: MessageBatch + ?Sized>(&self, batch: &mut B, fresh: Fresh)
    where
        B::Message: Inject,
    {
        for message in batch.messages_mut() {
            // Read again only in a batch that mixes both.
            let fresh = match fresh {
                Fresh::All => true,
                Fresh::None => false,
                Fresh::Some => creation_link(&*message).is_none(),
            };
            if fresh {
                self.inject_message(message);
            } else {
                self.inject_baggage(message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cut_to_link_limit;
    use opentelemetry::trace::{Link, SpanContext};

    fn links(count: usize) -> Vec<Link> {
        (0..count)
            .map(|_| Link::with_context(SpanContext::empty_context()))
            .collect()
    }

    #[test]
    fn links_past_the_limit_are_cut_with_their_room() {
        let mut kept = links(10_000);
        let cut = cut_to_link_limit(&mut kept, Some(128));
        assert_eq!((kept.len(), cut.len()), (128, 9_872));
        assert_eq!(kept.capacity(), 128, "no room kept for those cut");
        // Within the limit, or with none known, nothing is cut.
        for limit in [Some(128), None] {
            let mut kept = links(128);
            assert!(cut_to_link_limit(&mut kept, limit).is_empty());
            assert_eq!(kept.len(), 128);
        }
    }
}
