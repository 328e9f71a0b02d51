//! The exact allocations per call of otel-traced's cases (DESIGN §7), counted on
//! the calling thread with the suite's own cases and counting allocator. The
//! criterion suite reports the same figures next to the peers'; this keeps them
//! from creeping up unnoticed.
//!
//! Targets: 0 while not initialised; at most 2 sampled out, 0 under an unsampled
//! parent with a parent-based sampler; at most 4 recording with a `&str` argument;
//! nothing more per poll.

use otel_traced_benches::alloc::{self, CountingAllocator};
use otel_traced_benches::{Installed, Peer, State, cases::cases};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const WARM_UP_CALLS: u64 = 50;
const COUNTED_CALLS: u64 = 50;

/// `(workload, state, peer, allocations per call)` of every otel-traced case.
const EXPECTED: &[(&str, &str, &str, u64)] = &[
    ("sync", "not_initialised", "traced", 0),
    ("async", "not_initialised", "traced", 0),
    // Sampled out at the root: the context carrying the new span context (decided
    // before the SDK builds anything, the code attributes shown to the sampler from
    // the stack: no attribute vector, no span to box). Below an unsampled parent:
    // nothing.
    ("sync", "always_off", "traced", 1),
    ("sync", "always_off", "traced_with_code", 1),
    ("async", "always_off", "traced", 1),
    ("sync", "ratio_0", "traced", 1),
    ("sync", "ratio_0", "traced_with_code", 1),
    ("async", "ratio_0", "traced", 1),
    // Recording: the attribute vector, the `&str` argument's string, the SDK span
    // boxed into the context, the context.
    ("sync", "recording", "traced", 4),
    ("sync", "recording", "traced_with_code", 4),
    ("async", "recording", "traced", 4),
    ("nested3", "recording", "traced", 12),
    // Two strings and the `Debug` text, formatted on the stack and allocated once.
    ("attributes8", "recording", "traced", 6),
    ("polls_1", "recording", "traced", 4),
    ("polls_100", "recording", "traced", 4),
    ("unsampled_parent", "recording", "traced", 0),
    ("unsampled_parent", "recording", "traced_with_code", 0),
];

#[test]
fn otel_traced_allocates_exactly_this_per_call() {
    let mut observed = Vec::new();
    for state in State::ALL {
        let installed = Installed::new(state);
        for case in cases(state) {
            if !matches!(case.peer, Peer::Traced | Peer::TracedWithCode) {
                continue;
            }
            case.run(&installed, WARM_UP_CALLS);
            let allocations = alloc::count(|| case.run(&installed, COUNTED_CALLS));
            assert_eq!(
                allocations % COUNTED_CALLS,
                0,
                "{case:?}: {allocations} allocations in {COUNTED_CALLS} calls is not the same count per call"
            );
            observed.push((
                case.workload.name(),
                state.name(),
                case.peer.name(),
                allocations / COUNTED_CALLS,
            ));
        }
    }
    let expected: Vec<_> = EXPECTED
        .iter()
        .map(|&(workload, state, peer, count)| (workload.to_owned(), state, peer, count))
        .collect();
    assert_eq!(observed, expected);

    // `OTEL_SDK_DISABLED=true` is the not-initialised path (DESIGN §7): nothing
    // is installed. Here, after every state: nothing else installs meanwhile.
    let disabled = otel_traced::Config::from_vars([("OTEL_SDK_DISABLED", "true")])
        .install()
        .expect("disabled");
    let installed = Installed::new(State::NotInitialised);
    for case in cases(State::NotInitialised) {
        if !matches!(case.peer, Peer::Traced) {
            continue;
        }
        case.run(&installed, WARM_UP_CALLS);
        let allocations = alloc::count(|| case.run(&installed, COUNTED_CALLS));
        assert_eq!(allocations, 0, "{case:?} with OTEL_SDK_DISABLED=true");
    }
    drop(disabled);
}
