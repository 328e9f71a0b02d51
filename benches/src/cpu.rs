//! CPU time, for measurements that the machine's other threads (the export worker
//! sharing the two cores) must not skew as they skew wall-clock time.

use std::time::Duration;

/// The CPU time `clock` (`libc::CLOCK_PROCESS_CPUTIME_ID`,
/// `libc::CLOCK_THREAD_CPUTIME_ID`) has counted so far.
pub fn cpu_time(clock: libc::clockid_t) -> Duration {
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
