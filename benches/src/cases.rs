//! Every case of the suite, and the one loop that runs it: the criterion bench
//! times it, the `allocations` binary and the allocation test count what it
//! allocates, the `cpu-per-span` binary measures its process CPU time.

use crate::functions::{Point, bare, fastrace, open_telemetry, traced, tracing};
use crate::state::{HandTracer, Installed, State};
use std::future::Future;
use std::hint::black_box;

/// The `&str` argument of every call.
const NAME: &str = "ada";

/// The `Debug` struct of the eight-attribute case.
const POINT: Point = Point { x: 3, y: 4 };

/// Calls in one fastrace root: a root collects its local spans until it is dropped
/// (and stops collecting past a queue limit), so the loop opens a new root every
/// this many calls; the root's own cost is spread over them.
const CALLS_PER_FASTRACE_ROOT: u64 = 256;

/// Runs `$body` with `$tracer` bound to the hand-written code's tracer, whichever
/// type it is (a closure cannot be generic over it).
macro_rules! with_tracer {
    ($installed:expr, |$tracer:ident| $body:expr) => {
        match $installed.hand_tracer() {
            HandTracer::Global($tracer) => $body,
            HandTracer::Sdk($tracer) => $body,
        }
    };
}

/// Who instruments the function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Nobody: the bare call.
    Bare,
    /// Hand-written OpenTelemetry API code.
    OpenTelemetry,
    /// The same with the three `code.*` attributes of the default `#[traced]`.
    OpenTelemetryWithCode,
    /// `#[tracing::instrument]` with `tracing-opentelemetry`.
    Tracing,
    /// `#[fastrace::trace]` with the arguments as properties.
    Fastrace,
    /// `#[traced(code = false)]`: the same attributes as the others.
    Traced,
    /// `#[traced]` with its default `code.*` attributes.
    TracedWithCode,
}

impl Peer {
    /// The name in benchmark ids and reports.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Bare => "bare",
            Peer::OpenTelemetry => "opentelemetry",
            Peer::OpenTelemetryWithCode => "opentelemetry_with_code",
            Peer::Tracing => "tracing",
            Peer::Fastrace => "fastrace",
            Peer::Traced => "traced",
            Peer::TracedWithCode => "traced_with_code",
        }
    }
}

/// What one call does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// The trivial function: a `u64` and a `&str` recorded.
    Sync,
    /// The same as an `async fn`, awaited in a current-thread executor.
    Async,
    /// Three spans deep, each with the two attributes.
    Nested,
    /// Eight attributes, one of them a `Debug` struct.
    Attributes8,
    /// An `async fn` whose future is polled this many times.
    Polls(u32),
    /// The sync call under a local parent that was not sampled, with a parent-based
    /// sampler.
    UnsampledParent,
}

impl Workload {
    /// The name in benchmark ids and reports.
    pub fn name(self) -> String {
        match self {
            Workload::Sync => "sync".to_owned(),
            Workload::Async => "async".to_owned(),
            Workload::Nested => "nested3".to_owned(),
            Workload::Attributes8 => "attributes8".to_owned(),
            Workload::Polls(polls) => format!("polls_{polls}"),
            Workload::UnsampledParent => "unsampled_parent".to_owned(),
        }
    }
}

/// One benchmark: a peer's function, in a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Case {
    /// Where it runs.
    pub state: State,
    /// What one call does.
    pub workload: Workload,
    /// Who instruments it.
    pub peer: Peer,
}

const PEERS: [Peer; 4] = [
    Peer::OpenTelemetry,
    Peer::Tracing,
    Peer::Fastrace,
    Peer::Traced,
];

