//! Runs one case of the suite, for a profiler: `profile STATE WORKLOAD PEER CALLS`
//! (names as in the benchmark ids, e.g. `recording sync traced 10000`). The calls
//! run inside `measured`, so that callgrind can count them alone:
//!
//! ```sh
//! valgrind --tool=callgrind --toggle-collect='*measured*' \
//!     target/release/profile recording sync traced 10000
//! ```

use otel_traced_benches::{Installed, State, cases::cases};

#[inline(never)]
fn measured(run: impl FnOnce()) {
    run();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [state, workload, peer, calls] = args.as_slice() else {
        eprintln!("usage: profile STATE WORKLOAD PEER CALLS");
        std::process::exit(2);
    };
    let calls: u64 = calls.parse().expect("CALLS is a number");
    let state = State::ALL
        .into_iter()
        .find(|s| s.name() == state)
        .expect("a state: not_initialised, always_off, ratio_0, recording");
    let installed = Installed::new(state);
    let case = cases(state)
        .into_iter()
        .find(|case| case.workload.name() == *workload && case.peer.name() == *peer)
        .expect("a workload and peer of the suite in that state");
    // Caches and thread-locals filled before counting.
    case.run(&installed, 100);
    measured(|| case.run(&installed, calls));
    installed.flush();
}
