//! Ends spans while another thread holds stderr (as a write to a pipe nobody
//! reads holds it), so that the export queue overflows and its notice is said:
//! by the thread ending a span, whose exporter never returns (no argument), or
//! by the export thread, as a slow export returns (`export`). Exits 0 when
//! every call returned, and the flush after them in its time; 3 when one waited
//! for stderr (4 when the set-up did, 5 when the queue did not overflow).

use otel_traced::sdk::error::OTelSdkResult;
use otel_traced::sdk::trace::{SpanData, SpanExporter};
use otel_traced::traced;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[traced]
fn step() {}

/// An exporter whose export never returns.
#[derive(Debug)]
struct Stuck;

impl SpanExporter for Stuck {
    async fn export(&self, _: Vec<SpanData>) -> OTelSdkResult {
        std::future::pending().await
    }
}

/// An exporter whose first export takes a while, while the queue fills.
#[derive(Debug, Default)]
struct SlowFirst(AtomicBool);

impl SpanExporter for SlowFirst {
    async fn export(&self, _: Vec<SpanData>) -> OTelSdkResult {
        if !self.0.swap(true, Ordering::AcqRel) {
            std::thread::sleep(Duration::from_millis(300));
        }
        Ok(())
    }
}

fn main() {
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(60));
        std::process::exit(4);
    });
    let (held, stderr_held) = mpsc::channel();
    std::thread::spawn(move || {
        let _stderr = std::io::stderr().lock();
        held.send(()).expect("main waits");
        loop {
            std::thread::park();
        }
    });
    stderr_held.recv().expect("stderr held");
    let config = otel_traced::Config::from_vars([
        ("OTEL_TRACES_SAMPLER", "always_on"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "16"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "16"),
    ]);
    let by_export_thread = std::env::args().nth(1).as_deref() == Some("export");
    let guard = if by_export_thread {
        config.span_exporter(SlowFirst::default())
    } else {
        config.span_exporter(Stuck)
    }
    .install()
    .expect("installed");
    let (done, returned) = mpsc::channel();
    std::thread::spawn(move || {
        // Fewer than the 64 a span's end checks the queue after, for the export
        // thread to find the overflow.
        let calls = if by_export_thread { 60 } else { 1_000 };
        for _ in 0..calls {
            step();
        }
        // A flush the export thread takes part in: it returns in the time of
        // the slow export, not the SDK's 5 s flush timeout.
        let flushed = Instant::now();
        // (Its error counts the spans the queue dropped: without one, the
        // queue never overflowed and nothing was tested.)
        if by_export_thread && guard.force_flush().is_ok() {
            std::process::exit(5);
        }
        if flushed.elapsed() < Duration::from_secs(4) {
            let _ = done.send(());
        }
        // Its shutdown would wait for the stuck export.
        std::mem::forget(guard);
    });
    let code = match returned.recv_timeout(Duration::from_secs(20)) {
        Ok(()) => 0,
        Err(_) => 3,
    };
    std::process::exit(code);
}
