//! The stream returned by an instrumented function (`-> impl Stream`): its span
//! stays open until the stream ends or is dropped, as the call lasts that long.
//!
//! Each item is polled with the span current (panics recorded, as for futures) and
//! counted; at the end, or when the stream is dropped before it, the count is
//! recorded as `otel_traced.messages`. An `Err`
//! item is recorded as it is produced: a status (a `tonic::Status` on a gRPC
//! stream) as the call's reply, any other error as `#[traced]` records errors. A
//! gRPC stream dropped before its status ends CANCELLED.

use crate::future::DropInPlace;
use crate::outcome::ErrorReport;
use crate::rpc::{Answer, HasReply, Protocol, Reply, RpcMeta, STREAM_GIVEN_UP};
use crate::span::{ActiveSpan, SpanHandle};
use futures_core::Stream;
use opentelemetry::KeyValue;
use pin_project::{pin_project, pinned_drop};
use std::error::Error;
use std::fmt::{Debug, Display};
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

/// Items streamed, recorded when the stream ends.
const MESSAGES: &str = "otel_traced.messages";

/// `stream`, its items held to `T`: the expansion's hold on a returned stream's
/// items where the signature writes them (`impl Stream<Item = T>`).
#[doc(hidden)]
#[inline(always)]
pub fn items_are<T, S: Stream<Item = T>>(stream: S) -> S {
    stream
}

/// Wraps the stream an instrumented function returns; `inspect` records what an
/// item says about the call (the expansion's item probe).
#[pin_project(PinnedDrop)]
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct InstrumentedStream<S, F> {
    /// Dropped by the stream's own drop, with the span current.
    #[pin]
    inner: ManuallyDrop<S>,
    span: ActiveSpan,
    inspect: F,
    /// The boundary, for `#[traced_rpc]`.
    rpc: Option<&'static RpcMeta>,
    messages: u64,
    /// The call's outcome is recorded: a status came (its reply), or a poll
    /// panicked. An error of another type is no outcome: more items may follow,
    /// and the call still ends OK or given up.
    concluded: bool,
}

impl<S: Stream, F: FnMut(&mut SpanHandle, &S::Item) -> Item> InstrumentedStream<S, F> {
    #[doc(hidden)]
    #[inline]
    pub fn new(span: ActiveSpan, inner: S, inspect: F, rpc: Option<&'static RpcMeta>) -> Self {
        InstrumentedStream {
            inner: ManuallyDrop::new(inner),
            span,
            inspect,
            rpc,
            messages: 0,
            concluded: false,
        }
    }
}

