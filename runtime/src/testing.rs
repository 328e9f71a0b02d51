//! Testing your own instrumentation: run a call and get the spans it produced
//! (feature `testing`, for `[dev-dependencies]`).
//!
//! A capture does not touch any global provider. It gives the call a context that
//! carries a route to the capture's own provider; every span started under that
//! context (on any thread or task it is handed to) and every span continuing one of
//! the capture's traces from a bare span context goes there, and nowhere else. So
//! captures in tests running in parallel see only their own spans, whatever else the
//! process initialised, and spans are recorded synchronously as they end. When the
//! call returns, the capture waits for the work it handed on (a task it spawned, a
//! thread given its context, a response body dropped later) up to [`SETTLE`]: until
//! no context made from the capture's lives and no span of its traces is running.
//! It keeps every span that records, as a span processor of yours would: also one
//! a sampler records without sampling it (`RecordOnly`), which an export leaves
//! out.
//!
//! ```
//! use otel_traced::traced;
//!
//! #[traced]
//! fn add(a: u64, b: u64) -> u64 {
//!     a + b
//! }
//!
//! let captured = otel_traced::testing::capture(|| add(2, 3));
//! assert_eq!(*captured.output(), 5);
//! assert_eq!(captured.tree(), "add  {a=2, b=3}\n");
//! ```

mod settle;

use crate::processor::{ExportLimits, settle_attributes};
use crate::render::{Style, render_trees};
use crate::route::{CaptureRoute, Carried, lock};
use opentelemetry::Context;
use opentelemetry::baggage::BaggageExt as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Sampler, ShouldSample, Span, SpanData, SpanProcessor};
use settle::Settling;
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// How long a capture waits, once its call returned, for work it handed on: work
/// given to another task or thread ends soon after the call; a context or span
/// kept longer (by a server started inside the capture, say, or held by the
/// call's output) costs the capture this long, and a span ending later is not in
/// it.
/// `capture` where a current-thread tokio runtime is entered does not wait (what
/// it would wait for runs on that runtime's thread, which may be this one): use
/// `capture_async` there. (That holds on its `spawn_blocking` threads too, where
/// waiting would be possible, but tokio does not tell them apart.)
pub const SETTLE: Duration = Duration::from_secs(2);

/// Runs `call` and returns its output with every span of the traces it started.
pub fn capture<R>(call: impl FnOnce() -> R) -> Captured<R> {
    Capture::new().run(call)
}

/// Awaits `future` and returns its output with every span of the traces it started.
///
/// A function whose span opens at the call (one returning `impl Future`, an
/// `#[async_trait]` method, `in_span_async`) must be called inside:
/// `capture_async(async { store.load(7).await })`; an `async fn`'s span opens at its
/// first poll, inside the capture, wherever it is called.
pub async fn capture_async<F: Future>(future: F) -> Captured<F::Output> {
    Capture::new().run_async(future).await
}

/// A capture with options; [`capture`] and [`capture_async`] are its defaults
/// (every span sampled).
#[derive(Debug)]
pub struct Capture {
    sampler: Box<dyn ShouldSample>,
}

impl Default for Capture {
    fn default() -> Self {
        Capture::new()
    }
}

impl Capture {
    /// A capture that samples every span.
    pub fn new() -> Self {
        Capture {
            sampler: Box::new(Sampler::AlwaysOn),
        }
    }

    /// Decides sampling with `sampler`, e.g. `Sampler::AlwaysOff` to check that
    /// nothing is evaluated for spans that are not recorded. It decides for every
    /// span as given: an `AdaptiveSampler` goes in as `Sampler::from(adaptive)`,
    /// parent-based as `init()` installs it.
    pub fn sampler(mut self, sampler: impl ShouldSample + 'static) -> Self {
        self.sampler = Box::new(sampler);
        self
    }

    /// Runs `call` inside the capture.
    pub fn run<R>(self, call: impl FnOnce() -> R) -> Captured<R> {
        let (capture, context) = OpenCapture::open(self.sampler);
        let output = {
            let _here = CaptureRoute::running_here(&context);
            let _current = context.attach();
            call()
        };
        let deadline = Instant::now() + SETTLE;
        let wait = || capture.settling.wait(deadline, || capture.settled());
        match runtime_flavor() {
            Some(tokio::runtime::RuntimeFlavor::CurrentThread) => {}
            // On a worker (a capture in a task), the worker's next task (one the
            // call spawned) runs only when the worker is free: it is handed on to
            // another thread for the wait. (Outside a worker, this only waits.)
            // Inside a `LocalSet` tokio forbids it, and panics before waiting:
            // this thread waits then, its local tasks waiting too (a task the call
            // spawned on the runtime's workers still ends its spans).
            Some(_) => {
                let handed_on = std::panic::AssertUnwindSafe(|| tokio::task::block_in_place(wait));
                if crate::panic::caught_quietly(handed_on).is_err() {
                    wait();
                }
            }
            None => wait(),
        }
        capture.close(output)
    }

