//! CPU time, for measurements that the machine's other threads (the export worker
//! sharing the two cores) must not skew as they skew wall-clock time.

use std::time::Duration;

/// The CPU time this process's threads have spent so far.
pub fn process_cpu_time() -> Duration {
    clock_time(Clock::Process)
}

/// The CPU time the calling thread has spent so far.
pub fn thread_cpu_time() -> Duration {
    clock_time(Clock::Thread)
}

enum Clock {
    Process,
    Thread,
}

#[cfg(unix)]
fn clock_time(clock: Clock) -> Duration {
    let clock = match clock {
        Clock::Process => libc::CLOCK_PROCESS_CPUTIME_ID,
        Clock::Thread => libc::CLOCK_THREAD_CPUTIME_ID,
    };
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `time` is a valid, writable timespec; the clock ids are constants the
    // platform defines.
    let result = unsafe { libc::clock_gettime(clock, &mut time) };
    assert_eq!(result, 0, "the CPU clock is readable");
    Duration::new(
        u64::try_from(time.tv_sec).unwrap_or_default(),
        u32::try_from(time.tv_nsec).unwrap_or_default(),
    )
}

/// The benchmarks measure CPU time on Unix only (the machine of DESIGN §7); they
/// build elsewhere, so that the workspace's tests do.
#[cfg(not(unix))]
fn clock_time(_: Clock) -> Duration {
    panic!("CPU time is measured on Unix only")
}
