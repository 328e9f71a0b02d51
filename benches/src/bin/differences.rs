//! Issue 10's costs as differences between two variants of the sync call, each
//! pair measured interleaved (DESIGN §10, §11): what `#[traced(metrics)]` adds to
//! `#[traced]`, sampled out and recording, and what the adaptive sampler's decision
//! costs beside `traceidratio` (both at ratio 0, past the adaptive sampler's first
//! calls). On a shared machine the speed drifts by tens of percent over seconds, so
//! two criterion groups timed one after the other cannot resolve a difference of
//! 20 ns; batches of the two variants taken in turn, the fastest batch of each
//! kept, can. Each batch is timed in the calling thread's CPU time: with spans
//! recorded, the export worker takes a core from the calls now and then, which
//! swung a recording pair's wall-clock difference by tens of ns between runs (the
//! metrics path runs on the calling thread only). Both variants of a pair run under the same installation, or are
//! installed the same way, so that what the tracer cache's path costs after a
//! first installation (a lock, `route::TracerCache`) is on both sides alike.
//! What counting every call costs (the per-call-site counters the adaptive sampler
//! reads, DESIGN §10) is the third pair: calls are counted from the first adaptive
//! sampler to the process's end, so each of its batches runs in a process of its
//! own, counting or not, in turn.
//! Prints tab-separated lines under a header: `case  ns_per_call`.
//!
//! `cargo run --release -p otel-traced-benches --bin differences [ROUNDS]`

use opentelemetry_sdk::trace::Sampler;
use otel_traced::AdaptiveSampler;
use otel_traced_benches::cpu::thread_cpu_time;
use otel_traced_benches::functions::traced::{work, work_metrics};
use otel_traced_benches::state::{flush_traced, install_traced};
use std::hint::black_box;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const DEFAULT_ROUNDS: usize = 20;
const CALLS_PER_BATCH: u32 = 100_000;

/// The time of one call of `call`, over a batch: CPU time of this thread, so that
/// the export worker sharing the two cores (busy with a recording pair's spans)
/// does not count when it takes the core from the calls.
fn batch(call: fn(u64, &str) -> u64) -> f64 {
    let start = thread_cpu_time();
    for _ in 0..CALLS_PER_BATCH {
        black_box(call(black_box(7), black_box("ada")));
    }
    let spent = thread_cpu_time() - start;
    spent.as_secs_f64() * 1e9 / f64::from(CALLS_PER_BATCH)
}

/// The argument that makes this binary one batch of the counters' pair: a
/// process of its own, since calls are counted from the first adaptive sampler on
/// to the process's end.
const COUNTERS_BATCH: &str = "--counters-batch";

/// One batch of the sync call under `traceidratio` 0, its calls counted or not
/// (an adaptive sampler made, as an application that configures one does), after
/// a batch that warms it up: printed as ns a call.
fn counters_batch(counted: bool) {
    if counted {
        let _made = AdaptiveSampler::new(0.0);
    }
    let guard = install_traced(Sampler::TraceIdRatioBased(0.0), false);
    batch(work);
    println!("{:.1}", batch(work));
    drop(guard);
}

/// What counting calls costs: the fastest of `rounds` batches in processes that
/// count and processes that do not, taken in turn.
fn counters(rounds: usize) -> [f64; 2] {
    let program = std::env::current_exe().expect("this binary's path");
    let mut fastest = [f64::MAX; 2];
    for _ in 0..rounds {
        for (slot, counted) in [false, true].into_iter().enumerate() {
            fastest[slot] = fastest[slot].min(batch_in_a_process(&program, counted));
        }
    }
    fastest
}

/// How long a batch's process may run before it is taken for hung: its 200 000
/// calls take milliseconds.
const BATCH_DEADLINE: Duration = Duration::from_secs(60);

/// One [`counters_batch`] in a child process: its ns a call, or a panic that says
/// what the child did instead (failed, hung, printed something else).
fn batch_in_a_process(program: &Path, counted: bool) -> f64 {
    let child = Command::new(program)
        .args([
            COUNTERS_BATCH,
            if counted { "counted" } else { "uncounted" },
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("a batch in a process of its own");
    #[cfg(unix)]
    let pid = child.id();
    // Its output read as it comes (a full pipe would stop it), on a thread of
    // its own, so that a hung child can be given up on.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    let Ok(output) = finished.recv_timeout(BATCH_DEADLINE) else {
        #[cfg(unix)]
        if let Ok(pid) = libc::pid_t::try_from(pid) {
            // SAFETY: `kill` with a pid and a signal touches no memory of ours;
            // the child, not yet waited for, still holds its pid.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        panic!("a counters batch ran over {BATCH_DEADLINE:?} (killed, on Unix)");
    };
    let output = output.expect("the batch's output");
    let printed = String::from_utf8_lossy(&output.stdout);
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "a counters batch failed ({}): {said}",
        output.status
    );
    match printed.trim().parse::<f64>() {
        Ok(ns) if ns.is_finite() && ns > 0.0 => ns,
        _ => panic!("a counters batch printed {printed:?}, not its ns a call; it said: {said}"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some(COUNTERS_BATCH) {
        counters_batch(args.next().as_deref() == Some("counted"));
        return;
    }
    let rounds = first
        .map(|rounds| rounds.parse().expect("ROUNDS is a number"))
        .unwrap_or(DEFAULT_ROUNDS);
    println!("case\tns_per_call");
    // First: the counters' pair runs in processes of its own, this one not yet
    // counting.
    let [uncounted, counted] = counters(rounds);
    println!("counters/ratio_0/uncounted\t{uncounted:.1}");
    println!("counters/ratio_0/counted\t{counted:.1}");
    for (state, sampler) in [
        ("always_off", Sampler::AlwaysOff),
        (
            "recording",
            Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        ),
    ] {
        let guard = install_traced(sampler, true);
        let (mut plain, mut measured) = (f64::MAX, f64::MAX);
        for _ in 0..rounds {
            plain = plain.min(batch(work));
            flush_traced(&guard);
            measured = measured.min(batch(work_metrics));
            flush_traced(&guard);
        }
        // A span dropped from a full queue costs its caller less: none may be.
        assert_eq!(
            guard.dropped_spans(),
            0,
            "the export worker fell behind a batch of {CALLS_PER_BATCH} calls"
        );
        println!("metrics/{state}/traced\t{plain:.1}");
        println!("metrics/{state}/traced_metrics\t{measured:.1}");
        drop(guard);
    }
    // One install at a time: the two samplers take turns, installed per batch.
    let samplers = || {
        [
            ("ratio_0", Sampler::TraceIdRatioBased(0.0)),
            ("adaptive_0", AdaptiveSampler::new(0.0).into()),
        ]
    };
    let mut fastest = [f64::MAX; 2];
    for _ in 0..rounds {
        for (slot, (_, sampler)) in samplers().into_iter().enumerate() {
            let guard = install_traced(sampler, false);
            // Past the adaptive sampler's first calls of the interval.
            batch(work);
            fastest[slot] = fastest[slot].min(batch(work));
            drop(guard);
        }
    }
    for ((state, _), ns) in samplers().into_iter().zip(fastest) {
        println!("sampling/{state}/traced\t{ns:.1}");
    }
}
