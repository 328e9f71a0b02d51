//! DESIGN §7 in one run: every case of `otel_traced_benches::cases`, state by state
//! (otel-traced can be installed once at a time), timed by criterion. Ids are
//! `{workload}/{state}/{peer}`; `scripts/bench-report` turns the medians into
//! `docs/benchmarks.md`.
//!
//! Each sample times the calls on the calling thread only; the export workers then
//! drain, untimed (their CPU is what the `cpu-per-span` binary adds). The defaults
//! fit the whole suite in a few minutes on two cores; criterion's own flags
//! (`--warm-up-time`, `--measurement-time`, `--sample-size`, a filter) win.

use criterion::{Criterion, criterion_group, criterion_main};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::trace::Sampler;
use otel_traced::AdaptiveSampler;
use otel_traced_benches::functions::traced::{work, work_metrics};
use otel_traced_benches::state::NoopExporter;
use otel_traced_benches::{Installed, State, cases::cases};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn overhead(criterion: &mut Criterion) {
    for state in State::ALL {
        let installed = Installed::new(state);
        let cases = cases(state);
        // Consecutive cases of one workload share a criterion group.
        for group_cases in cases.chunk_by(|a, b| a.group() == b.group()) {
            let mut group = criterion.benchmark_group(group_cases[0].group());
            for case in group_cases {
                group.bench_function(case.peer.name(), |bencher| {
                    bencher.iter_custom(|iters| {
                        let start = Instant::now();
                        case.run(&installed, iters);
                        let elapsed = start.elapsed();
                        // Untimed: every export queue and fastrace's collector
                        // drained, so no sample inherits another's backlog (a
                        // full queue, a collector busy on the other core).
                        installed.flush();
                        elapsed
                    });
                });
            }
            group.finish();
        }
        // Uninstalled before the next state installs.
        drop(installed);
    }
}

/// Issue 10's costs (DESIGN §10, §11), `#[traced]` alone being the reference:
/// `metrics/{state}`, the sync call with and without `metrics`, so the difference
/// is the metrics path (two clock reads and the SDK's histogram update);
/// `sampling/{ratio_0,adaptive_0}`, the call sampled out by `traceidratio` 0 and by
/// the adaptive sampler at ratio 0 past its first calls, so the difference is what
/// the adaptive decision costs more.
fn annotations(criterion: &mut Criterion) {
    for (state, sampler) in [
        ("always_off", Sampler::AlwaysOff),
        (
            "recording",
            Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        ),
    ] {
        let guard = install(sampler, true);
        let mut group = criterion.benchmark_group(format!("metrics/{state}"));
        group.bench_function("traced", |bencher| {
            bencher
                .iter_custom(|iters| timed(&guard, iters, || work(black_box(7), black_box("ada"))));
        });
        group.bench_function("traced_metrics", |bencher| {
            bencher.iter_custom(|iters| {
                timed(&guard, iters, || {
                    work_metrics(black_box(7), black_box("ada"))
                })
            });
        });
        group.finish();
        drop(guard);
    }
    for (state, sampler) in [
        ("ratio_0", Sampler::TraceIdRatioBased(0.0)),
        ("adaptive_0", AdaptiveSampler::new(0.0).into()),
    ] {
        let guard = install(sampler, false);
        let mut group = criterion.benchmark_group(format!("sampling/{state}"));
        group.bench_function("traced", |bencher| {
            bencher
                .iter_custom(|iters| timed(&guard, iters, || work(black_box(7), black_box("ada"))));
        });
        group.finish();
        drop(guard);
    }
}

/// Times `iters` calls on this thread, then, untimed, lets the export worker
/// drain what they queued, as the suite's other cases do.
fn timed(guard: &otel_traced::Guard, iters: u64, call: impl Fn() -> u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(call());
    }
    let elapsed = start.elapsed();
    guard.force_flush().expect("the no-op exporters never fail");
    elapsed
}

/// otel-traced with no-op span and metric exporters; metrics only if `metrics`.
fn install(sampler: Sampler, metrics: bool) -> otel_traced::Guard {
    let config = otel_traced::Config::from_vars(std::iter::empty::<(String, String)>())
        .span_exporter(NoopExporter)
        .sampler(sampler);
    let config = if metrics {
        config.metric_exporter(NoopMetrics)
    } else {
        config
    };
    config.install().expect("one install at a time")
}

/// A metric exporter that accepts every export and does nothing with it.
#[derive(Debug)]
struct NoopMetrics;

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

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = overhead, annotations
}
criterion_main!(benches);
