//! The adaptive sampler (DESIGN §11): new and rare operations are always seen,
//! frequent ones are sampled at a base ratio, and an operation whose calls start
//! failing is sampled in full until it has been healthy for a while.
//!
//! It decides for roots; [`From<AdaptiveSampler> for Sampler`] makes it the root
//! sampler of a parent-based one, so that a trace is kept or dropped as a whole.
//! Per operation (span name) and per interval, the first `first` roots are
//! sampled, then the ratio applies, decided on the trace id as `traceidratio`
//! does (so services sharing the ratio keep the same traces). The error rate comes
//! from the per-operation outcome counters (`calls.rs`), which every call of an
//! annotated function feeds, sampled or not: once the calls of the current
//! interval number at least `min_calls` and the share that failed is above
//! `error_threshold`, every root of that operation is sampled until `cooldown`
//! after the rate was last seen above the threshold. Spans that other code opens
//! on our provider (through the `tracing` bridge, say) get the first-calls and
//! ratio rules; their outcomes are not known, so they raise nothing themselves
//! (under the name of an annotated call, they share its counters and are raised
//! with it).
//!
//! The state is a handful of atomics per operation, updated without locks;
//! concurrent decisions may let a few more than `first` through when an interval
//! begins, never fewer.

use crate::calls::{self, CallCounts};
use opentelemetry::trace::{Link, SpanKind, TraceContextExt as _, TraceId, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SamplingResult, ShouldSample};
#[cfg(test)]
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The adaptive sampler's parameters. Every one has a default and a variable
/// (read when `init()` or `Config::install` resolves the configuration, with
/// `OTEL_TRACES_SAMPLER=otel_traced_adaptive`).
///
/// ```
/// use otel_traced::AdaptiveSampler;
/// use std::time::Duration;
///
/// let sampler = AdaptiveSampler::new(0.05)
///     .first(20)
///     .interval(Duration::from_secs(30))
///     .error_threshold(0.1);
/// let _config = otel_traced::Config::from_env().sampler(sampler.into());
/// ```
///
/// As a `ShouldSample` of its own it decides every span by its name, children
/// too; `.into()` makes it the parent-based `Sampler` that decides for roots only,
/// which is what `Config::sampler` takes and what a test capture should be given
/// (`Capture::new().sampler(Sampler::from(adaptive))`).
#[derive(Clone, Debug)]
pub struct AdaptiveSampler {
    /// Ratio bound of `traceidratio`: `ratio * 2^63`.
    ratio_bound: u64,
    first: u64,
    interval_ticks: u64,
    /// `error_threshold` in millionths, compared in integers.
    error_threshold_ppm: u64,
    min_calls: u64,
    cooldown_ticks: u64,
    clock: Clock,
}

/// Defaults, as the README lists them with their variables.
impl Default for AdaptiveSampler {
    fn default() -> Self {
        // From now on every call feeds the counters this sampler reads.
        calls::count_calls();
        AdaptiveSampler {
            ratio_bound: ratio_bound(DEFAULT_RATIO),
            first: 10,
            interval_ticks: ticks(Duration::from_secs(60)),
            error_threshold_ppm: parts_per_million(0.05),
            min_calls: 20,
            cooldown_ticks: ticks(Duration::from_secs(60)),
            clock: Clock::Monotonic,
        }
    }
}

/// The base ratio when `OTEL_TRACES_SAMPLER_ARG` is not set.
pub(crate) const DEFAULT_RATIO: f64 = 0.1;

impl AdaptiveSampler {
    /// Samples `ratio` (0 to 1, clamped) of the roots of an operation once its
    /// first calls of the interval were sampled (`OTEL_TRACES_SAMPLER_ARG`,
    /// default 0.1).
    pub fn new(ratio: f64) -> Self {
        AdaptiveSampler {
            ratio_bound: ratio_bound(ratio),
            ..Self::default()
        }
    }

    /// Roots sampled per operation and interval before the ratio applies
    /// (`OTEL_TRACED_SAMPLER_FIRST`, default 10).
    pub fn first(mut self, first: u64) -> Self {
        self.first = first;
        self
    }

