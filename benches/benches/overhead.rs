//! DESIGN §7 in one run: every case of `otel_traced_benches::cases`, state by state
//! (otel-traced can be installed once at a time), timed by criterion. Ids are
//! `{workload}/{state}/{peer}`; `scripts/bench-report` turns the medians into
//! `docs/benchmarks.md`.
//!
//! Each sample times the calls on the calling thread only; the export workers then
//! drain, untimed (their CPU is what the `cpu-per-span` binary adds). The defaults
//! fit the whole suite in a few minutes on two cores; criterion's own flags
//! (`--warm-up-time`, `--measurement-time`, `--sample-size`, a filter) win.
//!
//! `OTEL_TRACED_BENCH_STATE=<state>` runs one state only. `scripts/bench-report`
//! runs each in a process of its own, as an application installs once: a call
//! site reads the tracer of the first provider it saw with one load, and those of
//! later installations behind a lock (`route::TracerCache`), which would otherwise
//! add about 15 ns to every state after the first installed one.

use criterion::{Criterion, criterion_group, criterion_main};
use otel_traced_benches::{Installed, State, cases::cases};
use std::time::{Duration, Instant};

/// The states to run: `OTEL_TRACED_BENCH_STATE`'s, else all of them.
fn states() -> Vec<State> {
    let Ok(name) = std::env::var("OTEL_TRACED_BENCH_STATE") else {
        return State::ALL.to_vec();
    };
    let state = State::ALL.into_iter().find(|state| state.name() == name);
    let names = State::ALL.map(State::name).join(", ");
    vec![state.unwrap_or_else(|| {
        panic!("OTEL_TRACED_BENCH_STATE={name:?} is not a state: one of {names}")
    })]
}

fn overhead(criterion: &mut Criterion) {
    for state in states() {
        let installed = Installed::new(state);
        let cases = cases(state);
        // Consecutive cases of one workload share a criterion group.
        for group_cases in cases.chunk_by(|a, b| a.group() == b.group()) {
            let mut group = criterion.benchmark_group(group_cases[0].group());
            for case in group_cases {
                group.bench_function(case.peer.name(), |bencher| {
                    bencher.iter_custom(|iters| {
                        let mut elapsed = Duration::ZERO;
                        for chunk in Installed::flush_chunks(iters) {
                            let start = Instant::now();
                            case.run(&installed, chunk);
                            elapsed += start.elapsed();
                            // Untimed: every export queue and fastrace's collector
                            // drained, so no queue overflows in a large sample and
                            // no sample inherits another's backlog (a collector
                            // busy on the other core).
                            installed.flush();
                        }
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

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = overhead
}
criterion_main!(benches);
