//! Ends spans while another thread holds stderr (as a write to a pipe nobody
//! reads holds it) and the exporter never returns, so that the export queue
//! overflows and its notice is said: exits 0 when every call returned, 3 when
//! one waited for stderr (and 4 when the set-up did).

use otel_traced::sdk::error::OTelSdkResult;
use otel_traced::sdk::trace::{SpanData, SpanExporter};
use otel_traced::traced;
use std::sync::mpsc;
use std::time::Duration;

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
    let guard = otel_traced::Config::from_vars([
        ("OTEL_TRACES_SAMPLER", "always_on"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "16"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "16"),
    ])
    .span_exporter(Stuck)
    .install()
    .expect("installed");
    let (done, calls_done) = mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..1_000 {
            step();
        }
        let _ = done.send(());
    });
    let code = match calls_done.recv_timeout(Duration::from_secs(20)) {
        Ok(()) => 0,
        Err(_) => 3,
    };
    // Its shutdown would wait for the stuck export.
    std::mem::forget(guard);
    std::process::exit(code);
}
