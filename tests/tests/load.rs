//! The load run, small: 16 threads (half sync calls, half async tasks) with OTLP
//! export to the in-process receiver. With a queue sized for the load nothing is
//! lost; with a small one, what is lost is counted exactly. The full-size run is the
//! `load` binary.

use otel_traced_tests::load::{Load, run};

#[test]
fn under_load_nothing_is_lost_unless_the_queue_overflows_and_then_it_is_counted() {
    let sized = run(Load {
        threads: 16,
        spans: 32_000,
        queue: 32_000,
    });
    // `sent` is the calls made (each ends one span), 32 000 by construction.
    assert_eq!(sized.exported, sized.sent, "{sized:?}");
    assert_eq!(sized.dropped, 0, "{sized:?}");
    assert_eq!(sized.dropped_at_shutdown, None, "{sized:?}");

    let small = run(Load {
        threads: 16,
        spans: 32_000,
        queue: 64,
    });
    assert!(small.dropped > 0, "a 64-span queue overflows: {small:?}");
    assert_eq!(small.exported + small.dropped, small.sent, "{small:?}");
    assert_eq!(small.dropped_at_shutdown, Some(small.dropped), "{small:?}");
}

/// The notice of an overflow, said on the thread that found the queue full,
/// waited there for stderr: a pipe nobody reads stalled that call, or the export
/// thread, which then exported nothing more (the program holds stderr on another
/// thread, as a full pipe holds it).
#[test]
fn an_overflow_notice_stalls_no_call_nor_export_while_stderr_is_blocked() {
    for by in [None, Some("export")] {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_stderr_held"))
            .args(by)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the program runs");
        let output = otel_traced_tests::exited_in_time(child, "stderr_held");
        assert_eq!(output.status.code(), Some(0), "{by:?}: {output:?}");
    }
}