    /// The interval the first calls and the error rate are counted over
    /// (`OTEL_TRACED_SAMPLER_INTERVAL`, milliseconds, default 60 s): at least a
    /// millisecond, as the variable takes it (a shorter one is a millisecond; each
    /// reading of the clock would start another, its first calls sampled again).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval_ticks = ticks(interval.max(Duration::from_millis(1)));
        self
    }

    /// The share of failed calls above which an operation is sampled in full
    /// (`OTEL_TRACED_SAMPLER_ERROR_THRESHOLD`, default 0.05).
    pub fn error_threshold(mut self, threshold: f64) -> Self {
        // NaN (a rate computed from no calls) raises nothing, rather than all.
        self.error_threshold_ppm =
            parts_per_million(if threshold.is_nan() { 1.0 } else { threshold });
        self
    }

    /// Calls of the interval needed before its error rate counts, so that one
    /// failure among two calls does not raise an operation
    /// (`OTEL_TRACED_SAMPLER_MIN_CALLS`, default 20).
    pub fn min_calls(mut self, calls: u64) -> Self {
        self.min_calls = calls.max(1);
        self
    }

    /// How long an operation stays sampled in full after its error rate was last
    /// seen above the threshold (`OTEL_TRACED_SAMPLER_COOLDOWN`, milliseconds,
    /// default 60 s).
    pub fn cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown_ticks = ticks(cooldown);
        self
    }

    /// Decides for a root of the operation `counts` at `now`.
    #[inline]
    fn samples(&self, counts: &CallCounts, trace_id: TraceId, now: u64) -> bool {
        let window = &counts.window;
        if now.saturating_sub(window.began.load(Ordering::Relaxed)) >= self.interval_ticks
            && let Some(closed) = window.begin(now, self.interval_ticks, counts)
            && self.crossed(closed.calls, closed.errors)
        {
            // The interval just closed failed as a whole, whatever its roots saw
            // (calls may end after its last root: a burst decided at once): seen
            // above the threshold when it ended, which, for an operation without
            // roots for a while, is long ago and cools down at once.
            let ended = closed.began.saturating_add(self.interval_ticks).min(now);
            window
                .raised_at
                .fetch_max(ended.saturating_add(1), Ordering::Relaxed);
        }
        if self.raised(counts, now) {
            return true;
        }
        if window.firsts.load(Ordering::Relaxed) < self.first
            && window.firsts.fetch_add(1, Ordering::Relaxed) < self.first
        {
            return true;
        }
        within_ratio(trace_id, self.ratio_bound)
    }

    /// Whether the operation is sampled in full: its error rate over the interval
    /// is above the threshold now, or was within the cool-down. Never one that
    /// stands for what any peer can make (gRPC calls of methods a server is not
    /// known to have; the names past the registry's bound).
    #[inline]
    fn raised(&self, counts: &CallCounts, now: u64) -> bool {
        if counts.catch_all {
            return false;
        }
        let window = &counts.window;
        let (calls, errors) = counts.totals();
        // The calls first: a new interval's calls with the errors of the one before
        // would read as a rate above any threshold ([`Window::begin`]).
        let calls_before = window.calls_before.load(Ordering::Acquire);
        let errors_before = window.errors_before.load(Ordering::Relaxed);
        let calls = calls.saturating_sub(calls_before);
        let errors = errors.saturating_sub(errors_before);
        if self.crossed(calls, errors) {
            // The latest sighting wins, whichever thread read the clock last;
            // written only when later (every root of a failing operation would
            // otherwise write one line every core shares).
            if window.raised_at.load(Ordering::Relaxed) <= now {
                window
                    .raised_at
                    .fetch_max(now.saturating_add(1), Ordering::Relaxed);
            }
            return true;
        }
        match window.raised_at.load(Ordering::Relaxed) {
            NEVER_RAISED => false,
            raised_at => now.saturating_sub(raised_at - 1) < self.cooldown_ticks,
        }
    }

    /// Whether `errors` of `calls` are enough calls, and a share above the
    /// threshold.
    #[inline]
    fn crossed(&self, calls: u64, errors: u64) -> bool {
        // Counted apart, a failure between the two reads may show more errors than
        // calls: never above all of them.
        let errors = errors.min(calls);
        calls >= self.min_calls
            && errors.saturating_mul(1_000_000) > self.error_threshold_ppm.saturating_mul(calls)
    }

    /// A sampler on a clock the test moves.
    #[cfg(test)]
    fn on_clock(mut self, clock: Arc<AtomicU64>) -> Self {
        self.clock = Clock::Manual(clock);
        self
    }
}

/// The parent-based sampler with this one deciding for roots: what
/// `OTEL_TRACES_SAMPLER=otel_traced_adaptive` installs.
impl From<AdaptiveSampler> for Sampler {
    fn from(adaptive: AdaptiveSampler) -> Self {
        Sampler::ParentBased(Box::new(adaptive))
    }
}

