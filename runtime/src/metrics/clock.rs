//! The clock call durations are measured with: the CPU's time-stamp counter read
//! through `fastant` (the clock `fastrace` uses), which checks that the counter is
//! stable across cores. Where it is not (no such counter, as on aarch64 or macOS,
//! or a VM's that is not invariant), `fastant` falls back to the system clock,
//! which steps when the time is set (NTP, an administrator), so a duration could
//! come out 0 or hours long; there the monotonic clock is read instead, in the
//! nanoseconds `fastant`'s fallback counts.
//!
//! A duration is the difference of two raw readings times one factor. `fastant`'s
//! own conversion (`duration_since`, then seconds) goes through a `Duration` and
//! two float-integer conversions and a division: about 20 ns a call here, a third of
//! what a measured call may cost (DESIGN §10). Its readings keep their counter
//! private but hash it as it is, which is how they are read raw; the factor is
//! `fastant`'s own, taken once from how far it moves a reading for a known time.

use fastant::Instant;
use std::hash::{Hash, Hasher};
use std::num::NonZeroU64;
use std::sync::LazyLock;
use std::time::Duration;

/// A reading of the clock, in its own units. Never zero (a zero reading is taken
/// for one unit later), so that a reading that may not have been taken yet costs
/// no more room than one that was.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stamp(NonZeroU64);

impl Stamp {
    #[inline]
    pub(crate) fn now() -> Self {
        // One load, which `Instant::now` makes as well (and the compiler merges).
        if fastant::is_tsc_available() {
            Stamp::of(Instant::now())
        } else {
            Stamp::monotonic()
        }
    }

    /// Nanoseconds of the monotonic clock since its first reading here.
    fn monotonic() -> Self {
        static START: LazyLock<std::time::Instant> = LazyLock::new(std::time::Instant::now);
        let nanos = u64::try_from(START.elapsed().as_nanos()).unwrap_or(u64::MAX);
        Stamp(NonZeroU64::new(nanos).unwrap_or(NonZeroU64::MIN))
    }

    #[inline]
    fn of(reading: Instant) -> Self {
        Stamp(NonZeroU64::new(raw(reading)).unwrap_or(NonZeroU64::MIN))
    }

    /// The seconds from `earlier` to this reading (0 if it was not earlier).
    /// The difference is converted as a signed integer, one instruction on x86-64
    /// where an unsigned one takes four: the result feeds the histogram's bucket
    /// search at once, so its latency is the measured call's. (A difference past
    /// `i64::MAX` units, centuries, saturates.)
    #[inline]
    pub(crate) fn seconds_since(self, earlier: Stamp) -> f64 {
        let units = i64::try_from(self.0.get().saturating_sub(earlier.0.get())).unwrap_or(i64::MAX);
        units as f64 * *SECONDS_PER_UNIT
    }
}

/// The time a reading unit stands for: `fastant` moves a reading by that many
/// units for this span of time (long, so that its rounding does not matter); a
/// nanosecond without the counter.
static SECONDS_PER_UNIT: LazyLock<f64> = LazyLock::new(|| {
    const SPAN: Duration = Duration::from_secs(1_000);
    if !fastant::is_tsc_available() {
        return 1e-9;
    }
    let base = Instant::now();
    match base.checked_add(SPAN) {
        Some(later) if raw(later) > raw(base) => {
            SPAN.as_secs_f64() / (raw(later) - raw(base)) as f64
        }
        // A counter 1 000 s from its end: nanoseconds, as the fallback counts.
        _ => 1e-9,
    }
});

/// The counter inside a reading, as its `Hash` writes it.
#[inline]
fn raw(reading: Instant) -> u64 {
    let mut counter = Counter(0);
    reading.hash(&mut counter);
    counter.0
}

/// Keeps the one `u64` a reading hashes.
struct Counter(u64);

impl Hasher for Counter {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, _bytes: &[u8]) {
        // A reading hashes one `u64`, through `write_u64`.
    }

    fn write_u64(&mut self, counter: u64) {
        self.0 = counter;
    }
}

#[cfg(test)]
mod tests {
    use super::{Instant, Stamp};
    use std::time::Duration;

    #[test]
    fn durations_agree_with_fastants_own() {
        let start = Instant::now();
        let stamp = Stamp::of(start);
        std::thread::sleep(Duration::from_millis(20));
        let end = Instant::now();
        let later = Stamp::of(end);
        let ours = later.seconds_since(stamp);
        let theirs = end.duration_since(start).as_secs_f64();
        assert!(
            (ours - theirs).abs() < 1e-6,
            "ours {ours} s, fastant's {theirs} s"
        );
        assert!(ours >= 0.02, "{ours} s for a 20 ms sleep");
        assert_eq!(stamp.seconds_since(later), 0.0, "never negative");
    }

    #[test]
    fn without_the_counter_durations_are_the_monotonic_clocks_nanoseconds() {
        let start = std::time::Instant::now();
        let stamp = Stamp::monotonic();
        std::thread::sleep(Duration::from_millis(20));
        let later = Stamp::monotonic();
        let elapsed = start.elapsed().as_secs_f64();
        let ours = (later.0.get() - stamp.0.get()) as f64 * 1e-9;
        assert!(
            (0.02..=elapsed).contains(&ours),
            "{ours} s for a 20 ms sleep, {elapsed} s around it"
        );
    }
}
