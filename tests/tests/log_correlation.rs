//! Every `log` record emitted inside a span carries the span's `trace_id` and
//! `span_id`; outside a span none are added. (One test: the logger is global.)

use otel_traced::testing::capture;
use otel_traced::traced;
use std::sync::Mutex;

/// A record as text: its message and its key-values.
type KeptRecord = (String, Vec<(String, String)>);

/// A logger keeping each record as text.
struct Kept(Mutex<Vec<KeptRecord>>);

impl log::Log for Kept {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        struct Pairs(Vec<(String, String)>);
        impl<'kvs> log::kv::VisitSource<'kvs> for Pairs {
            fn visit_pair(
                &mut self,
                key: log::kv::Key<'kvs>,
                value: log::kv::Value<'kvs>,
            ) -> Result<(), log::kv::Error> {
                self.0.push((key.to_string(), value.to_string()));
                Ok(())
            }
        }
        let mut pairs = Pairs(Vec::new());
        record.key_values().visit(&mut pairs).unwrap();
        self.0
            .lock()
            .unwrap()
            .push((record.args().to_string(), pairs.0));
    }

    fn flush(&self) {}
}

static KEPT: Kept = Kept(Mutex::new(Vec::new()));

#[traced]
fn charge(amount: u64) {
    log::info!(amount; "charging");
}

#[test]
fn records_inside_a_span_carry_its_ids_and_others_none() {
    let logger = Box::leak(Box::new(otel_traced::log::with_trace_context(&KEPT)));
    log::set_logger(logger).unwrap();
    log::set_max_level(log::LevelFilter::Info);
    log::info!("before any span");
    let captured = capture(|| charge(7));
    let span = &captured.spans()[0];
    let kept = KEPT.0.lock().unwrap().clone();
    assert_eq!(kept[0], ("before any span".to_owned(), vec![]));
    assert_eq!(
        kept[1],
        (
            "charging".to_owned(),
            vec![
                ("amount".to_owned(), "7".to_owned()),
                (
                    "trace_id".to_owned(),
                    span.span_context.trace_id().to_string()
                ),
                (
                    "span_id".to_owned(),
                    span.span_context.span_id().to_string()
                ),
            ]
        )
    );
}