/// The cases of one state, in the order the suite runs them: the sync and async
/// call of every peer (and the bare call while nothing is installed, the default
/// `#[traced]` once something is); when recording, also nesting, eight attributes,
/// 1 and 100 polls (each with the bare call), and the call under an unsampled
/// parent.
pub fn cases(state: State) -> Vec<Case> {
    let case = |workload, peer| Case {
        state,
        workload,
        peer,
    };
    let mut cases = Vec::new();
    for workload in [Workload::Sync, Workload::Async] {
        if state == State::NotInitialised {
            cases.push(case(workload, Peer::Bare));
        }
        cases.extend(PEERS.map(|peer| case(workload, peer)));
        if workload == Workload::Sync && state != State::NotInitialised {
            cases.push(case(workload, Peer::OpenTelemetryWithCode));
            cases.push(case(workload, Peer::TracedWithCode));
        }
    }
    if state == State::Recording {
        for workload in [
            Workload::Nested,
            Workload::Attributes8,
            Workload::Polls(1),
            Workload::Polls(100),
        ] {
            cases.push(case(workload, Peer::Bare));
            cases.extend(PEERS.map(|peer| case(workload, peer)));
        }
        for peer in [
            Peer::OpenTelemetry,
            Peer::OpenTelemetryWithCode,
            Peer::Traced,
            Peer::TracedWithCode,
        ] {
            cases.push(case(Workload::UnsampledParent, peer));
        }
    }
    cases
}

impl Case {
    /// The criterion group of the case: `{workload}/{state}`.
    pub fn group(&self) -> String {
        format!("{}/{}", self.workload.name(), self.state.name())
    }

    /// Makes `iters` calls in `installed`, which must be this case's state.
    pub fn run(&self, installed: &Installed, iters: u64) {
        assert_eq!(
            installed.state(),
            self.state,
            "{self:?} run in another state"
        );
        match (self.peer, self.workload) {
            (Peer::Tracing, _) => match installed.dispatch() {
                Some(dispatch) => {
                    ::tracing::dispatcher::with_default(dispatch, || self.calls(installed, iters));
                }
                None => self.calls(installed, iters),
            },
            (Peer::Fastrace, _) if self.state != State::NotInitialised => {
                let context = ::fastrace::prelude::SpanContext::random()
                    .sampled(self.state == State::Recording);
                let mut left = iters;
                while left > 0 {
                    let calls = left.min(CALLS_PER_FASTRACE_ROOT);
                    let root = ::fastrace::Span::root("root", context);
                    let guard = root.set_local_parent();
                    self.calls(installed, calls);
                    drop(guard);
                    drop(root);
                    left -= calls;
                }
            }
            (_, Workload::UnsampledParent) => {
                let _parent = installed.unsampled_parent().clone().attach();
                self.calls(installed, iters);
            }
            _ => self.calls(installed, iters),
        }
    }

    /// The calls themselves, with whatever the peer needs set up already.
    fn calls(&self, installed: &Installed, iters: u64) {
        match self.workload {
            Workload::Sync | Workload::UnsampledParent => self.sync_calls(installed, iters),
            Workload::Async => self.async_calls(installed, iters),
            Workload::Nested => self.nested_calls(installed, iters),
            Workload::Attributes8 => self.calls8(installed, iters),
            Workload::Polls(polls) => self.polled_calls(installed, iters, polls),
        }
    }

    fn sync_calls(&self, installed: &Installed, iters: u64) {
        match self.peer {
            Peer::Bare => repeat(iters, bare::work),
            Peer::OpenTelemetry => with_tracer!(installed, |tracer| {
                repeat(iters, |id, name| open_telemetry::work(tracer, id, name));
            }),
            Peer::OpenTelemetryWithCode => with_tracer!(installed, |tracer| {
                repeat(iters, |id, name| {
                    open_telemetry::work_with_code(tracer, id, name)
                });
            }),
            Peer::Tracing => repeat(iters, tracing::work),
            Peer::Fastrace => repeat(iters, fastrace::work),
            Peer::Traced => repeat(iters, traced::work),
            Peer::TracedWithCode => repeat(iters, traced::work_with_code),
        }
    }