    /// Awaits `future` inside the capture (its context is current on every poll).
    pub async fn run_async<F: Future>(self, future: F) -> Captured<F::Output> {
        let (capture, context) = OpenCapture::open(self.sampler);
        let output = RunsHere { future, context }.await;
        // Awaiting, not blocking: the spans still running may be on this thread's
        // runtime, waiting for its turn.
        let deadline = Instant::now() + SETTLE;
        capture
            .settling
            .wait_async(deadline, || capture.settled())
            .await;
        capture.close(output)
    }
}

/// `run_async`'s future, each poll under the capture's context and with the
/// capture as the one running on the polling thread
/// ([`CaptureRoute::running_here`]), where a context made from `Context::new()`
/// inside it finds it.
#[pin_project::pin_project]
struct RunsHere<F> {
    #[pin]
    future: F,
    context: Context,
}

impl<F: Future> Future for RunsHere<F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.project();
        let _here = CaptureRoute::running_here(this.context);
        let _current = this.context.clone().attach();
        this.future.poll(cx)
    }
}

/// The kind of tokio runtime this thread runs in, if any. On a current-thread
/// one, what the call handed on runs on this thread, so waiting here would only
/// hold it up (`run_async` waits there). (The `testing` feature brings tokio in
/// for this: without it, a capture in a `#[tokio::test]` held its runtime's only
/// thread for the whole wait.)
fn runtime_flavor() -> Option<tokio::runtime::RuntimeFlavor> {
    tokio::runtime::Handle::try_current()
        .ok()
        .map(|runtime| runtime.runtime_flavor())
}

/// A capture between open and close; closing on drop too, so a panicking call does
/// not leave the capture registered.
struct OpenCapture {
    route: CaptureRoute,
    recorded: Arc<Mutex<Recorded>>,
    /// Woken when a span of the capture ends or the last context carrying it goes.
    settling: Arc<Settling>,
    /// Alive while a context made from the capture's lives: a task spawned or a
    /// thread started with one may still open spans of the capture (an `async
    /// fn`'s span opens at its first poll).
    carried: Weak<Carried>,
}

/// What a capture's processor saw.
#[derive(Debug, Default)]
struct Recorded {
    /// The spans that ended, in that order.
    spans: Vec<SpanData>,
    /// Spans started and not ended yet.
    running: usize,
}

impl OpenCapture {
    /// The capture, and the context its call runs in.
    fn open(sampler: Box<dyn ShouldSample>) -> (Self, Context) {
        let recorded = Arc::new(Mutex::new(Recorded::default()));
        let settling = Arc::new(Settling::default());
        let (builder, sampler) = crate::sampling::provider_builder(sampler);
        // The environment's, as an installed pipeline's would be.
        let limits = crate::config::span_limits_from_env();
        let provider = builder
            .with_span_limits(crate::processor::with_room_for_repeats(limits))
            .with_span_processor(CaptureProcessor {
                recorded: Arc::clone(&recorded),
                settling: Arc::clone(&settling),
                max_attributes: limits.max_attributes_per_span,
            })
            .build();
        let route = CaptureRoute::open(provider, sampler);
        let (carried_route, carried) = route.carried({
            let settling = Arc::clone(&settling);
            move || settling.changed()
        });
        // The caller's baggage stays (the call runs as it would outside the
        // capture), with the mark that it left a key out; not its span (the
        // capture's calls start traces of their own), nor a suppression (the
        // capture records what it runs).
        let context = crate::thread_exit::map_current(|current| {
            let context =
                Context::new().with_baggage(crate::baggage::copied(current.baggage(), |_| true));
            match current.get::<crate::baggage::KeysLeftOut>() {
                Some(left_out) => context.with_value(left_out.clone()),
                None => context,
            }
        })
        .unwrap_or_default()
        .with_value(carried_route);
        let capture = OpenCapture {
            route,
            recorded,
            settling,
            carried,
        };
        (capture, context)
    }

    /// Whether the work the call handed on is done: no context made from the
    /// capture's lives, and every span started in the capture has ended.
    fn settled(&self) -> bool {
        self.carried.strong_count() == 0 && lock(&self.recorded).running == 0
    }

    fn close<R>(self, output: R) -> Captured<R> {
        // Closed first (by the drop): a span starting meanwhile goes where it
        // would without the capture rather than into spans no one takes.
        let recorded = Arc::clone(&self.recorded);
        drop(self);
        let spans = std::mem::take(&mut lock(&recorded).spans);
        Captured { output, spans }
    }
}

impl Drop for OpenCapture {
    fn drop(&mut self) {
        self.route.close();
    }
}

