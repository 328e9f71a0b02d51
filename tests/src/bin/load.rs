//! The full-size load run (issue: reliability): 16 threads, 1,000,000 spans by
//! default, exported over OTLP/gRPC to the in-process receiver; prints a Markdown
//! table row per queue size. Run it in release:
//!
//! ```text
//! cargo run --release -p otel-traced-tests --bin load -- [threads] [spans]
//! ```

use otel_traced_tests::load::{Load, Report, run};

fn main() {
    let mut args = std::env::args().skip(1);
    let threads = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let spans = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    println!("{}", Report::HEADER);
    // The default queue, then one sized for the whole load.
    for queue in [65_536, spans as usize] {
        let report = run(Load {
            threads,
            spans,
            queue,
        });
        println!("{}", report.row());
    }
}