impl ShouldSample for AdaptiveSampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        _span_kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        let counts = calls::counts_of_span(name);
        let decision = if self.samples(counts, trace_id, self.clock.now()) {
            SamplingDecision::RecordAndSample
        } else {
            SamplingDecision::Drop
        };
        SamplingResult {
            decision,
            attributes: Vec::new(),
            trace_state: parent_context.map_or(TraceState::NONE, |context| {
                context.span().span_context().trace_state().clone()
            }),
        }
    }
}

/// One operation's sampling state, beside its outcome counters. An interval
/// starts at the operation's first root after the previous one ended. The state
/// says when things happened, not deadlines, so that each sampler reading it
/// (one after another installation, each with its own parameters) measures its
/// own interval and cool-down from them.
#[derive(Debug, Default)]
pub(crate) struct Window {
    /// When (clock ticks) the current interval began; 0, the clock's start, before
    /// the first (counts and firsts are then all 0, as at an interval's start).
    began: AtomicU64,
    /// Roots sampled as first calls in this interval.
    firsts: AtomicU64,
    /// The operation's calls and errors when the interval began.
    calls_before: AtomicU64,
    errors_before: AtomicU64,
    /// When (clock ticks, plus one) the error rate was last seen above a
    /// threshold; [`NEVER_RAISED`] before.
    raised_at: AtomicU64,
}

/// [`Window::raised_at`] of an operation whose error rate was never raised.
const NEVER_RAISED: u64 = 0;

impl Window {
    /// Starts an interval at `now`, unless another thread just did; returns the
    /// interval it closed, when this thread started it.
    #[cold]
    fn begin(&self, now: u64, length: u64, counts: &CallCounts) -> Option<Closed> {
        let began = self.began.load(Ordering::Relaxed);
        if now.saturating_sub(began) < length
            || self
                .began
                .compare_exchange(began, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return None;
        }
        let (calls, errors) = counts.totals();
        // The errors first, the calls released after them: a thread that reads the
        // new calls reads the new errors too ([`AdaptiveSampler::raised`]), never
        // a few calls against a whole interval's errors (at worst the old calls
        // against the new errors: a rate too low, for a moment).
        let errors_before = self.errors_before.swap(errors, Ordering::Relaxed);
        let calls_before = self.calls_before.swap(calls, Ordering::Release);
        let closed = Closed {
            began,
            calls: calls.saturating_sub(calls_before),
            errors: errors.saturating_sub(errors_before),
        };
        self.firsts.store(0, Ordering::Relaxed);
        Some(closed)
    }
}

/// An interval [`Window::begin`] closed: when it began, its calls and errors.
struct Closed {
    began: u64,
    calls: u64,
    errors: u64,
}

/// Where the sampler reads the time, in ticks (`coarsetime`'s fixed-point
/// seconds): the system's coarse monotonic clock, a few milliseconds fine, which
/// intervals and cool-downs of seconds need, and which a root decision can afford
/// (a read of memory the kernel updates, where a precise clock read costs more
/// than the whole decision may).
#[derive(Clone, Debug)]
enum Clock {
    Monotonic,
    #[cfg(test)]
    Manual(Arc<AtomicU64>),
}

impl Clock {
    #[inline]
    fn now(&self) -> u64 {
        match self {
            Clock::Monotonic => coarsetime::Instant::now_without_cache_update().as_ticks(),
            #[cfg(test)]
            Clock::Manual(now) => now.load(Ordering::Relaxed),
        }
    }
}

/// `share` (0 to 1, clamped) in millionths.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to 0..=1 first, so the product fits"
)]
fn parts_per_million(share: f64) -> u64 {
    (clamped_share(share) * 1_000_000.0).round() as u64
}

/// `share` within 0..=1; NaN counts as 0.
fn clamped_share(share: f64) -> f64 {
    if share.is_nan() {
        0.0
    } else {
        share.clamp(0.0, 1.0)
    }
}

/// `duration` in the clock's ticks.
fn ticks(duration: Duration) -> u64 {
    coarsetime::Duration::from(duration).as_ticks()
}

/// `traceidratio`'s rule, so that services sharing a ratio agree: whether the low
/// 64 bits of `trace_id`, shifted right by one, are below `bound`.
#[inline]
fn within_ratio(trace_id: TraceId, bound: u64) -> bool {
    let low = u64::from_be_bytes(trace_id.to_bytes()[8..].try_into().unwrap_or_default());
    (low >> 1) < bound
}