/// Records every ended span of the capture, on the thread that ended it, each
/// attribute key kept once, within the attribute count limit, and strings cut to
/// the value length limit (as our exporters do), and counts those still running.
#[derive(Debug)]
struct CaptureProcessor {
    recorded: Arc<Mutex<Recorded>>,
    settling: Arc<Settling>,
    max_attributes: u32,
}

impl SpanProcessor for CaptureProcessor {
    fn on_start(&self, _span: &mut Span, _context: &Context) {
        lock(&self.recorded).running += 1;
    }

    fn on_end(&self, mut span: SpanData) {
        // The value length limit in force (a capture has none of its own).
        let limits = ExportLimits {
            max_attributes: self.max_attributes,
            value_length: crate::value::VALUE_LENGTH_LIMIT.get(),
        };
        settle_attributes(&mut span, limits);
        let mut recorded = lock(&self.recorded);
        recorded.running = recorded.running.saturating_sub(1);
        recorded.spans.push(span);
        let none_running = recorded.running == 0;
        drop(recorded);
        if none_running {
            self.settling.changed();
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// The output of a captured call and the spans it produced.
#[derive(Debug)]
pub struct Captured<R> {
    output: R,
    spans: Vec<SpanData>,
}

impl<R> Captured<R> {
    /// The call's return value.
    pub fn output(&self) -> &R {
        &self.output
    }

    /// The call's return value, consuming the capture.
    pub fn into_output(self) -> R {
        self.output
    }

    /// Every captured span, in the order they ended.
    pub fn spans(&self) -> &[SpanData] {
        &self.spans
    }

    /// The first span (in end order) named `name`.
    pub fn find(&self, name: &str) -> Option<&SpanData> {
        self.spans.iter().find(|span| span.name == name)
    }

    /// The spans whose parent is `span`, in start order.
    pub fn children_of(&self, span: &SpanData) -> Vec<&SpanData> {
        let parent = &span.span_context;
        let mut children: Vec<&SpanData> = self
            .spans
            .iter()
            .filter(|child| {
                child.parent_span_id == parent.span_id()
                    && child.span_context.trace_id() == parent.trace_id()
            })
            .collect();
        children.sort_by_key(|child| child.start_time);
        children
    }

    /// The console rendering of the captured traces, without timings: one line per
    /// span, indented under its parent, with status, attributes and how many links
    /// it has (their ids differ from run to run).
    pub fn tree(&self) -> String {
        render_trees(&self.spans, Style::Plain)
    }
}

#[cfg(test)]
mod tests {
    use super::OpenCapture;
    use crate::route::CaptureRoute;
    use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId};
    use opentelemetry_sdk::trace::Sampler;

    #[test]
    fn a_context_that_outlives_its_capture_no_longer_leads_to_it() {
        let (ended, leftover) = OpenCapture::open(Box::new(Sampler::AlwaysOn));
        // Another capture keeps the routing on, as parallel tests do.
        let running = OpenCapture::open(Box::new(Sampler::AlwaysOn));
        assert!(
            CaptureRoute::for_parent(&leftover).is_some(),
            "open: it leads there"
        );
        let route = leftover.get::<CaptureRoute>().expect("the route").clone();
        let _ = ended.close(());
        assert!(
            CaptureRoute::for_parent(&leftover).is_none(),
            "closed: spans go where they would without it"
        );
        // A root registered after the close would never be forgotten.
        let root = SpanContext::new(
            TraceId::from(7),
            SpanId::from(7),
            TraceFlags::SAMPLED,
            false,
            Default::default(),
        );
        route.register_root(&root);
        assert!(
            !crate::route::registered(root.trace_id()),
            "the closed capture registered nothing"
        );
        // A bare span context of that trace finds no capture.
        let continued = opentelemetry::Context::new().with_remote_span_context(root);
        assert!(CaptureRoute::for_parent(&continued).is_none());
        drop(running);
    }

    #[test]
    fn a_trace_goes_to_the_capture_that_started_it_whatever_route_the_context_carries() {
        // A server task started inside one test's capture carries its route; a
        // request of another test's trace reaches it.
        let (serving, serving_context) = OpenCapture::open(Box::new(Sampler::AlwaysOn));
        let (calling, calling_context) = OpenCapture::open(Box::new(Sampler::AlwaysOn));
        let calling_route = calling_context
            .get::<CaptureRoute>()
            .expect("the route")
            .clone();
        let call = SpanContext::new(
            TraceId::from(11),
            SpanId::from(11),
            TraceFlags::SAMPLED,
            true,
            Default::default(),
        );
        calling_route.register_root(&call);
        let request = serving_context.with_remote_span_context(call);
        let route = CaptureRoute::for_parent(&request).expect("a capture");
        assert!(route.is(&calling_route), "the calling test's capture");
        drop((serving, calling));
    }
}
