//! Total CPU per span while recording, the export worker included (DESIGN §7):
//! the process's CPU time (every thread) over many calls of the sync case, flushed
//! to the end, divided by the calls. Prints tab-separated lines:
//! `peer  cpu_ns_per_span` (the median of a few rounds, taken peer after peer).
//!
//! `cargo run --release -p otel-traced-benches --bin cpu-per-span [CALLS [PEER...]]`

use otel_traced_benches::cpu::process_cpu_time;
use otel_traced_benches::{Case, Installed, Peer, State, Workload};

const DEFAULT_CALLS: u64 = 200_000;
const ROUNDS: usize = 5;

fn main() {
    let calls = std::env::args()
        .nth(1)
        .map(|calls| calls.parse().expect("CALLS is a number"))
        .unwrap_or(DEFAULT_CALLS);
    let only: Vec<String> = std::env::args().skip(2).collect();
    let installed = Installed::new(State::Recording);
    let cases: Vec<Case> = [
        Peer::Bare,
        Peer::OpenTelemetry,
        Peer::OpenTelemetryWithCode,
        Peer::Tracing,
        Peer::Fastrace,
        Peer::Traced,
        Peer::TracedWithCode,
    ]
    .into_iter()
    .filter(|peer| only.is_empty() || only.iter().any(|name| name == peer.name()))
    .map(|peer| Case {
        state: State::Recording,
        workload: Workload::Sync,
        peer,
    })
    .collect();
    for case in &cases {
        case.run(&installed, calls / 10);
        installed.flush();
    }
    // Round by round over every peer, so that none is measured only after the others
    // left the heap in some state.
    let mut rounds = vec![Vec::with_capacity(ROUNDS); cases.len()];
    for _ in 0..ROUNDS {
        for (case, rounds) in cases.iter().zip(&mut rounds) {
            let start = process_cpu_time();
            // Flushed every few thousand calls, within the count: no queue
            // overflows, and every span's export is counted.
            for chunk in Installed::flush_chunks(calls) {
                case.run(&installed, chunk);
                installed.flush();
            }
            rounds.push((process_cpu_time() - start).as_nanos() as f64 / calls as f64);
        }
    }
    println!("peer\tcpu_ns_per_span");
    for (case, mut rounds) in cases.iter().zip(rounds) {
        rounds.sort_by(f64::total_cmp);
        println!("{}\t{:.1}", case.peer.name(), rounds[ROUNDS / 2]);
    }
    let dropped = installed.dropped_spans();
    assert_eq!(
        dropped, 0,
        "otel-traced dropped spans: the count would leave their export out"
    );
}
