//! The three states every case runs in (DESIGN §7), set up the same way for every
//! peer: nothing installed; installed but sampled out (`AlwaysOff`, or
//! `traceidratio` 0); recording, with the batch processor feeding an exporter that
//! does nothing.
//!
//! otel-traced is installed with its own `Config` (one install per process, so a
//! state's [`Installed`] must be dropped before the next is set up); hand-written
//! OpenTelemetry and `tracing-opentelemetry` share one SDK provider with the same
//! sampler and batch settings; fastrace collects under a sampled or unsampled root
//! with a reporter that drops what it gets.

use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState, TracerProvider as _,
};
use opentelemetry::{Context, InstrumentationScope};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracer, SdkTracerProvider, SpanData,
    SpanExporter,
};
use std::sync::Once;
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt as _;

/// The batch settings of every provider: otel-traced's defaults (a queue of 65 536
/// spans, so tight loops drop none; 512 spans an export; the specification's 5 s
/// between scheduled exports), given to the SDK explicitly as well.
const MAX_QUEUE_SIZE: usize = 65_536;
const MAX_EXPORT_BATCH_SIZE: usize = 512;
const SCHEDULED_DELAY: Duration = Duration::from_secs(5);

/// The instrumentation scope of hand-written and `tracing` spans, as `#[traced]`
/// uses the annotated crate's.
const SCOPE: &str = env!("CARGO_PKG_NAME");

/// The most calls run between two flushes: a quarter of the batch queues' 65 536
/// spans, for the cases of three spans a call, so that no queue overflows even
/// where its worker exported nothing meanwhile. A span dropped at a full queue
/// costs its caller less than one queued, and its export is never done: a large
/// criterion sample, or a round of the CPU-per-span count, made so would be
/// cheaper for every peer dropping, and unlike what an application sees.
pub const CALLS_PER_FLUSH: u64 = 16_384;

/// Where a case runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Nothing installed: no otel-traced `init`, the global OpenTelemetry provider
    /// the no-op one, no `tracing` subscriber, no fastrace root.
    NotInitialised,
    /// Installed, every span sampled out by `AlwaysOff`.
    AlwaysOff,
    /// Installed, every span sampled out by `traceidratio` 0.
    RatioZero,
    /// Installed and recording (`parentbased_always_on`, the default), exported in
    /// batches to an exporter that does nothing.
    Recording,
}

impl State {
    /// Every state, in the order the suite runs them.
    pub const ALL: [State; 4] = [
        State::NotInitialised,
        State::AlwaysOff,
        State::RatioZero,
        State::Recording,
    ];

    /// The name in benchmark ids and reports.
    pub fn name(self) -> &'static str {
        match self {
            State::NotInitialised => "not_initialised",
            State::AlwaysOff => "always_off",
            State::RatioZero => "ratio_0",
            State::Recording => "recording",
        }
    }

    fn sampler(self) -> Sampler {
        match self {
            State::NotInitialised | State::Recording => {
                Sampler::ParentBased(Box::new(Sampler::AlwaysOn))
            }
            State::AlwaysOff => Sampler::AlwaysOff,
            State::RatioZero => Sampler::TraceIdRatioBased(0.0),
        }
    }

    /// Whether a fastrace root in this state is sampled.
    pub(crate) fn fastrace_sampled(self) -> bool {
        self == State::Recording
    }
}

/// An exporter that accepts every batch and does nothing with it.
#[derive(Debug)]
pub struct NoopExporter;

impl SpanExporter for NoopExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        drop(batch);
        Ok(())
    }
}

/// A metric exporter that accepts every export and does nothing with it.
#[derive(Debug)]
pub struct NoopMetrics;

impl PushMetricExporter for NoopMetrics {
    async fn export(&self, _metrics: &ResourceMetrics) -> OTelSdkResult {
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

/// otel-traced alone, with `sampler`, the no-op span exporter and, if `metrics`,
/// the no-op metric exporter: the setting of issue 10's costs (the metrics path,
/// the adaptive decision), where the other peers play no part.
pub fn install_traced(sampler: Sampler, metrics: bool) -> otel_traced::Guard {
    let config = otel_traced::Config::from_vars(std::iter::empty::<(String, String)>())
        .span_exporter(NoopExporter)
        .sampler(sampler)
        .max_queue_size(MAX_QUEUE_SIZE)
        .max_export_batch_size(MAX_EXPORT_BATCH_SIZE)
        .scheduled_delay(SCHEDULED_DELAY);
    let config = if metrics {
        config.metric_exporter(NoopMetrics)
    } else {
        config
    };
    config.install().expect("one install at a time")
}

/// A fastrace reporter that drops what it gets.
struct NoopReporter;

impl fastrace::collector::Reporter for NoopReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        drop(spans);
    }
}

/// The tracer of hand-written code: the global one while nothing is installed (the
/// API's no-op path), else the SDK provider's.
#[derive(Debug)]
pub enum HandTracer {
    /// `opentelemetry::global`'s tracer, with no provider installed.
    Global(BoxedTracer),
    /// A tracer of the SDK provider.
    Sdk(SdkTracer),
}

/// One state set up for every peer; dropping it takes it down again.
#[derive(Debug)]
pub struct Installed {
    state: State,
    /// otel-traced's guard: dropped, it uninstalls, so the next state can install.
    guard: Option<otel_traced::Guard>,
    /// The SDK provider of hand-written and `tracing` spans.
    provider: Option<SdkTracerProvider>,
    hand: HandTracer,
    dispatch: Option<tracing::Dispatch>,
    /// Built once, so that attaching it in a case allocates nothing.
    unsampled_parent: Context,
}

