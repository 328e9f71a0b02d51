//! The future of an instrumented `async fn`.

use crate::span::ActiveSpan;
use pin_project::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

/// Polls `inner` with its span's context current, whichever thread polls it, and
/// ends the span when `inner` completes. A panic in a poll is recorded on the span
/// and goes on unwinding. Dropped before that, it ends the span with
/// `otel_traced.cancelled = true` (through [`ActiveSpan`]'s drop). Each poll costs a
/// context attach and detach: no allocation.
#[pin_project]
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Instrumented<F> {
    #[pin]
    inner: F,
    span: ActiveSpan,
}

impl<F> Instrumented<F> {
    #[doc(hidden)]
    #[inline]
    pub fn new(span: ActiveSpan, inner: F) -> Self {
        Instrumented { inner, span }
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _current = this.span.enter();
        let inner = this.inner;
        let output = std::task::ready!(this.span.handle().catch_panic(|| inner.poll(task)));
        this.span.finish();
        Poll::Ready(output)
    }
}
