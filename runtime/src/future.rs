//! The future of an instrumented `async fn`.

use crate::span::{ActiveSpan, SpanHandle};
use pin_project::{pin_project, pinned_drop};
use std::borrow::BorrowMut;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

/// `future`, its output held to `T`: the expansion's hold on a returned future's
/// output where the signature writes it (`impl Future<Output = T>`), which the
/// return type would give it without the macro.
#[doc(hidden)]
#[inline(always)]
pub fn output_is<T, F: Future<Output = T>>(future: F) -> F {
    future
}

/// Polls `inner` with its span's context current, whichever thread polls it, and
/// when `inner` completes records its outcome (`outcome` sees the output: an
/// error, a reply) and ends the span. A panic in a poll is recorded on the span
/// and goes on unwinding. Dropped before that, it drops `inner` (the body's locals
/// and parameters) with the span current, as the body would have dropped them,
/// and the span ends with `otel_traced.cancelled = true` when its [`ActiveSpan`] is
/// dropped: with this future, or with the `async fn`'s future that lends it. Each
/// poll costs a context attach and detach: no allocation.
///
/// `S` holds the span: owned, or, for an `async fn`, borrowed from a local of the
/// function's own future. The local is written where the future keeps it, while a
/// span owned here is built and then copied in (136 bytes, read back right after
/// being written: about 15 ns a call on a two-core machine, even with nothing
/// installed; `docs/benchmarks-notes.md`).
#[pin_project(PinnedDrop)]
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Instrumented<F, O = NoOutcome, S: BorrowMut<ActiveSpan> = ActiveSpan> {
    /// Dropped by [`Instrumented`]'s own drop, with the span current.
    #[pin]
    inner: ManuallyDrop<F>,
    span: S,
    /// Taken when `inner` completes.
    outcome: Option<O>,
}

/// The outcome recorder of a future whose output says nothing about its outcome.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NoOutcome;

/// Records what a future's output says about how the call ended.
#[doc(hidden)]
pub trait RecordOutcome<T> {
    fn record(self, handle: &mut SpanHandle, output: &T);
}

impl<T> RecordOutcome<T> for NoOutcome {
    #[inline]
    fn record(self, _handle: &mut SpanHandle, _output: &T) {}
}

impl<T, O: FnOnce(&mut SpanHandle, &T)> RecordOutcome<T> for O {
    #[inline]
    fn record(self, handle: &mut SpanHandle, output: &T) {
        self(handle, output);
    }
}

impl<F, S: BorrowMut<ActiveSpan>> Instrumented<F, NoOutcome, S> {
    #[doc(hidden)]
    #[inline]
    pub fn new(span: S, inner: F) -> Self {
        Instrumented {
            inner: ManuallyDrop::new(inner),
            span,
            outcome: Some(NoOutcome),
        }
    }
}

impl<F: Future, O: FnOnce(&mut SpanHandle, &F::Output), S: BorrowMut<ActiveSpan>>
    Instrumented<F, O, S>
{
    /// The future of a call whose output `outcome` records (its error, its reply).
    #[doc(hidden)]
    #[inline]
    pub fn with_outcome(span: S, inner: F, outcome: O) -> Self {
        Instrumented {
            inner: ManuallyDrop::new(inner),
            span,
            outcome: Some(outcome),
        }
    }
}

/// Fused as the future it wraps is: `-> impl FusedFuture<Output = ..>` (for
/// `select!`) compiles annotated.
impl<F: futures_core::FusedFuture, O: RecordOutcome<F::Output>, S: BorrowMut<ActiveSpan>>
    futures_core::FusedFuture for Instrumented<F, O, S>
{
    fn is_terminated(&self) -> bool {
        self.inner.is_terminated()
    }
}

impl<F: Future, O: RecordOutcome<F::Output>, S: BorrowMut<ActiveSpan>> Future
    for Instrumented<F, O, S>
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let span = this.span.borrow_mut();
        let mut current = span.enter();
        // SAFETY: `inner` is pinned as the `ManuallyDrop` holding it is, which is
        // never moved, and only dropped in place (below).
        let inner = unsafe { this.inner.map_unchecked_mut(|inner| &mut **inner) };
        let output = std::task::ready!(span.catch_panic(&mut current, || inner.poll(task)));
        if let Some(outcome) = this.outcome.take() {
            span.handle().note_end();
            outcome.record(span.handle(), &output);
        }
        // Ended under the caller's context, as a synchronous call's span is: what
        // the application's span processors do at its end is no child of it.
        drop(current);
        span.finish();
        Poll::Ready(output)
    }
}

#[pinned_drop]
impl<F, O, S: BorrowMut<ActiveSpan>> PinnedDrop for Instrumented<F, O, S> {
    fn drop(self: Pin<&mut Self>) {
        let this = self.project();
        // SAFETY: the one guard of `inner`, which is not used after it.
        let inner = unsafe { DropInPlace::new(this.inner) };
        // A call given up: what its body held is dropped with its span current (a
        // pooled connection returned, a guard's log line), as it would have been
        // by the body. A completed call's body held nothing more.
        if this.outcome.is_some() {
            this.span.borrow_mut().drop_given_up(inner);
        } else {
            drop(inner);
        }
    }
}

/// Drops a pinned `ManuallyDrop` in place when it goes, unwinding or not: made in
/// the drop of the future or stream holding it, first, so that a panic in what that
/// drop does before it (recording, entering a context) still drops it, as a pinned
/// value must be before its memory goes.
pub(crate) struct DropInPlace<'a, T>(Pin<&'a mut ManuallyDrop<T>>);

impl<'a, T> DropInPlace<'a, T> {
    /// # Safety
    /// One guard is made of a value, in its holder's own drop, and the value is not
    /// used after it.
    pub(crate) unsafe fn new(value: Pin<&'a mut ManuallyDrop<T>>) -> Self {
        DropInPlace(value)
    }
}

impl<T> Drop for DropInPlace<'_, T> {
    fn drop(&mut self) {
        // SAFETY: dropped in place, where it was pinned, once (`new`'s contract)
        // and never used again: the `ManuallyDrop` left behind drops nothing.
        unsafe { ManuallyDrop::drop(self.0.as_mut().get_unchecked_mut()) }
    }
}