impl Installed {
    /// Sets `state` up. Panics if otel-traced is installed already (an `Installed`
    /// of another state still alive).
    pub fn new(state: State) -> Self {
        if state == State::NotInitialised {
            return Installed {
                state,
                guard: None,
                provider: None,
                hand: HandTracer::Global(opentelemetry::global::tracer(SCOPE)),
                dispatch: None,
                unsampled_parent: unsampled_parent(),
            };
        }
        let guard = otel_traced::Config::from_vars(std::iter::empty::<(String, String)>())
            .span_exporter(NoopExporter)
            .sampler(state.sampler())
            .max_queue_size(MAX_QUEUE_SIZE)
            .max_export_batch_size(MAX_EXPORT_BATCH_SIZE)
            .scheduled_delay(SCHEDULED_DELAY)
            .install()
            .expect("one state installed at a time");
        let batch = BatchConfigBuilder::default()
            .with_max_queue_size(MAX_QUEUE_SIZE)
            .with_max_export_batch_size(MAX_EXPORT_BATCH_SIZE)
            .with_scheduled_delay(SCHEDULED_DELAY)
            .build();
        let provider = SdkTracerProvider::builder()
            .with_sampler(state.sampler())
            .with_span_processor(
                BatchSpanProcessor::builder(NoopExporter)
                    .with_batch_config(batch)
                    .build(),
            )
            .build();
        let scope = || {
            InstrumentationScope::builder(SCOPE)
                .with_version(env!("CARGO_PKG_VERSION"))
                .build()
        };
        // Only the two arguments become attributes, as with the other peers: no
        // code location, thread, target, or busy/idle times.
        let layer = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer_with_scope(scope()))
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_tracked_inactivity(false);
        let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
        if state.fastrace_sampled() {
            static REPORTER: Once = Once::new();
            REPORTER.call_once(|| {
                fastrace::set_reporter(NoopReporter, fastrace::collector::Config::default());
            });
        }
        Installed {
            state,
            guard: Some(guard),
            hand: HandTracer::Sdk(provider.tracer_with_scope(scope())),
            provider: Some(provider),
            dispatch: Some(dispatch),
            unsampled_parent: unsampled_parent(),
        }
    }

    /// The state this is.
    pub fn state(&self) -> State {
        self.state
    }

    /// The tracer hand-written code uses.
    pub fn hand_tracer(&self) -> &HandTracer {
        &self.hand
    }

    /// The `tracing` subscriber with the OpenTelemetry layer; `None` while nothing
    /// is installed.
    pub fn dispatch(&self) -> Option<&tracing::Dispatch> {
        self.dispatch.as_ref()
    }

    /// A context whose span is a local parent that was not sampled: under a
    /// parent-based sampler, nothing below it is recorded.
    pub fn unsampled_parent(&self) -> &Context {
        &self.unsampled_parent
    }

    /// `calls` in the chunks to run between two [`Installed::flush`]es: at most
    /// [`CALLS_PER_FLUSH`] each.
    pub fn flush_chunks(calls: u64) -> impl Iterator<Item = u64> {
        (0..calls.div_ceil(CALLS_PER_FLUSH))
            .map(move |chunk| (calls - chunk * CALLS_PER_FLUSH).min(CALLS_PER_FLUSH))
    }

    /// Exports everything ended so far, in every pipeline: the CPU of the export
    /// workers is then spent.
    pub fn flush(&self) {
        if let Some(guard) = &self.guard {
            flush_traced(guard);
        }
        if let Some(provider) = &self.provider {
            provider
                .force_flush()
                .expect("the no-op exporter never fails");
        }
        fastrace::flush();
    }

    /// Spans otel-traced accepted but did not export (a full queue): 0 when the
    /// export worker kept up.
    pub fn dropped_spans(&self) -> u64 {
        self.guard
            .as_ref()
            .map_or(0, otel_traced::Guard::dropped_spans)
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            let _ = provider.shutdown();
        }
    }
}

fn unsampled_parent() -> Context {
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from(0x5eed_u128),
        SpanId::from(0x5eed_u64),
        TraceFlags::default(),
        false,
        TraceState::NONE,
    ))
}

/// Flushes otel-traced's pipelines. Spans dropped from a full queue, should a
/// loop outrun the worker, make the flush an error that only counts them
/// (`Installed::dropped_spans` reports them); a failed export would be a bug here.
pub fn flush_traced(guard: &otel_traced::Guard) {
    if let Err(error) = guard.force_flush() {
        assert!(
            std::error::Error::source(&error).is_none(),
            "the no-op exporters never fail: {error}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{CALLS_PER_FLUSH, Installed};

    #[test]
    fn calls_are_run_in_chunks_no_larger_than_a_queue_takes() {
        let chunks: Vec<u64> = Installed::flush_chunks(40_000).collect();
        assert_eq!(
            chunks,
            [
                CALLS_PER_FLUSH,
                CALLS_PER_FLUSH,
                40_000 - 2 * CALLS_PER_FLUSH
            ]
        );
        assert_eq!(Installed::flush_chunks(1).collect::<Vec<_>>(), [1]);
        assert_eq!(Installed::flush_chunks(0).count(), 0);
    }
}