/// Fused as the stream it wraps is: `-> impl FusedStream<Item = ..>` compiles
/// annotated.
impl<S: futures_core::FusedStream, F: FnMut(&mut SpanHandle, &S::Item) -> Item>
    futures_core::FusedStream for InstrumentedStream<S, F>
{
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

impl<S: Stream, F: FnMut(&mut SpanHandle, &S::Item) -> Item> Stream for InstrumentedStream<S, F> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        // Once its recorded span ended (a gRPC status, a panic), the stream's
        // context is no longer entered (`ActiveSpan::catch_panic`, `finish`).
        let mut current = this.span.enter();
        // SAFETY: `inner` is pinned as the `ManuallyDrop` holding it is, which is
        // never moved, and only dropped in place (in the drop below).
        let inner = unsafe { this.inner.map_unchecked_mut(|inner| &mut **inner) };
        // Concluded until the poll returns: a panic in it is the call's outcome,
        // and the stream dropped after it (a runtime catches the panic first) then
        // adds no CANCELLED beside it.
        let concluded = std::mem::replace(this.concluded, true);
        let given = *this.messages;
        let polled = this.span.catch_panic_noting(
            &mut current,
            || inner.poll_next(task),
            |handle| record_messages(handle, given),
        );
        *this.concluded = concluded;
        let item = std::task::ready!(polled);
        let ends = match &item {
            // An item after the call ended (its panic caught by the caller, who
            // polls on; a gRPC status followed by more) is not its outcome.
            Some(_) if this.span.has_ended() => false,
            Some(item) => {
                *this.messages += 1;
                let item = (this.inspect)(this.span.handle(), item);
                *this.concluded |= item == Item::Status;
                // A gRPC call's error status ends it: tonic sends it as the trailers
                // and polls no more, a client's stream ends after it, and a caller
                // stops at it (`try_next()?`). Not a call given up, then. (An error
                // of another type may be followed by more items.)
                let ends = item == Item::Status
                    && this
                        .rpc
                        .is_some_and(|rpc| matches!(rpc.protocol, Protocol::Grpc { .. }));
                if ends {
                    record_messages(this.span.handle(), *this.messages);
                }
                ends
            }
            None => {
                record_messages(this.span.handle(), *this.messages);
                let handle = this.span.handle();
                if let Some(rpc) = this.rpc
                    && !*this.concluded
                {
                    handle.record_reply(rpc, None, false);
                }
                true
            }
        };
        if ends {
            // Ended under the caller's context, as a future's span is.
            drop(current);
            this.span.finish();
        }
        Poll::Ready(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

/// A stream dropped before its end still says how many items it gave; its span
/// then ends as a dropped future's does (`otel_traced.cancelled`), and a gRPC
/// call whose status had not come ends CANCELLED, as `GrpcLayer` ends it. One
/// whose outcome came (an HTTP status item, a panic) ends as it would at its end.
/// What the stream's body still held is dropped with the span's context current
/// (also a span sampled out, or baggage alone), as the body would have dropped it,
/// and before the span ends.
#[pinned_drop]
impl<S, F> PinnedDrop for InstrumentedStream<S, F> {
    fn drop(self: Pin<&mut Self>) {
        let this = self.project();
        // Dropped in place even if what follows panics; before the span ends (which
        // runs the application's span processors).
        // SAFETY: the one guard of `inner`, which is not used after it.
        let inner = unsafe { DropInPlace::new(this.inner) };
        // Nothing is recorded into a span that already ended.
        record_messages(this.span.handle(), *this.messages);
        let panicking = std::thread::panicking();
        // First: a panic there is the call's outcome, not its being given up
        // (`drop_given_up` does not return then).
        this.span.drop_given_up(inner);
        if let Some(rpc) = this.rpc
            && matches!(rpc.protocol, Protocol::Grpc { .. })
            && !*this.concluded
            && !panicking
        {
            // Not after a panic in a poll (recorded as the call's outcome), nor
            // while one unwinds: a call given up by another's panic has no reply
            // either.
            this.span
                .handle()
                .record_reply(rpc, Some(STREAM_GIVEN_UP.into()), false);
        }
        if *this.concluded {
            // An HTTP stream dropped at its status (`try_next()?`) was not given
            // up: it ends as it would at its end, also when a panic of its caller's
            // drops it (one in its own poll ended the span already).
            this.span.finish();
        }
    }
}

fn record_messages(handle: &mut SpanHandle, messages: u64) {
    handle.record_attribute(KeyValue::new(
        MESSAGES,
        i64::try_from(messages).unwrap_or(i64::MAX),
    ));
}

/// Wraps a streamed item; the expansion calls `__otel_item` on
/// `&&&&&&&&&&&&&ItemProbe(&item)`, which says what the item was: the most specific
/// level its type has wins.
#[doc(hidden)]
#[derive(Debug)]
pub struct ItemProbe<'a, T>(pub &'a T);

/// What a streamed item was, as its probe recorded it.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// A message: nothing recorded.
    Message,
    /// An error, recorded as a function's error is.
    Error,
    /// A status (a gRPC `Status`), recorded as the call's reply.
    Status,
}

/// An `Err` that is an error and may hold a status (a tonic `Status`, an
/// application's error with a reply, a reqwest error made of a response's
/// status): the call's reply where it is one (a status of the boundary's own
/// protocol), else an error recorded as a function's `Err` is, with its
/// `source()` chain.
#[doc(hidden)]
pub trait ViaItemErrorReply {
    fn __otel_item(&self, handle: &mut SpanHandle, rpc: Option<&RpcMeta>) -> Item;
}

impl<T, E: HasReply + Error> ViaItemErrorReply for &&&&&&&&&&&&ItemProbe<'_, Result<T, E>> {
    fn __otel_item(&self, handle: &mut SpanHandle, rpc: Option<&RpcMeta>) -> Item {
        match self.0 {
            Ok(_) => Item::Message,
            Err(error) => reply_or_error(handle, rpc, || Answer::of(error), error),
        }
    }
}

