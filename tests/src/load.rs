//! The load run: many threads and tasks calling annotated functions while the
//! batch exporter ships their spans over OTLP/gRPC to the in-process receiver.
//! The `load` binary runs it at full size and prints the figures; the `load` test
//! runs it small and asserts exact counts.

use crate::receiver::{Behaviour, Receiver, Transport};
use otel_traced::{Config, traced};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Threads calling; half call synchronously, half run async tasks on a
    /// current-thread runtime of their own.
    pub threads: usize,
    /// Spans in total (one per call).
    pub spans: u64,
    /// `OTEL_BSP_MAX_QUEUE_SIZE`.
    pub queue: usize,
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// What was run.
    pub load: Load,
    /// Spans ended by the calls.
    pub sent: u64,
    /// Spans the receiver got.
    pub exported: u64,
    /// Spans the runtime counted as dropped (full queue or failed export).
    pub dropped: u64,
    /// The dropped spans the shutdown reported (`None`: it reported none).
    pub dropped_at_shutdown: Option<u64>,
    /// Calls per second over the calling phase.
    pub calls_per_second: f64,
    /// Median of one call, span included, in nanoseconds.
    pub p50_ns: u64,
    /// 99th percentile of one call, in nanoseconds.
    pub p99_ns: u64,
    /// Peak resident memory of the process (`VmHWM`), in KiB; 0 where unknown.
    pub peak_rss_kib: u64,
    /// How long shutdown took, flushing what was queued.
    pub shutdown: Duration,
}

impl Report {
    /// The figures as a Markdown table row (see [`Report::HEADER`]).
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {:.1} MiB | {} ms |",
            self.load.threads,
            self.load.spans,
            self.load.queue,
            self.sent,
            self.exported,
            self.dropped,
            self.calls_per_second,
            self.p50_ns,
            self.p99_ns,
            self.peak_rss_kib as f64 / 1024.0,
            self.shutdown.as_millis(),
        )
    }

    /// The header of [`Report::row`].
    pub const HEADER: &'static str = "| threads | spans | queue | sent | exported | dropped | calls/s | p50 ns | p99 ns | peak RSS | shutdown |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";
}

#[traced]
fn handle(request: u64, route: &'static str) -> u64 {
    request.wrapping_mul(31) ^ route.len() as u64
}

#[traced]
async fn handle_async(request: u64, route: &'static str) -> u64 {
    request.wrapping_mul(17) ^ route.len() as u64
}

/// How long the run waits for its queue to drain before counting.
const FLUSH_BOUND: Duration = Duration::from_secs(120);

/// One call in `SAMPLE` is timed.
const SAMPLE: u64 = 8;

/// Runs `load`: installs OTLP export to a fresh receiver, calls, flushes, shuts
/// down, and reports. `init` is process-wide: run one load at a time.
pub fn run(load: Load) -> Report {
    let receiver = Receiver::start(Transport::Grpc);
    receiver.set_behaviour(Behaviour::Count);
    let queue = load.queue.to_string();
    let guard = Config::from_vars([
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            receiver.endpoint().as_str(),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", queue.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ("OTEL_TRACES_SAMPLER", "always_on"),
    ])
    .install()
    .expect("OTLP export configured");

    let threads = load.threads.max(1);
    let per_thread = load.spans / threads as u64;
    let started = Instant::now();
    let timings: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                scope.spawn(move || {
                    if thread % 2 == 0 {
                        calls(per_thread)
                    } else {
                        tasks(per_thread)
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a worker finished"))
            .collect()
    });
    let calling = started.elapsed();
    let sent = per_thread * threads as u64;

    // One flush is bounded by the export timeout; a queue of a million spans takes
    // several, and the dropped count is exact only once the queue is empty.
    let flushing = Instant::now() + FLUSH_BOUND;
    while guard.force_flush().is_err() && Instant::now() < flushing {}
    let dropped = guard.dropped_spans();
    let stopping = Instant::now();
    let dropped_at_shutdown = guard.shutdown().err().map(|error| error.dropped_spans());
    let shutdown = stopping.elapsed();
    let exported = receiver.counted();

    let mut timings: Vec<u64> = timings.into_iter().flatten().collect();
    timings.sort_unstable();
    let percentile = |p: f64| {
        timings
            .get(((timings.len() as f64 * p) as usize).min(timings.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Report {
        load,
        sent,
        exported,
        dropped,
        dropped_at_shutdown,
        calls_per_second: sent as f64 / calling.as_secs_f64(),
        p50_ns: percentile(0.50),
        p99_ns: percentile(0.99),
        peak_rss_kib: peak_rss_kib(),
        shutdown,
    }
}

/// Synchronous calls; returns the sampled call times.
fn calls(count: u64) -> Vec<u64> {
    let mut timings = Vec::with_capacity((count / SAMPLE) as usize + 1);
    for request in 0..count {
        if request % SAMPLE == 0 {
            let started = Instant::now();
            std::hint::black_box(handle(request, "/orders/{id}"));
            timings.push(started.elapsed().as_nanos() as u64);
        } else {
            std::hint::black_box(handle(request, "/orders/{id}"));
        }
    }
    timings
}

/// The same number of calls as async tasks, 64 at a time, on a current-thread
/// runtime; returns the sampled times of one awaited call.
fn tasks(count: u64) -> Vec<u64> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let mut timings = Vec::with_capacity((count / SAMPLE) as usize + 1);
        let mut request = 0;
        while request < count {
            let batch = (count - request).min(64);
            let mut set = tokio::task::JoinSet::new();
            for offset in 0..batch {
                let id = request + offset;
                set.spawn(async move {
                    if id % SAMPLE == 0 {
                        let started = Instant::now();
                        std::hint::black_box(handle_async(id, "/orders/{id}").await);
                        Some(started.elapsed().as_nanos() as u64)
                    } else {
                        std::hint::black_box(handle_async(id, "/orders/{id}").await);
                        None
                    }
                });
            }
            while let Some(timing) = set.join_next().await {
                timings.extend(timing.expect("a task finished"));
            }
            request += batch;
        }
        timings
    })
}

/// `VmHWM` of `/proc/self/status`: the peak resident set size.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
