//! Logs and traces that join: every line written inside a traced request ends with
//! its `trace_id` and `span_id`, and the waterfall printed when the request ends
//! starts with the same trace id. Lines come from the `log` crate and from
//! `tracing` (as libraries such as sqlx emit them); the `tracing` span of the query
//! sits in the same tree as the annotated functions.
//!
//! ```text
//! cargo run -p otel-traced-examples --example logs
//! ```
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans and log records both go to the
//! collector, each record linked to its span.

use otel_traced::traced;

/// The application's own `log` logger: one line per record, key-values included.
struct Lines;

impl log::Log for Lines {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        struct Pairs(String);
        impl<'kvs> log::kv::VisitSource<'kvs> for Pairs {
            fn visit_pair(
                &mut self,
                key: log::kv::Key<'kvs>,
                value: log::kv::Value<'kvs>,
            ) -> Result<(), log::kv::Error> {
                self.0.push_str(&format!(" {key}={value}"));
                Ok(())
            }
        }
        let mut pairs = Pairs(String::new());
        let _ = record.key_values().visit(&mut pairs);
        eprintln!(
            "{:>5} {}: {}{}",
            record.level(),
            record.target(),
            record.args(),
            pairs.0
        );
    }

    fn flush(&self) {}
}

#[derive(Debug)]
struct CardDeclined;

impl std::fmt::Display for CardDeclined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for CardDeclined {}

#[traced]
fn checkout(order_id: u64, customer: &str) -> Result<u64, CardDeclined> {
    log::info!(order_id; "checkout started for {customer}");
    let total = load_cart(order_id);
    // Said here, inside the request's span, so that the line carries its ids.
    if let Err(declined) = charge(customer, total) {
        log::error!("order {order_id} failed: {declined}");
        return Err(declined);
    }
    log::info!(total; "order placed");
    Ok(total)
}

#[traced]
fn load_cart(order_id: u64) -> u64 {
    // What a database library emits through `tracing`.
    let query = tracing::info_span!("SELECT cart_items", db.system.name = "postgresql");
    let _entered = query.enter();
    tracing::info!(rows = 3, "cart loaded");
    order_id * 100 + 50
}

#[traced]
fn charge(customer: &str, cents: u64) -> Result<(), CardDeclined> {
    if customer == "mallory" {
        log::warn!(cents; "payment refused");
        return Err(CardDeclined);
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let guard = otel_traced::init()?;
    log::set_logger(Box::leak(Box::new(otel_traced::log::with_trace_context(
        Lines,
    ))))?;
    log::set_max_level(log::LevelFilter::Info);
    otel_traced::tracing::install()?;

    log::info!("service ready (no trace here: outside any request)");
    for (order_id, customer) in [(42, "ada"), (43, "mallory")] {
        // A failure is logged where it happened, with its trace's ids.
        let _ = checkout(order_id, customer);
        // Print this request's waterfall before the next request's lines (for the
        // console's sake only: a flush that fails, a collector down, is no reason
        // to stop serving).
        if let Err(error) = guard.force_flush() {
            eprintln!("{error}");
        }
    }
    Ok(())
}