/// A reqwest error is a reply when a response's status made it
/// (`error_for_status`), as a returned one is (`rpc::reply`).
#[cfg(feature = "reqwest")]
impl<T> ViaItemErrorReply for &&&&&&&&&&&&ItemProbe<'_, Result<T, reqwest::Error>> {
    fn __otel_item(&self, handle: &mut SpanHandle, rpc: Option<&RpcMeta>) -> Item {
        let Err(error) = self.0 else {
            return Item::Message;
        };
        reply_or_error(handle, rpc, || crate::rpc::reqwest_status(error), error)
    }
}

/// `answer` as the call's reply where it is one, else `error` recorded as a
/// function's is.
fn reply_or_error<'a, E: Error>(
    handle: &mut SpanHandle,
    rpc: Option<&RpcMeta>,
    answer: impl FnOnce() -> Option<Answer<'a>>,
    error: &E,
) -> Item {
    if recorded_as_reply(handle, rpc, answer) {
        return Item::Status;
    }
    handle.record_error(std::any::type_name::<E>(), || {
        ErrorReport::from_error::<E>(error)
    });
    Item::Error
}

/// Records `answer` as the call's reply where it is one (a status of a
/// boundary's own protocol), saying whether it did. The answer is read (the
/// application's `HasReply`) only on a boundary, whose reply it may be.
fn recorded_as_reply<'a>(
    handle: &mut SpanHandle,
    rpc: Option<&RpcMeta>,
    answer: impl FnOnce() -> Option<Answer<'a>>,
) -> bool {
    let Some((rpc, answer)) = rpc.and_then(|rpc| Some((rpc, rpc.own_error_reply(answer())?)))
    else {
        return false;
    };
    handle.record_reply(rpc, Some(answer), true);
    true
}

/// An `Err` holding a status, and no error: the call's reply.
#[doc(hidden)]
pub trait ViaItemReply {
    fn __otel_item(&self, handle: &mut SpanHandle, rpc: Option<&RpcMeta>) -> Item;
}

impl<T, E: HasReply> ViaItemReply for &&&&&&&&&&&ItemProbe<'_, Result<T, E>> {
    fn __otel_item(&self, handle: &mut SpanHandle, rpc: Option<&RpcMeta>) -> Item {
        let Err(error) = self.0 else {
            return Item::Message;
        };
        if recorded_as_reply(handle, rpc, || Answer::of(error)) {
            return Item::Status;
        }
        // In a `#[traced]` stream, or a messaging one, a status is an error like
        // any other, as is one of another protocol.
        handle.record_error(std::any::type_name::<E>(), || {
            let description = match error.reply() {
                Reply::Grpc { message, .. } => crate::redact::described_text(message),
                Reply::Http { status } => http_status_text(status),
            };
            ErrorReport::from_text::<E>(description)
        });
        Item::Error
    }
}

/// An HTTP status as `http::StatusCode` displays it (`502 Bad Gateway`): the
/// description a returned `StatusCode` error gets.
fn http_status_text(status: u16) -> String {
    #[cfg(feature = "http")]
    if let Ok(code) = http::StatusCode::from_u16(status) {
        return code.to_string();
    }
    status.to_string()
}

/// Any other `Err`: recorded as `#[traced]` records a function's error
/// (`outcome.rs`), at the first level its type has: an `Error` with its `source()`
/// chain (also behind `Box<dyn Error>` or `anyhow::Error`), then `Display`, then
/// `Debug`.
/// (`'e` as in `outcome.rs`'s levels: a boxed error borrowing from the call.)
macro_rules! item_error_level {
    ($level:ident, $receiver:ty, $bound:path, $(for<$lifetime:lifetime>,)? |$error:ident| $report:expr) => {
        #[doc(hidden)]
        pub trait $level {
            fn __otel_item(&self, handle: &mut SpanHandle, rpc: Option<&RpcMeta>) -> Item;
        }
        impl<$($lifetime,)? T, E: $bound> $level for $receiver {
            fn __otel_item(&self, handle: &mut SpanHandle, _rpc: Option<&RpcMeta>) -> Item {
                let Err($error) = self.0 else {
                    return Item::Message;
                };
                handle.record_error(std::any::type_name::<E>(), || $report);
                Item::Error
            }
        }
    };
}