/// `traceidratio`'s bound for `ratio`: trace ids whose low 63 bits are below it
/// are sampled.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "the ratio is clamped to 0..=1, so the product fits"
)]
fn ratio_bound(ratio: f64) -> u64 {
    let ratio = clamped_share(ratio);
    if ratio >= 1.0 {
        return u64::MAX;
    }
    (ratio * (1u64 << 63) as f64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trace ids from a fixed-seed xorshift generator: the same every run.
    struct TraceIds(u64);

    impl Iterator for TraceIds {
        type Item = TraceId;
        fn next(&mut self) -> Option<TraceId> {
            let mut next = || {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                self.0
            };
            let high = u128::from(next());
            Some(TraceId::from((high << 64) | u128::from(next())))
        }
    }

    struct Setup {
        sampler: AdaptiveSampler,
        clock: Arc<AtomicU64>,
        counts: &'static CallCounts,
        ids: TraceIds,
    }

    impl Setup {
        fn new(operation: &str) -> Self {
            let clock = Arc::new(AtomicU64::new(1));
            let sampler = AdaptiveSampler::new(0.1)
                .first(10)
                .interval(Duration::from_secs(10))
                .error_threshold(0.2)
                .min_calls(20)
                .cooldown(Duration::from_secs(30))
                .on_clock(Arc::clone(&clock));
            Setup {
                sampler,
                clock,
                counts: calls::counts_for(operation),
                ids: TraceIds(0x2545_f491_4f6c_dd1d),
            }
        }

        /// Roots sampled out of `roots` decisions; each root is a call that
        /// ends, failing when `failing`.
        fn sampled(&mut self, roots: usize, failing: bool) -> usize {
            let now = self.clock.load(Ordering::Relaxed);
            let mut sampled = 0;
            for _ in 0..roots {
                let trace_id = self.ids.next().unwrap_or(TraceId::INVALID);
                sampled += usize::from(self.sampler.samples(self.counts, trace_id, now));
                self.counts.count(failing);
            }
            sampled
        }

        fn advance(&self, seconds: u64) {
            self.clock
                .fetch_add(ticks(Duration::from_secs(seconds)), Ordering::Relaxed);
        }
    }

    #[test]
    fn an_interval_is_at_least_a_millisecond() {
        let millisecond = super::ticks(Duration::from_millis(1));
        for shorter in [Duration::ZERO, Duration::from_nanos(1)] {
            let sampler = AdaptiveSampler::new(0.1).interval(shorter);
            assert_eq!(sampler.interval_ticks, millisecond, "{shorter:?}");
        }
    }

    #[test]
    fn a_later_sampler_measures_its_own_interval_and_cool_down_from_the_shared_state() {
        // A first installation's sampler, an hour long, then a second one's.
        let mut setup = Setup::new("adaptive.tests.handover");
        setup.sampler = AdaptiveSampler::new(0.0)
            .first(10)
            .interval(Duration::from_secs(3600))
            .error_threshold(0.2)
            .min_calls(20)
            .cooldown(Duration::from_secs(3600))
            .on_clock(Arc::clone(&setup.clock));
        setup.advance(3600);
        assert_eq!(setup.sampled(10, false), 10, "the hour's first");
        setup.sampled(20, true);
        assert_eq!(setup.sampled(5, false), 5, "raised, for an hour");
        setup.sampler = AdaptiveSampler::new(0.0)
            .first(10)
            .interval(Duration::from_secs(10))
            .error_threshold(0.2)
            .min_calls(20)
            .cooldown(Duration::ZERO)
            .on_clock(Arc::clone(&setup.clock));
        setup.advance(11);
        assert_eq!(
            setup.sampled(10, false),
            10,
            "its own interval has passed: the first 10 again"
        );
        assert_eq!(setup.sampled(10, false), 0, "no cool-down of its own");
    }

    #[test]
    fn errors_that_ended_after_an_intervals_last_root_raise_the_next() {
        // A burst: every root decided at once, every call failing after.
        let mut setup = Setup::new("adaptive.tests.burst");
        setup.advance(10);
        let now = setup.clock.load(Ordering::Relaxed);
        for _ in 0..50 {
            let trace_id = setup.ids.next().unwrap_or(TraceId::INVALID);
            setup.sampler.samples(setup.counts, trace_id, now);
        }
        for _ in 0..50 {
            setup.counts.count(true);
        }
        setup.advance(10);
        assert_eq!(
            setup.sampled(100, false),
            100,
            "the closed interval failed: every root, within the cool-down"
        );
    }

    #[test]
    fn an_interval_that_failed_long_ago_raises_nothing_now() {
        // Failing calls after the interval's only root, and the next root an hour on.
        let mut setup = Setup::new("adaptive.tests.long_ago");
        setup.advance(10);
        setup.sampled(10, false);
        for _ in 0..50 {
            setup.counts.count(true);
        }
        setup.advance(3600);
        setup.sampled(10, false);
        assert!(setup.sampled(1000, false) < 150, "about the ratio");
    }

    #[test]
    fn a_grpc_servers_unknown_methods_failing_raise_nothing() {
        // A scanner's made-up methods, every call answered UNIMPLEMENTED, all
        // named `grpc`: sampled at the ratio, as an operation failing of its own
        // would not be.
        let mut setup = Setup::new("grpc");
        setup.sampled(10, true);
        setup.sampled(100, true);
        assert!(setup.sampled(1000, true) < 150, "about the ratio");
        let mut failing = Setup::new("adaptive.tests.failing");
        failing.sampled(10, true);
        failing.sampled(100, true);
        assert_eq!(failing.sampled(1000, true), 1000, "raised");
    }

    #[test]
    fn a_nan_error_threshold_raises_nothing() {
        let mut setup = Setup::new("adaptive.tests.nan");
        setup.sampler = setup.sampler.clone().error_threshold(f64::NAN);
        setup.sampled(10, false);
        setup.sampled(100, true);
        assert!(setup.sampled(1000, true) < 150, "about the ratio");
    }

    #[test]
    fn samples_the_first_calls_of_each_interval_then_the_ratio() {
        let mut setup = Setup::new("adaptive.tests.first");
        assert_eq!(
            setup.sampled(10, false),
            10,
            "the first 10 of a new operation"
        );
        // 10,000 roots at 0.1 from fixed trace ids: 1,000 expected; the bound is
        // three standard deviations (30) and a margin, and the ids never change.
        let sampled = setup.sampled(10_000, false);
        assert!((900..=1100).contains(&sampled), "{sampled} of 10000 at 0.1");
        setup.advance(10);
        assert_eq!(
            setup.sampled(10, false),
            10,
            "the first 10 of the next interval"
        );
        assert!(setup.sampled(1000, false) < 150);
    }

    #[test]
    fn raises_a_failing_operation_to_every_call_until_the_cool_down_ends() {
        let mut setup = Setup::new("adaptive.tests.errors");
        setup.sampled(10, false);
        assert!(setup.sampled(500, false) < 80, "healthy: about the ratio");
        setup.advance(10);
        setup.sampled(10, false);
        // Below the threshold (0.2): 1 call in 10 fails.
        for _ in 0..50 {
            setup.sampled(9, false);
            setup.sampled(1, true);
        }
        assert!(
            setup.sampled(500, false) < 80,
            "0.1 errors is not above 0.2"
        );
        setup.advance(10);
        setup.sampled(10, false);
        // Above: every call fails once 20 were seen.
        setup.sampled(30, true);
        assert_eq!(setup.sampled(1000, true), 1000, "failing: every root");
        // Healthy again in a new interval: still raised within the cool-down.
        setup.advance(10);
        assert_eq!(setup.sampled(1000, false), 1000, "cooling down: every root");
        setup.advance(19);
        assert_eq!(
            setup.sampled(100, false),
            100,
            "29 s after: still cooling down"
        );
        // The failing interval (20 s to 30 s) was seen above the threshold when it
        // closed: the cool-down runs from then.
        setup.advance(12);
        setup.sampled(10, false);
        let sampled = setup.sampled(1000, false);
        assert!(
            (60..=140).contains(&sampled),
            "back to the ratio: {sampled}"
        );
    }

    #[test]
    fn a_ratio_decides_every_trace_id_as_the_sdks_traceidratio_does() {
        for ratio in [0.001, 0.1, 0.5, 0.999] {
            let sdk = Sampler::TraceIdRatioBased(ratio);
            let bound = ratio_bound(ratio);
            for trace_id in TraceIds(0x9e37_79b9_7f4a_7c15).take(2000) {
                let decision = sdk
                    .should_sample(None, trace_id, "x", &SpanKind::Internal, &[], &[])
                    .decision;
                assert_eq!(
                    within_ratio(trace_id, bound),
                    decision == SamplingDecision::RecordAndSample,
                    "{ratio} {trace_id}"
                );
            }
        }
    }

    #[test]
    fn the_ratio_bound_matches_traceidratio() {
        assert_eq!(ratio_bound(0.0), 0);
        assert_eq!(ratio_bound(1.0), u64::MAX);
        assert_eq!(ratio_bound(0.5), 1 << 62);
        assert_eq!(ratio_bound(f64::NAN), 0);
        assert_eq!(ratio_bound(7.0), u64::MAX);
    }
}
