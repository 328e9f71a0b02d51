//! The clock call durations are measured with: on Linux on x86-64, the CPU's
//! time-stamp counter where the kernel found it stable across cores (its clock
//! source is `tsc`, or the CPU says it is invariant and the kernel has not struck
//! it off as unstable), as `fastrace`'s clock reads it; the monotonic clock
//! elsewhere (no such counter, as on aarch64, or none the kernel vouches for). A
//! reading of the counter costs about 11 ns here, of the monotonic clock about 25
//! (DESIGN §10: a measured call may cost a few tens).
//!
//! The counter's rate is measured once a process, when metrics are first
//! installed ([`calibrate`]), over a few milliseconds slept rather than spun.
//! (`fastant` measured it before `main`, spinning a core for 20 ms at least, in
//! every process that linked it, also where nothing was ever installed.) Until
//! then no call is measured, so every reading of a process comes from the one
//! clock chosen there.
//!
//! A duration is the difference of two raw readings times one factor: a
//! conversion through a `Duration` took about 20 ns a call here.

use std::num::NonZeroU64;
use std::sync::{LazyLock, OnceLock};
use std::time::{Duration, Instant};

/// The clock chosen, and the seconds one of its units stands for.
#[derive(Clone, Copy, Debug)]
struct Clock {
    counter: bool,
    seconds_per_unit: f64,
}

impl Clock {
    const MONOTONIC: Clock = Clock {
        counter: false,
        seconds_per_unit: 1e-9,
    };
}

static CLOCK: OnceLock<Clock> = OnceLock::new();

/// Chooses the clock and measures the counter's rate, once a process: before the
/// first call is measured (a few milliseconds where the counter is read).
pub(crate) fn calibrate() {
    CLOCK.get_or_init(|| {
        if counter_is_stable() {
            counter_rate().unwrap_or(Clock::MONOTONIC)
        } else {
            Clock::MONOTONIC
        }
    });
}

/// The counter's rate against the monotonic clock over a few milliseconds; `None`
/// when the counter did not move.
fn counter_rate() -> Option<Clock> {
    const OVER: Duration = Duration::from_millis(5);
    let (start, start_count) = paired();
    std::thread::sleep(OVER);
    let (end, end_count) = paired();
    let counted = end_count
        .checked_sub(start_count)
        .filter(|&units| units > 0)?;
    Some(Clock {
        counter: true,
        seconds_per_unit: end.duration_since(start).as_secs_f64() / counted as f64,
    })
}

/// A reading of the monotonic clock and of the counter at the same moment: the
/// counter read on both sides of it (the middle taken), again while the two are
/// far apart (the thread was interrupted between them).
fn paired() -> (Instant, u64) {
    let mut best = None;
    for _ in 0..16 {
        let before = counter();
        let now = Instant::now();
        let after = counter();
        let gap = after.wrapping_sub(before);
        if best.is_none_or(|(_, _, best_gap)| gap < best_gap) {
            best = Some((now, before + gap / 2, gap));
        }
        // About a microsecond at a few GHz: interrupted if longer.
        if gap < 4_000 {
            break;
        }
    }
    best.map(|(now, count, _)| (now, count))
        .unwrap_or_else(|| (Instant::now(), counter()))
}

/// Whether the counter runs at one rate on every core: the kernel's clock source
/// is it (it checked that), or the CPU says it is invariant and the kernel still
/// lists it (some VMs do not let the kernel use it all the same; one it found
/// out of step between cores, on a host of several sockets, it strikes off).
fn counter_is_stable() -> bool {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    {
        const SOURCES: &str = "/sys/devices/system/clocksource/clocksource0";
        let lists_tsc = |file: &str| {
            std::fs::read_to_string(format!("{SOURCES}/{file}"))
                .is_ok_and(|sources| sources.split_whitespace().any(|source| source == "tsc"))
        };
        // CPUID 0x8000_0007, EDX bit 8: the invariant TSC.
        let invariant = || {
            let highest = std::arch::x86_64::__cpuid(0x8000_0000).eax;
            highest >= 0x8000_0007 && std::arch::x86_64::__cpuid(0x8000_0007).edx & (1 << 8) != 0
        };
        lists_tsc("current_clocksource") || (invariant() && lists_tsc("available_clocksource"))
    }
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    false
}

/// The time-stamp counter.
#[inline]
fn counter() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: every x86-64 CPU has the instruction, and it reads a register.
    unsafe {
        std::arch::x86_64::_rdtsc()
    }
    #[cfg(not(target_arch = "x86_64"))]
    0
}

/// A reading of the clock, in its own units. Never zero (a zero reading is taken
/// for one unit later), so that a reading that may not have been taken yet costs
/// no more room than one that was.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stamp(NonZeroU64);

impl Stamp {
    #[inline]
    pub(crate) fn now() -> Self {
        match CLOCK.get() {
            Some(Clock { counter: true, .. }) => Stamp::raw(counter()),
            _ => Stamp::monotonic(),
        }
    }

    /// Nanoseconds of the monotonic clock since its first reading here.
    fn monotonic() -> Self {
        static START: LazyLock<Instant> = LazyLock::new(Instant::now);
        Stamp::raw(u64::try_from(START.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    #[inline]
    fn raw(units: u64) -> Self {
        Stamp(NonZeroU64::new(units).unwrap_or(NonZeroU64::MIN))
    }

    /// The seconds from `earlier` to this reading (0 if it was not earlier).
    /// The difference is converted as a signed integer, one instruction on x86-64
    /// where an unsigned one takes four: the result feeds the histogram's bucket
    /// search at once, so its latency is the measured call's. (A difference past
    /// `i64::MAX` units, centuries, saturates.)
    #[inline]
    pub(crate) fn seconds_since(self, earlier: Stamp) -> f64 {
        let units = i64::try_from(self.0.get().saturating_sub(earlier.0.get())).unwrap_or(i64::MAX);
        let seconds_per_unit = CLOCK.get().unwrap_or(&Clock::MONOTONIC).seconds_per_unit;
        units as f64 * seconds_per_unit
    }
}

#[cfg(test)]
mod tests {
    use super::{CLOCK, Stamp, calibrate};
    use std::time::{Duration, Instant};

    #[test]
    fn durations_agree_with_the_monotonic_clock() {
        calibrate();
        let started = Instant::now();
        let stamp = Stamp::now();
        std::thread::sleep(Duration::from_millis(20));
        let later = Stamp::now();
        let elapsed = started.elapsed().as_secs_f64();
        let ours = later.seconds_since(stamp);
        // Within the calibration's error (a few in 10 000) of what the monotonic
        // clock saw around it.
        assert!(
            ours >= 0.02 * (1.0 - 1e-3) && ours <= elapsed * (1.0 + 1e-3),
            "{ours} s for a 20 ms sleep, {elapsed} s around it ({:?})",
            CLOCK.get()
        );
        assert_eq!(stamp.seconds_since(later), 0.0, "never negative");
    }

    #[test]
    fn without_the_counter_durations_are_the_monotonic_clocks_nanoseconds() {
        let start = Instant::now();
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