item_error_level!(
    ViaItemStdError,
    &&&&&&&&&&ItemProbe<'_, Result<T, E>>,
    Error,
    |error| ErrorReport::from_error::<E>(error)
);
/// An `Err` holding others (`Box<dyn Error + Send + Sync>`, `anyhow::Error`, made
/// by `?` of a `tonic::Status`) on a gRPC or HTTP boundary: the call's reply where
/// it or one of its sources is one, as a returned error's is (`rpc::reply`), else
/// recorded as the next levels record it. (Owned: the expansion leaves these
/// levels out for an item's error written with a lifetime of its own.)
macro_rules! item_sources_reply_level {
    ($level:ident, $receiver:ty, $error_type:ty) => {
        #[doc(hidden)]
        pub trait $level {
            fn __otel_item(&self, handle: &mut SpanHandle, rpc: Option<&RpcMeta>) -> Item;
        }
        impl<T, E: AsRef<$error_type>> $level for $receiver {
            fn __otel_item(&self, handle: &mut SpanHandle, rpc: Option<&RpcMeta>) -> Item {
                let Err(error) = self.0 else {
                    return Item::Message;
                };
                let answer = || crate::rpc::reply_among_sources(|| error.as_ref());
                if recorded_as_reply(handle, rpc, answer) {
                    return Item::Status;
                }
                handle.record_error(std::any::type_name::<E>(), || {
                    ErrorReport::from_error::<E>(error.as_ref())
                });
                Item::Error
            }
        }
    };
}

item_sources_reply_level!(
    ViaItemSharedErrorSources,
    &&&&&&&&&ItemProbe<'_, Result<T, E>>,
    dyn Error + Send + Sync + 'static
);
item_sources_reply_level!(
    ViaItemErrorSources,
    &&&&&&&&ItemProbe<'_, Result<T, E>>,
    dyn Error + 'static
);
item_error_level!(
    ViaItemSharedErrorRef,
    &&&&&&&ItemProbe<'_, Result<T, E>>,
    AsRef<dyn Error + Send + Sync + 'e>,
    for<'e>,
    |error| ErrorReport::from_error::<E>(AsRef::<dyn Error + Send + Sync + 'e>::as_ref(error))
);
item_error_level!(
    ViaItemSendErrorRef,
    &&&&&&ItemProbe<'_, Result<T, E>>,
    AsRef<dyn Error + Send + 'e>,
    for<'e>,
    |error| ErrorReport::from_error::<E>(AsRef::<dyn Error + Send + 'e>::as_ref(error))
);
item_error_level!(
    ViaItemSyncErrorRef,
    &&&&&ItemProbe<'_, Result<T, E>>,
    AsRef<dyn Error + Sync + 'e>,
    for<'e>,
    |error| ErrorReport::from_error::<E>(AsRef::<dyn Error + Sync + 'e>::as_ref(error))
);
item_error_level!(
    ViaItemErrorRef,
    &&&&ItemProbe<'_, Result<T, E>>,
    AsRef<dyn Error + 'e>,
    for<'e>,
    |error| ErrorReport::from_error::<E>(AsRef::<dyn Error + 'e>::as_ref(error))
);
item_error_level!(
    ViaItemError,
    &&&ItemProbe<'_, Result<T, E>>,
    Display,
    |error| { ErrorReport::from_text::<E>(crate::redact::described(format_args!("{error}"))) }
);
item_error_level!(
    ViaItemDebug,
    &&ItemProbe<'_, Result<T, E>>,
    Debug,
    |error| { ErrorReport::from_text::<E>(crate::redact::described(format_args!("{error:?}"))) }
);

/// An `Err` with neither `Display` nor `Debug`: described by its type's name, as
/// a function's error is.
#[doc(hidden)]
pub trait ViaItemTypeName {
    fn __otel_item(&self, handle: &mut SpanHandle, rpc: Option<&RpcMeta>) -> Item;
}

impl<T, E> ViaItemTypeName for &ItemProbe<'_, Result<T, E>> {
    fn __otel_item(&self, handle: &mut SpanHandle, _rpc: Option<&RpcMeta>) -> Item {
        if self.0.is_ok() {
            return Item::Message;
        }
        handle.record_error(std::any::type_name::<E>(), || {
            ErrorReport::from_text::<E>(std::any::type_name::<E>().to_owned())
        });
        Item::Error
    }
}

/// Any other item: a message, nothing to record.
#[doc(hidden)]
pub trait ViaItem {
    fn __otel_item(&self, handle: &mut SpanHandle, rpc: Option<&RpcMeta>) -> Item;
}

impl<T> ViaItem for ItemProbe<'_, T> {
    fn __otel_item(&self, _handle: &mut SpanHandle, _rpc: Option<&RpcMeta>) -> Item {
        Item::Message
    }
}
