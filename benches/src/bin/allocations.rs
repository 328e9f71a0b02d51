//! Allocations per call of every case of the suite, on the calling thread (see
//! `otel_traced_benches::alloc`), as tab-separated lines:
//! `workload  state  peer  allocations_per_call`.
//!
//! `cargo run --release -p otel-traced-benches --bin allocations`

use otel_traced_benches::alloc::{self, CountingAllocator};
use otel_traced_benches::{Installed, State, cases::cases};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Calls before counting (caches, thread-locals and pools filled), then counted.
const WARM_UP_CALLS: u64 = 2_000;
const COUNTED_CALLS: u64 = 2_000;

fn main() {
    println!("workload\tstate\tpeer\tallocations_per_call");
    for state in State::ALL {
        let installed = Installed::new(state);
        for case in cases(state) {
            case.run(&installed, WARM_UP_CALLS);
            let allocations = alloc::count(|| case.run(&installed, COUNTED_CALLS));
            println!(
                // Four decimals: an allocation every few hundred calls shows.
                "{}\t{}\t{}\t{:.4}",
                case.workload.name(),
                state.name(),
                case.peer.name(),
                allocations as f64 / COUNTED_CALLS as f64
            );
        }
        installed.flush();
    }
}