    fn async_calls(&self, installed: &Installed, iters: u64) {
        match self.peer {
            Peer::Bare => repeat_async(iters, bare::work_async),
            Peer::OpenTelemetry | Peer::OpenTelemetryWithCode => {
                with_tracer!(installed, |tracer| {
                    repeat_async(iters, |id, name| {
                        open_telemetry::work_async(tracer, id, name)
                    });
                })
            }
            Peer::Tracing => repeat_async(iters, tracing::work_async),
            Peer::Fastrace => repeat_async(iters, fastrace::work_async),
            Peer::Traced | Peer::TracedWithCode => repeat_async(iters, traced::work_async),
        }
    }

    fn nested_calls(&self, installed: &Installed, iters: u64) {
        match self.peer {
            Peer::Bare => repeat(iters, bare::nested),
            Peer::OpenTelemetry | Peer::OpenTelemetryWithCode => {
                with_tracer!(installed, |tracer| {
                    repeat(iters, |id, name| open_telemetry::nested(tracer, id, name));
                })
            }
            Peer::Tracing => repeat(iters, tracing::nested),
            Peer::Fastrace => repeat(iters, fastrace::nested),
            Peer::Traced | Peer::TracedWithCode => repeat(iters, traced::nested),
        }
    }

    fn calls8(&self, installed: &Installed, iters: u64) {
        let (c, d, e, f, point) = black_box((-3_i64, true, 1.5_f64, 7_u32, &POINT));
        match self.peer {
            Peer::Bare => repeat(iters, |a, b| bare::attributes8(a, b, c, d, e, f, b, point)),
            Peer::OpenTelemetry | Peer::OpenTelemetryWithCode => {
                with_tracer!(installed, |tracer| {
                    repeat(iters, |a, b| {
                        open_telemetry::attributes8(tracer, a, b, c, d, e, f, b, point)
                    });
                })
            }
            Peer::Tracing => repeat(iters, |a, b| {
                tracing::attributes8(a, b, c, d, e, f, b, point)
            }),
            Peer::Fastrace => {
                repeat(iters, |a, b| {
                    fastrace::attributes8(a, b, c, d, e, f, b, point)
                });
            }
            Peer::Traced | Peer::TracedWithCode => {
                repeat(iters, |a, b| {
                    traced::attributes8(a, b, c, d, e, f, b, point)
                });
            }
        }
    }

    fn polled_calls(&self, installed: &Installed, iters: u64, polls: u32) {
        let polls = black_box(polls);
        match self.peer {
            Peer::Bare => repeat_async(iters, |id, name| bare::polled(id, name, polls)),
            Peer::OpenTelemetry | Peer::OpenTelemetryWithCode => {
                with_tracer!(installed, |tracer| {
                    repeat_async(iters, |id, name| {
                        open_telemetry::polled(tracer, id, name, polls)
                    });
                })
            }
            Peer::Tracing => repeat_async(iters, |id, name| tracing::polled(id, name, polls)),
            Peer::Fastrace => repeat_async(iters, |id, name| fastrace::polled(id, name, polls)),
            Peer::Traced | Peer::TracedWithCode => {
                repeat_async(iters, |id, name| traced::polled(id, name, polls));
            }
        }
    }
}

/// `iters` sync calls, each with its own id.
#[inline(always)]
fn repeat(iters: u64, call: impl Fn(u64, &'static str) -> u64) {
    for id in 0..iters {
        black_box(call(black_box(id), black_box(NAME)));
    }
}

/// `iters` awaited calls in one run of a current-thread executor, so the
/// executor's own start is not in the figures.
#[inline(always)]
fn repeat_async<F: Future<Output = u64>>(iters: u64, call: impl Fn(u64, &'static str) -> F) {
    futures::executor::block_on(async {
        for id in 0..iters {
            black_box(call(black_box(id), black_box(NAME)).await);
        }
    });
}
