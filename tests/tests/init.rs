//! `init()` and its guard, in a binary of their own: they install a process-wide
//! provider, so the steps run in order inside one test.

use otel_traced::opentelemetry::Context;
use otel_traced::opentelemetry::trace::TraceContextExt;
use otel_traced::{InitError, traced};

#[traced]
fn has_span() -> bool {
    Context::current().has_active_span()
}

/// `text` followed by what is no UTF-8 (a byte, on Windows an unpaired surrogate).
fn not_utf8(text: &str) -> std::ffi::OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt as _;
        std::ffi::OsString::from_vec([text.as_bytes(), b"\xff"].concat())
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStringExt as _;
        let units: Vec<u16> = text.encode_utf16().chain([0xD800]).collect();
        std::ffi::OsString::from_wide(&units)
    }
}

fn set_disabled(value: Option<&str>) {
    // SAFETY: the tests of this binary take `installing_turn()`, and only they read the
    // environment, so none reads it while it changes.
    unsafe {
        match value {
            Some(value) => std::env::set_var("OTEL_SDK_DISABLED", value),
            None => std::env::remove_var("OTEL_SDK_DISABLED"),
        }
    }
}

#[test]
fn init_installs_once_per_guard_and_honours_sdk_disabled() {
    let _turn = otel_traced_tests::installing_turn();
    assert!(!has_span(), "nothing installed yet");

    let guard = otel_traced::init().expect("first init");
    assert!(has_span(), "spans open once a provider is installed");
    assert_eq!(
        otel_traced::init().err(),
        Some(InitError::AlreadyInitialized)
    );
    assert_eq!(
        otel_traced::Config::from_vars([("OTEL_SDK_DISABLED", "true")])
            .install()
            .err(),
        Some(InitError::AlreadyInitialized),
        "a disabled installation does not stop the one that lives"
    );
    for invalid in [
        ("OTEL_TRACES_SAMPLER", "sometimes"),
        ("OTEL_SDK_DISABLED", "1"),
    ] {
        assert_eq!(
            otel_traced::Config::from_vars([invalid]).install().err(),
            Some(InitError::AlreadyInitialized),
            "a second installation is that, whatever its variables: {invalid:?}"
        );
    }
    assert!(has_span(), "the installation that lives goes on");
    guard.shutdown().expect("a clean shutdown");
    assert!(!has_span(), "the guard's shutdown uninstalls the provider");

    let guard = otel_traced::init().expect("init again after the guard is gone");
    assert!(has_span());
    drop(guard);
    assert!(
        !has_span(),
        "dropping the guard uninstalls the provider too"
    );

    set_disabled(Some("true"));
    let guard = otel_traced::init().expect("a disabled SDK still initialises");
    assert!(!has_span(), "OTEL_SDK_DISABLED=true opens no span");
    drop(guard);

    set_disabled(Some("maybe"));
    let error = otel_traced::init().expect_err("an invalid value is an error");
    assert_eq!(
        error.to_string(),
        "OTEL_SDK_DISABLED=\"maybe\" is not valid: it accepts true or false"
    );
    assert_eq!(
        format!("{error:?}"),
        error.to_string(),
        "what `fn main() -> Result<..>` prints for `init()?`"
    );
    set_disabled(None);

    // SAFETY: as for `set_disabled`.
    unsafe { std::env::set_var("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "ten") };
    assert_eq!(
        otel_traced::init()
            .expect_err("a limit that is not a number")
            .to_string(),
        "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=\"ten\" is not valid: it accepts a whole number of characters (0 or more)"
    );
    // SAFETY: as for `set_disabled`.
    unsafe { std::env::remove_var("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT") };

    // SAFETY: as for `set_disabled`.
    unsafe { std::env::set_var("OTEL_SERVICE_NAME", not_utf8("checkout-")) };
    let error = otel_traced::init().expect_err("a value that is not UTF-8");
    assert_eq!(
        error,
        InitError::NotUnicode {
            name: "OTEL_SERVICE_NAME".to_owned()
        }
    );
    assert_eq!(
        error.to_string(),
        "OTEL_SERVICE_NAME is not valid UTF-8: set it to UTF-8 text, or unset it"
    );
    // SAFETY: as for `set_disabled`.
    unsafe { std::env::remove_var("OTEL_SERVICE_NAME") };
    // The kill switch too: that error, not its lossy value's.
    // SAFETY: as for `set_disabled`.
    unsafe { std::env::set_var("OTEL_SDK_DISABLED", not_utf8("tru")) };
    assert_eq!(
        otel_traced::init().err(),
        Some(InitError::NotUnicode {
            name: "OTEL_SDK_DISABLED".to_owned()
        })
    );
    set_disabled(None);

    // Another SDK's variable that is not UTF-8 is none of ours.
    // SAFETY: as for `set_disabled`.
    unsafe { std::env::set_var("OTEL_PYTHON_LOG_LEVEL", not_utf8("")) };
    let guard = otel_traced::init().expect("a variable not read is no error");
    guard.shutdown().expect("a clean shutdown");
    // SAFETY: as for `set_disabled`.
    unsafe { std::env::remove_var("OTEL_PYTHON_LOG_LEVEL") };
}

#[traced]
fn records(text: &str) -> usize {
    text.len()
}

#[test]
fn a_refused_init_leaves_the_installed_value_length_limit_alone() {
    let _turn = otel_traced_tests::installing_turn();
    let recorded = || {
        let captured = otel_traced::testing::capture(|| records("abcdef"));
        captured
            .find("records")
            .expect("the span")
            .attributes
            .clone()
    };
    let guard = otel_traced::init().expect("init without a limit");
    // SAFETY: as for `set_disabled`.
    unsafe { std::env::set_var("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "3") };
    assert_eq!(
        otel_traced::init().err(),
        Some(InitError::AlreadyInitialized)
    );
    assert!(
        recorded().contains(&otel_traced::opentelemetry::KeyValue::new("text", "abcdef")),
        "the installed configuration has no limit: {:?}",
        recorded()
    );
    drop(guard);
    assert!(
        recorded().contains(&otel_traced::opentelemetry::KeyValue::new("text", "abc")),
        "once the guard is gone, the environment's limit applies: {:?}",
        recorded()
    );
    // SAFETY: as for `set_disabled`.
    unsafe { std::env::remove_var("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT") };
    // The limit read from the environment is kept until an install replaces it.
    drop(otel_traced::init().expect("init without a limit"));
    assert!(recorded().contains(&otel_traced::opentelemetry::KeyValue::new("text", "abcdef")));
}

/// What the global propagator writes for the current context, which holds a span
/// and one baggage entry.
#[traced]
fn injected_headers() -> Vec<String> {
    use otel_traced::opentelemetry::baggage::BaggageExt as _;
    use otel_traced::opentelemetry::global;
    let context = Context::current_with_baggage([otel_traced::opentelemetry::KeyValue::new(
        "user.id", "ada",
    )]);
    let mut headers = std::collections::HashMap::new();
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut headers);
    });
    let mut names: Vec<String> = headers.into_keys().collect();
    names.sort();
    names
}

#[test]
fn otel_propagators_sets_the_global_propagator() {
    // Runs after the test above or before it: each part installs and drops its own.
    let _turn = otel_traced_tests::installing_turn();
    for (value, expected) in [
        // Our W3C propagator writes `tracestate` also when it is empty, as the
        // SDK's does (an `Injector` cannot remove what the map held).
        (
            "tracecontext,baggage",
            vec!["baggage", "traceparent", "tracestate"],
        ),
        ("baggage", vec!["baggage"]),
        ("none", vec![]),
        ("b3", vec!["b3"]),
        (
            "B3multi,baggage",
            vec!["baggage", "x-b3-sampled", "x-b3-spanid", "x-b3-traceid"],
        ),
    ] {
        let guard = otel_traced::Config::from_vars([
            ("OTEL_PROPAGATORS", value),
            ("OTEL_TRACES_EXPORTER", "none"),
        ])
        .install()
        .expect("installed");
        assert_eq!(injected_headers(), expected, "OTEL_PROPAGATORS={value}");
        drop(guard);
    }
    // `OTEL_SDK_DISABLED` leaves the propagators to `OTEL_PROPAGATORS`, as the
    // specification says (no span opens, so only baggage is written); a value
    // refused is the default, the kill switch failing on nothing.
    for (value, expected) in [
        ("baggage", vec!["baggage"]),
        ("none", vec![]),
        ("xray", vec!["baggage"]),
    ] {
        let guard = otel_traced::Config::from_vars([
            ("OTEL_SDK_DISABLED", "true"),
            ("OTEL_PROPAGATORS", value),
        ])
        .install()
        .expect("installed");
        assert_eq!(
            injected_headers(),
            expected,
            "disabled, OTEL_PROPAGATORS={value}"
        );
        drop(guard);
    }
    // Not over those of an installation that lives: already initialised.
    let live = otel_traced::Config::from_vars([
        ("OTEL_PROPAGATORS", "tracecontext"),
        ("OTEL_TRACES_EXPORTER", "none"),
    ])
    .install()
    .expect("installed");
    let disabled = otel_traced::Config::from_vars([
        ("OTEL_SDK_DISABLED", "true"),
        ("OTEL_PROPAGATORS", "none"),
    ])
    .install();
    assert_eq!(disabled.err(), Some(InitError::AlreadyInitialized));
    assert_eq!(injected_headers(), ["traceparent", "tracestate"]);
    drop(live);
}

/// A client writing its context into `headers`.
#[otel_traced::traced_rpc(client, http, carrier = headers)]
fn send_headers(headers: &mut http::HeaderMap) {
    let _ = headers;
}

#[test]
fn use_global_provider_forgets_the_propagators_an_earlier_init_chose() {
    use otel_traced::opentelemetry::baggage::BaggageExt as _;
    let _turn = otel_traced_tests::installing_turn();
    let guard = otel_traced::Config::from_vars([("OTEL_TRACES_EXPORTER", "none")])
        .propagators([otel_traced::Propagator::B3])
        .install()
        .expect("installed");
    drop(guard);
    // The application's provider, and no propagator of its own: boundaries use
    // W3C's, as the README says, not the B3 the earlier guard left.
    let guard = otel_traced::use_global_provider().expect("installed");
    let mut headers = http::HeaderMap::new();
    {
        let _baggage = Context::current_with_baggage([otel_traced::opentelemetry::KeyValue::new(
            "user.id", "ada",
        )])
        .attach();
        send_headers(&mut headers);
    }
    drop(guard);
    let mut names: Vec<&str> = headers.keys().map(http::HeaderName::as_str).collect();
    names.sort_unstable();
    assert!(names.contains(&"baggage"), "{names:?}");
    assert!(!names.contains(&"b3"), "{names:?}");
}

/// Keeps the spans it is given.
#[derive(Clone, Debug, Default)]
struct Names(std::sync::Arc<std::sync::Mutex<Vec<otel_traced::sdk::trace::SpanData>>>);

impl otel_traced::sdk::trace::SpanExporter for Names {
    async fn export(
        &self,
        batch: Vec<otel_traced::sdk::trace::SpanData>,
    ) -> otel_traced::sdk::error::OTelSdkResult {
        let mut spans = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        spans.extend(batch);
        Ok(())
    }
}

impl Names {
    fn taken_spans(&self) -> Vec<otel_traced::sdk::trace::SpanData> {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    fn taken(&self) -> Vec<String> {
        let spans = self.taken_spans();
        spans
            .into_iter()
            .map(|span| span.name.into_owned())
            .collect()
    }
}

#[traced]
fn checkout() {}

/// Installs a pipeline sampling every span into `exporter`.
fn installed_with(
    exporter: impl otel_traced::sdk::trace::SpanExporter + 'static,
) -> otel_traced::Guard {
    otel_traced::Config::from_vars([("OTEL_TRACES_SAMPLER", "always_on")])
        .span_exporter(exporter)
        .install()
        .expect("installed")
}

/// An exporter counting its shutdowns.
#[derive(Clone, Debug, Default)]
struct ShutDowns(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl otel_traced::sdk::trace::SpanExporter for ShutDowns {
    async fn export(
        &self,
        _: Vec<otel_traced::sdk::trace::SpanData>,
    ) -> otel_traced::sdk::error::OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(
        &self,
        _: std::time::Duration,
    ) -> otel_traced::sdk::error::OTelSdkResult {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// An exporter whose drop (when the batch thread ends, after its shutdown) never
/// ends, or panics.
#[derive(Debug)]
struct DropsBadly {
    panics: bool,
    exported: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl otel_traced::sdk::trace::SpanExporter for DropsBadly {
    async fn export(
        &self,
        batch: Vec<otel_traced::sdk::trace::SpanData>,
    ) -> otel_traced::sdk::error::OTelSdkResult {
        let names = batch.into_iter().map(|span| span.name.into_owned());
        self.exported.lock().unwrap().extend(names);
        Ok(())
    }
}

impl Drop for DropsBadly {
    fn drop(&mut self) {
        assert!(!self.panics, "a bug in the exporter's drop");
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}

#[test]
fn an_exporter_whose_drop_hangs_or_panics_neither_holds_nor_breaks_the_shutdown() {
    let _turn = otel_traced_tests::installing_turn();
    for panics in [false, true] {
        let exported = std::sync::Arc::default();
        let exporter = DropsBadly {
            panics,
            exported: std::sync::Arc::clone(&exported),
        };
        let guard = otel_traced::Config::from_vars([("OTEL_TRACES_SAMPLER", "always_on")])
            .span_exporter(exporter)
            .shutdown_timeout(std::time::Duration::from_millis(500))
            .install()
            .expect("installed");
        checkout();
        let started = std::time::Instant::now();
        let shut_down = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| guard.shutdown()));
        let said = shut_down
            .expect("the panic stayed on its thread")
            .map_err(|error| error.to_string());
        assert_eq!(*exported.lock().unwrap(), ["checkout"], "panics {panics}");
        let teardown = if panics {
            "Operation failed: the exporter's step ended without a result (it panicked)"
        } else {
            "Operation timed out after"
        };
        let said = said.expect_err("the exporter's teardown failed");
        assert!(
            said.starts_with(&format!(
                "every one of the spans was exported, but their exporter did not shut down cleanly: {teardown}"
            )),
            "{said}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "panics {panics}: the shutdown waited {:?}",
            started.elapsed()
        );
    }
}

#[traced]
fn recorded_only() {}

#[test]
fn a_span_recorded_but_not_sampled_is_not_exported() {
    let _turn = otel_traced_tests::installing_turn();
    let exporter = Names::default();
    let guard = otel_traced::Config::from_vars([("OTEL_TRACES_SAMPLER", "always_on")])
        .sampler(otel_traced::sdk::trace::Sampler::ParentBased(Box::new(
            otel_traced_tests::RecordsOnly,
        )))
        .span_exporter(exporter.clone())
        .install()
        .expect("installed");
    recorded_only();
    checkout();
    guard.shutdown().expect("a clean shutdown");
    assert_eq!(exporter.taken(), ["checkout"], "the specification's rule");
}

/// Panics on its first export, then keeps what it is given.
#[derive(Clone, Debug, Default)]
struct PanicsOnce {
    panicked: std::sync::Arc<std::sync::atomic::AtomicBool>,
    kept: Names,
}

impl otel_traced::sdk::trace::SpanExporter for PanicsOnce {
    async fn export(
        &self,
        batch: Vec<otel_traced::sdk::trace::SpanData>,
    ) -> otel_traced::sdk::error::OTelSdkResult {
        if !self
            .panicked
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            panic!("a bug in the exporter");
        }
        self.kept.export(batch).await
    }
}

/// A function whose span the sampler below decides by calling it once more.
#[traced]
fn consulted() {}

thread_local! {
    static CONSULTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A sampler that calls `consulted` while it decides (as one logging through
/// `tracing` would open spans).
#[derive(Clone, Debug)]
struct Consults;

impl otel_traced::sdk::trace::ShouldSample for Consults {
    fn should_sample(
        &self,
        _: Option<&Context>,
        _: otel_traced::opentelemetry::trace::TraceId,
        _: &str,
        _: &otel_traced::opentelemetry::trace::SpanKind,
        _: &[otel_traced::opentelemetry::KeyValue],
        _: &[otel_traced::opentelemetry::trace::Link],
    ) -> otel_traced::sdk::trace::SamplingResult {
        if !CONSULTING.replace(true) {
            consulted();
            CONSULTING.set(false);
        }
        otel_traced::sdk::trace::SamplingResult {
            decision: otel_traced::sdk::trace::SamplingDecision::RecordAndSample,
            attributes: Vec::new(),
            trace_state: otel_traced::opentelemetry::trace::TraceState::default(),
        }
    }
}

#[test]
fn a_sampler_opening_spans_at_a_call_site_first_used_by_an_earlier_installation_does_not_hang() {
    let _turn = otel_traced_tests::installing_turn();
    // The call site's first tracer is an earlier installation's.
    let earlier = installed_with(Names::default());
    consulted();
    drop(earlier);
    let exporter = Names::default();
    let guard = otel_traced::Config::from_vars([("OTEL_TRACES_SAMPLER", "always_on")])
        .sampler(otel_traced::sdk::trace::Sampler::ParentBased(Box::new(
            Consults,
        )))
        .span_exporter(exporter.clone())
        .install()
        .expect("installed");
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        consulted();
        let _ = done.send(());
    });
    if finished
        .recv_timeout(std::time::Duration::from_secs(10))
        .is_err()
    {
        // Shutting down would wait on the lock the call holds.
        std::mem::forget(guard);
        panic!("the call waited for ever on a lock its own sampler's span wanted");
    }
    guard.shutdown().expect("a clean shutdown");
    assert_eq!(exporter.taken(), ["consulted", "consulted"]);
}

/// Installs a pipeline sampling every span into `exporter`, which gets them a
/// minute after they end, or at a flush.
fn installed_exporting_at_flushes(
    exporter: impl otel_traced::sdk::trace::SpanExporter + 'static,
) -> otel_traced::Guard {
    otel_traced::Config::from_vars([
        ("OTEL_TRACES_SAMPLER", "always_on"),
        ("OTEL_BSP_SCHEDULE_DELAY", "60000"),
    ])
    .span_exporter(exporter)
    .install()
    .expect("installed")
}

#[test]
fn spans_waiting_in_the_queue_are_not_counted_as_dropped() {
    let _turn = otel_traced_tests::installing_turn();
    let exporter = Names::default();
    let guard = installed_exporting_at_flushes(exporter.clone());
    checkout();
    checkout();
    assert_eq!(guard.dropped_spans(), 0, "two spans wait, none was lost");
    guard.force_flush().expect("both exported");
    assert_eq!(exporter.taken(), ["checkout", "checkout"]);
    assert_eq!(guard.dropped_spans(), 0);
    guard.shutdown().expect("a clean shutdown");
}

/// An exporter taking longer than a flush waits (the SDK's five seconds).
#[derive(Clone, Debug, Default)]
struct Slow(Names);

impl otel_traced::sdk::trace::SpanExporter for Slow {
    async fn export(
        &self,
        batch: Vec<otel_traced::sdk::trace::SpanData>,
    ) -> otel_traced::sdk::error::OTelSdkResult {
        std::thread::sleep(std::time::Duration::from_secs(6));
        self.0.export(batch).await
    }
}

#[test]
fn spans_a_timed_out_flush_left_on_their_way_are_not_counted_as_dropped() {
    let _turn = otel_traced_tests::installing_turn();
    let exporter = Slow::default();
    let guard = installed_exporting_at_flushes(exporter.clone());
    checkout();
    assert!(guard.force_flush().is_err(), "the flush timed out");
    // The export ends a second later (or later still on a slow machine).
    let exported =
        otel_traced_tests::receiver::at_least(1, std::time::Duration::from_secs(10), || {
            exporter.0.taken()
        });
    assert_eq!(exported, ["checkout"]);
    assert_eq!(guard.dropped_spans(), 0, "exported, not dropped");
    guard.shutdown().expect("a clean shutdown");
}

#[test]
fn an_exporter_that_panicked_once_still_exports_later_spans() {
    let _turn = otel_traced_tests::installing_turn();
    let exporter = PanicsOnce::default();
    let guard = installed_with(exporter.clone());
    checkout();
    let flushed = guard.force_flush();
    assert!(flushed.is_err(), "the panicking export failed");
    busy("later");
    let error = guard.shutdown().expect_err("the first span was lost");
    assert_eq!(error.dropped_spans(), 1, "{error}");
    assert_eq!(exporter.kept.taken(), ["busy"], "the later span exported");
}

#[test]
fn a_refused_install_leaves_the_exporters_it_was_given_alone() {
    let _turn = otel_traced_tests::installing_turn();
    let guard = installed_with(Names::default());
    let shared = ShutDowns::default();
    assert_eq!(
        otel_traced::Config::from_vars([("OTEL_TRACES_SAMPLER", "always_on")])
            .span_exporter(shared.clone())
            .install()
            .err(),
        Some(InitError::AlreadyInitialized)
    );
    assert_eq!(
        shared.0.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "not shut down by a refused install"
    );
    guard.shutdown().expect("a clean shutdown");
}

#[test]
fn a_call_sites_spans_follow_each_installed_provider() {
    // A call site keeps the tracer of the first provider it saw apart from later
    // ones (`route::TracerCache`): each installation must still get its own spans.
    let _turn = otel_traced_tests::installing_turn();
    let exporters = [Names::default(), Names::default(), Names::default()];
    for exporter in &exporters {
        let guard = installed_with(exporter.clone());
        checkout();
        guard.shutdown().expect("a clean shutdown");
    }
    checkout(); // nothing installed: recorded nowhere
    for (installation, exporter) in exporters.iter().enumerate() {
        assert_eq!(
            exporter.taken(),
            ["checkout"],
            "installation {installation}"
        );
    }
}

/// An exporter whose own code is traced: a helper starting its own trace.
#[derive(Clone, Debug, Default)]
struct Relaying(Names);

#[traced(root)]
fn relay(spans: usize) -> usize {
    spans
}

impl otel_traced::sdk::trace::SpanExporter for Relaying {
    async fn export(
        &self,
        batch: Vec<otel_traced::sdk::trace::SpanData>,
    ) -> otel_traced::sdk::error::OTelSdkResult {
        relay(batch.len());
        self.0.export(batch).await
    }
}

#[test]
fn an_exporters_own_traced_code_is_not_exported_even_as_a_root() {
    // The export runs with telemetry suppressed: a span of its own would feed the
    // next export, one per batch, for ever.
    let _turn = otel_traced_tests::installing_turn();
    let exporter = Relaying::default();
    let guard = installed_with(exporter.clone());
    checkout();
    guard.force_flush().expect("exported");
    checkout();
    guard.shutdown().expect("a clean shutdown");
    assert_eq!(exporter.0.taken(), ["checkout", "checkout"]);
}

/// Three attributes and three events.
#[traced(attrs(order.lines = 3_i64, order.total = 30_i64))]
fn busy(sku: &str) {
    otel_traced::event!("reserved");
    otel_traced::event!("paid");
    otel_traced::event!("shipped");
    let _ = sku;
}

#[test]
fn span_limits_come_from_the_configuration_not_the_process_environment() {
    let _turn = otel_traced_tests::installing_turn();
    // The SDK would read these from the process environment itself.
    // SAFETY: as for `set_disabled`.
    unsafe { std::env::set_var("OTEL_SPAN_EVENT_COUNT_LIMIT", "100") };
    let exporter = Names::default();
    let guard = otel_traced::Config::from_vars([
        ("OTEL_ATTRIBUTE_COUNT_LIMIT", "2"),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", "1"),
    ])
    .span_exporter(exporter.clone())
    .install()
    .expect("installed");
    busy("book");
    guard.shutdown().expect("a clean shutdown");
    // SAFETY: as for `set_disabled`.
    unsafe { std::env::remove_var("OTEL_SPAN_EVENT_COUNT_LIMIT") };
    let spans = exporter.taken_spans();
    let span = spans
        .iter()
        .find(|span| span.name == "busy")
        .expect("its span");
    // Six: `code.function.name`, `code.file.path`, `code.line.number`, `sku` and
    // the two of `attrs`; the first two kept.
    let kept: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(kept, ["code.function.name", "code.file.path"]);
    assert_eq!(span.dropped_attributes_count, 4);
    assert_eq!(span.events.len(), 1, "{:?}", span.events);
    assert_eq!(span.events.dropped_count, 2);
}

/// Sets an attribute through the API, as code inside a traced call may.
#[traced]
fn sets_through_the_api() {
    otel_traced::opentelemetry::trace::get_active_span(|span| {
        span.set_attribute(otel_traced::opentelemetry::KeyValue::new(
            "through.the.api",
            "0123456789",
        ));
    });
}

#[test]
fn spans_flushed_by_a_shutdown_are_cut_to_the_installed_length_limit() {
    let _turn = otel_traced_tests::installing_turn();
    let exporter = Names::default();
    let guard = otel_traced::Config::from_vars([
        ("OTEL_TRACES_SAMPLER", "always_on"),
        ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "4"),
    ])
    .span_exporter(exporter.clone())
    .install()
    .expect("installed");
    sets_through_the_api();
    // Still queued: the shutdown's flush exports it.
    guard.shutdown().expect("a clean shutdown");
    let spans = exporter.taken_spans();
    let value = spans[0]
        .attributes
        .iter()
        .find(|attribute| attribute.key.as_str() == "through.the.api")
        .map(|attribute| attribute.value.clone());
    assert_eq!(value, Some("0123".into()), "{spans:#?}");
}

#[test]
fn a_client_key_file_without_a_key_is_refused_at_init() {
    let _turn = otel_traced_tests::installing_turn();
    let certificate = otel_traced_tests::receiver::fixture_path("client.pem");
    let certificate = certificate.to_str().expect("a UTF-8 path");
    for protocol in ["grpc", "http/protobuf"] {
        let error = otel_traced::Config::from_vars([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", certificate),
            // A certificate where the key should be.
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", certificate),
            ("OTEL_METRICS_EXPORTER", "none"),
        ])
        .install()
        .expect_err("a certificate is no key");
        assert_eq!(
            error.to_string(),
            format!(
                "the OTLP exporter could not be set up: {certificate} holds no PEM private key (no items found): give the client's key, in PEM (PKCS#8, PKCS#1 or SEC1)"
            ),
            "{protocol}"
        );
    }
}

#[test]
fn a_certificate_file_without_a_certificate_is_refused_at_init() {
    let _turn = otel_traced_tests::installing_turn();
    let path =
        std::env::temp_dir().join(format!("otel-traced-key-only-{}.pem", std::process::id()));
    std::fs::write(
        &path,
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
    )
    .expect("a temporary file");
    for (protocol, endpoint) in [
        ("grpc", "https://collector:4317"),
        ("grpc", "http://collector:4317"),
        ("http/protobuf", "https://collector:4318"),
        ("http/protobuf", "http://collector:4318"),
    ] {
        let error = otel_traced::Config::from_vars([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
            (
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
                path.to_str().expect("UTF-8"),
            ),
            ("OTEL_METRICS_EXPORTER", "none"),
        ])
        .install()
        .expect_err("a key is no certificate");
        assert_eq!(
            error.to_string(),
            format!(
                "the OTLP exporter could not be set up: {} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA's certificate, in PEM",
                path.display()
            ),
            "{protocol} {endpoint}"
        );
    }
    let _ = std::fs::remove_file(&path);
}

#[traced]
fn captured_call() {
    checkout();
}

#[test]
fn a_capture_and_the_installed_pipeline_keep_their_spans_apart() {
    let _turn = otel_traced_tests::installing_turn();
    let exporter = Names::default();
    let guard = installed_with(exporter.clone());
    // Captures on other threads meanwhile, and calls outside any capture.
    let captures: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| otel_traced::testing::capture(captured_call)))
        .collect();
    checkout();
    let captured = otel_traced::testing::capture(captured_call);
    checkout();
    for capture in captures {
        let capture = capture.join().expect("the capture ran");
        assert_eq!(capture.tree(), "captured_call\n└─ checkout\n");
    }
    assert_eq!(captured.tree(), "captured_call\n└─ checkout\n");
    guard.shutdown().expect("a clean shutdown");
    assert_eq!(
        exporter.taken(),
        ["checkout", "checkout"],
        "the installed pipeline gets the calls outside the captures, and only them"
    );
}

/// A writer whose writes wait while it is closed, as standard output does while
/// the application holds its lock; it notes that a write came.
#[derive(Clone, Default)]
struct Gate(std::sync::Arc<(std::sync::Mutex<GateState>, std::sync::Condvar)>);

#[derive(Default)]
struct GateState {
    open: bool,
    /// The writes tried so far.
    tries: usize,
    written: Vec<u8>,
}

impl Gate {
    fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.0
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn open(&self) {
        self.set_open(true);
    }

    fn set_open(&self, open: bool) {
        self.state().open = open;
        self.0.1.notify_all();
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.state().written).into_owned()
    }

    /// Waits, ten seconds at most, until `done` holds of what was written.
    fn wait_for(&self, done: impl Fn(&GateState) -> bool) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut state = self.state();
        while !done(&state) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            state = (self.0.1.wait_timeout(state, left))
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        true
    }
}

impl std::io::Write for Gate {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut state = self.state();
        state.tries += 1;
        self.0.1.notify_all();
        while !state.open {
            state = (self.0.1.wait(state)).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        state.written.extend_from_slice(bytes);
        self.0.1.notify_all();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Opens the gate when dropped, so that a failed assertion leaves no thread waiting.
struct Opens(Gate);

impl Drop for Opens {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// A console writing through a gate, installed with `shutdown_timeout`, which
/// printed a request's tree: its guard, the gate (opened again when the `Opens`
/// drops) and the request's context.
fn printed_a_request(
    shutdown_timeout: std::time::Duration,
) -> (otel_traced::Guard, Gate, Opens, Context) {
    let gate = Gate::default();
    gate.open();
    let opens = Opens(gate.clone());
    let guard = otel_traced::Config::from_vars([("OTEL_TRACES_SAMPLER", "always_on")])
        .span_exporter(otel_traced::ConsoleExporter::with_writer(gate.clone()))
        .shutdown_timeout(shutdown_timeout)
        .install()
        .expect("installed");
    let context = request();
    assert!(
        gate.wait_for(|state| String::from_utf8_lossy(&state.written).contains("request")),
        "the request is printed about when it ends"
    );
    (guard, gate, opens, context)
}

#[test]
fn a_flush_returns_within_its_deadline_while_the_consoles_output_blocks() {
    let _turn = otel_traced_tests::installing_turn();
    let (guard, gate, _opens, context) = printed_a_request(std::time::Duration::from_millis(500));
    // The output blocks from now on; a task continuing the request is held for
    // the flush to print, and another request's tree blocks in the output.
    gate.set_open(false);
    let tries = gate.state().tries;
    {
        let _request = context.attach();
        spawned_task();
    }
    checkout();
    assert!(
        gate.wait_for(|state| state.tries > tries),
        "the next tree is printed about when its root ends"
    );
    let (done, flushed) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let flushes = [(); 3].map(|()| guard.force_flush());
        let _ = done.send((flushes, guard));
    });
    let (flushes, guard) = flushed
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the flushes return while the output still blocks");
    assert!(
        flushes.iter().all(Result::is_err),
        "each flush says it did not finish"
    );
    // Linux lists a process's threads by name.
    #[cfg(target_os = "linux")]
    assert_eq!(
        console_flush_threads(),
        2,
        "one printing, one queued after it: the third flush waits for that one"
    );
    gate.open();
    guard
        .shutdown()
        .expect("a clean shutdown once the output takes text");
    assert!(gate.text().contains("spawned_task"), "{}", gate.text());
    assert!(gate.text().contains("checkout"), "{}", gate.text());
}

#[test]
fn spans_the_console_held_past_a_shutdown_whose_output_blocked_are_counted_lost() {
    let _turn = otel_traced_tests::installing_turn();
    let (guard, gate, _opens, context) = printed_a_request(std::time::Duration::from_millis(300));
    gate.set_open(false);
    {
        let _request = context.attach();
        spawned_task();
    }
    // Exported (and so counted exported) into the console, which holds it for
    // the flush to print; the printing blocks in the output.
    guard
        .force_flush()
        .expect_err("the flush's printing did not finish");
    let shut_down = guard.shutdown().expect_err("the output still blocks");
    assert_eq!(shut_down.dropped_spans(), 1, "{shut_down}");
    assert!(
        !shut_down
            .to_string()
            .contains("every one of the spans was exported"),
        "{shut_down}"
    );
}

/// The threads of this process printing held spans for a flush (named
/// `otel-traced-late-spans`, which Linux cuts to 15 bytes).
#[cfg(target_os = "linux")]
fn console_flush_threads() -> usize {
    let tasks = std::fs::read_dir("/proc/self/task").expect("Linux lists the threads");
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "otel-traced-lat")
        .count()
}

#[traced]
fn request() -> Context {
    Context::current()
}

#[traced]
fn spawned_task() {}

#[test]
fn a_console_exporter_given_prints_what_it_holds_at_a_flush() {
    let _turn = otel_traced_tests::installing_turn();
    let (guard, gate, _opens, context) = printed_a_request(std::time::Duration::from_secs(5));
    // A task that continues the request after it was printed: held for more of
    // its trace to come, until the flush.
    {
        let _request = context.attach();
        spawned_task();
    }
    guard.force_flush().expect("flushed");
    assert!(gate.text().contains("spawned_task"), "{}", gate.text());
    guard.shutdown().expect("a clean shutdown");
}

#[test]
fn an_endpoint_the_exporter_refuses_is_shown_without_its_secrets() {
    let _turn = otel_traced_tests::installing_turn();
    // Each signal's exporter alone: the spans', the logs', the metrics'.
    let signals = [
        ("otlp", "none", "none"),
        ("none", "otlp", "none"),
        ("none", "none", "otlp"),
    ];
    for protocol in ["http/protobuf", "grpc"] {
        for endpoint in [
            // Two colons: our check reads a host, the exporter's URI parser none.
            // (User information is refused before the exporter sees it.)
            "https://collector::4318/?api_key=s3cr3t",
            "https://collector:4318/?api_key=s3cr3t and more",
        ] {
            for (traces, logs, metrics) in signals {
                let error = otel_traced::Config::from_vars([
                    ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
                    ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
                    ("OTEL_TRACES_EXPORTER", traces),
                    ("OTEL_LOGS_EXPORTER", logs),
                    ("OTEL_METRICS_EXPORTER", metrics),
                ])
                .install()
                .expect_err("the exporter refuses the endpoint")
                .to_string();
                assert!(
                    error.starts_with("the OTLP exporter could not be set up")
                        && error.contains("https://")
                        && !error.contains("s3cr3t"),
                    "{protocol} {endpoint} ({traces}, {logs}, {metrics}): {error}"
                );
            }
        }
    }
}

#[traced(code = false)]
fn retried(order: u64) -> Result<(), String> {
    for attempt in 0..5_u64 {
        otel_traced::record!(attempt = attempt);
    }
    Err(format!("gave up on {order}"))
}

#[traced(code = false)]
fn described(order: u64) {
    otel_traced::record!(attempt = 1_u64, note = "a", extra = "b");
    let _ = order;
}

/// A boundary with its `code.*` attributes.
#[otel_traced::traced_rpc(http, route = "/orders/{id}")]
fn get_order(request: http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

#[test]
fn a_key_set_again_takes_no_place_of_the_attribute_count_limit() {
    let _turn = otel_traced_tests::installing_turn();
    let kept = Names::default();
    let guard = otel_traced::Config::from_vars([
        ("OTEL_TRACES_SAMPLER", "always_on"),
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "3"),
    ])
    .span_exporter(kept.clone())
    .install()
    .expect("installed");
    let _ = retried(7);
    described(8);
    get_order(http::Request::get("/orders/7").body(()).unwrap());
    guard.shutdown().expect("exported");
    let spans = kept.taken_spans();
    let [retried, described, boundary] = &spans[..] else {
        panic!("three spans: {spans:#?}");
    };
    let attributes = |span: &otel_traced::sdk::trace::SpanData| {
        (span.attributes.iter())
            .map(|kv| (kv.key.to_string(), kv.value.to_string()))
            .collect::<Vec<_>>()
    };
    // Three keys: the last attempt and the outcome are kept.
    assert_eq!(
        attributes(retried),
        [
            ("order", "7"),
            ("attempt", "4"),
            ("error.type", "alloc::string::String")
        ]
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
    );
    assert_eq!(retried.dropped_attributes_count, 0);
    // Four keys: the first three, one counted as dropped.
    assert_eq!(
        attributes(described),
        [("order", "8"), ("attempt", "1"), ("note", "a")]
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
    );
    assert_eq!(described.dropped_attributes_count, 1);
    // A boundary's required attributes come before the recommended `code.*` ones.
    let keys: Vec<_> = attributes(boundary)
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    assert_eq!(keys, ["http.request.method", "http.route", "url.path"]);
}

/// An exporter whose first export does not return until `release` is sent to
/// or dropped (a collector that takes the connection and never answers).
#[derive(Debug)]
struct Hangs {
    started: std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>>,
    release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl otel_traced::sdk::trace::SpanExporter for Hangs {
    async fn export(
        &self,
        _batch: Vec<otel_traced::sdk::trace::SpanData>,
    ) -> otel_traced::sdk::error::OTelSdkResult {
        let started = self.started.lock().unwrap().take();
        if let Some(started) = started {
            let _ = started.send(());
            let _ = self.release.lock().unwrap().recv();
        }
        Ok(())
    }
}

#[traced]
fn tick() {}

#[test]
fn a_full_queue_is_counted_also_while_an_export_hangs() {
    let _turn = otel_traced_tests::installing_turn();
    let (started, export_started) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel();
    let guard = otel_traced::Config::from_vars([("OTEL_TRACES_SAMPLER", "always_on")])
        .span_exporter(Hangs {
            started: std::sync::Mutex::new(Some(started)),
            release: std::sync::Mutex::new(released),
        })
        .max_queue_size(16)
        .max_export_batch_size(4)
        .scheduled_delay(std::time::Duration::from_millis(10))
        .install()
        .expect("installed");
    tick();
    export_started
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the first export started");
    for _ in 0..300 {
        tick();
    }
    // 301 ended, 1 given to the hung export; at the last check (the 256th) all
    // but the queue's 16 and a batch's 4 were dropped: 256 - 1 - 20.
    assert_eq!(guard.dropped_spans(), 235);
    drop(release);
    let shut_down = guard.shutdown().expect_err("spans were lost");
    assert_eq!(shut_down.dropped_spans(), 301 - 1 - 16, "{shut_down}");
}

/// An output whose reader is gone (a pipe into `head` that exited).
struct Closed;

impl std::io::Write for Closed {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn spans_the_console_could_not_write_are_counted_lost() {
    let _turn = otel_traced_tests::installing_turn();
    let guard = installed_with(otel_traced::ConsoleExporter::with_writer(Closed));
    checkout();
    {
        let _request = request().attach();
        spawned_task();
    }
    let flushed = guard
        .force_flush()
        .expect_err("the flush says what was lost");
    // Both trees and the task held for the flush to print.
    assert_eq!(flushed.dropped_spans(), 3, "{flushed}");
    assert!(
        (flushed.to_string()).starts_with("3 span(s) were not printed"),
        "{flushed}"
    );
    assert!(!flushed.to_string().contains("not exported"), "{flushed}");
    assert_eq!(guard.dropped_spans(), 3);
    checkout();
    let shut_down = guard
        .shutdown()
        .expect_err("the shutdown counts every span lost");
    assert_eq!(shut_down.dropped_spans(), 4, "{shut_down}");
    // Said as what it is, not as a queue to raise or an endpoint to check.
    assert_eq!(
        shut_down.to_string(),
        "4 span(s) were not printed: the console's output was closed (its reader gone, as `| head` does) or a write to it blocked until the time given ran out (a lock of stdout or stderr held where the guard drops)"
    );
}

/// A console printing to an open [`Gate`], installed; its guard and the gate.
fn printing_to_a_gate() -> (otel_traced::Guard, Gate) {
    let gate = Gate::default();
    gate.open();
    let guard = installed_with(otel_traced::ConsoleExporter::with_writer(gate.clone()));
    (guard, gate)
}

/// What the console printed once `guard` shut down, asserted one trace's tree.
fn printed_as_one_tree(guard: otel_traced::Guard, gate: &Gate) -> String {
    guard.shutdown().expect("printed");
    let printed = gate.text();
    assert_eq!(
        printed.matches("\ntrace ").count(),
        1,
        "one tree: {printed}"
    );
    printed
}

/// A service of this process, called by [`gateway_injecting_by_hand`].
#[otel_traced::traced_rpc(http, route = "/stock", carrier = incoming)]
fn serve_stock(incoming: http::Request<()>) {
    let _ = incoming;
}

/// Calls [`serve_stock`] through code of its own written to the API (a client
/// middleware), which injects the current context with the global propagator.
#[traced]
fn gateway_injecting_by_hand() {
    let mut headers = std::collections::HashMap::new();
    otel_traced::opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&Context::current(), &mut headers);
    });
    let mut request = http::Request::builder().method("GET").uri("/stock");
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    serve_stock(request.body(()).expect("a request"));
}

#[test]
fn a_call_injected_by_code_of_the_applications_own_prints_in_its_callers_tree() {
    let _turn = otel_traced_tests::installing_turn();
    let (guard, gate) = printing_to_a_gate();
    gateway_injecting_by_hand();
    let printed = printed_as_one_tree(guard, &gate);
    let lines: Vec<&str> = printed.lines().filter(|line| !line.is_empty()).collect();
    assert!(
        lines[1].starts_with("gateway_injecting_by_hand "),
        "{printed}"
    );
    assert!(lines[2].starts_with("└─ GET /stock (server) "), "{printed}");
}

/// A caller's request in this process, calling [`serve_stock`] with an annotated
/// client.
#[traced]
fn gateway_with_a_client() {
    let mut request = http::Request::builder()
        .method("GET")
        .uri("/stock")
        .body(())
        .expect("a request");
    call_another_service(&mut request);
    serve_stock(request);
}

/// Sets the global propagator back as `init()` leaves it when dropped, for the
/// tests after one that set its own, also where that one failed.
struct RestoresPropagator;

impl Drop for RestoresPropagator {
    fn drop(&mut self) {
        otel_traced::opentelemetry::global::set_text_map_propagator(
            otel_traced::opentelemetry::propagation::TextMapCompositePropagator::new(vec![
                Box::new(otel_traced::propagation::TraceContextPropagator::new()),
                Box::new(otel_traced::propagation::BaggagePropagator::new()),
            ]),
        );
    }
}

#[test]
fn an_annotated_clients_callee_prints_in_its_tree_under_a_propagator_of_the_applications() {
    let _turn = otel_traced_tests::installing_turn();
    let (guard, gate) = printing_to_a_gate();
    let _restores = RestoresPropagator;
    otel_traced::opentelemetry::global::set_text_map_propagator(
        otel_traced::sdk::propagation::TraceContextPropagator::new(),
    );
    gateway_with_a_client();
    printed_as_one_tree(guard, &gate);
}

#[test]
fn init_keeps_a_propagator_the_application_set_unless_one_is_chosen() {
    use otel_traced::opentelemetry::global;
    use otel_traced::opentelemetry::propagation::TextMapPropagator;
    let _turn = otel_traced_tests::installing_turn();
    let _restores = RestoresPropagator;
    // Sorted: a composite lists them in the order of a hash set of its own.
    let fields = || {
        let mut fields = global::get_text_map_propagator(|propagator| {
            propagator.fields().map(str::to_owned).collect::<Vec<_>>()
        });
        fields.sort_unstable();
        fields
    };
    let b3 = otel_traced::propagation::B3Propagator::new();
    let mut b3_fields: Vec<String> = TextMapPropagator::fields(&b3).map(str::to_owned).collect();
    b3_fields.sort_unstable();
    global::set_text_map_propagator(b3);
    let guard = otel_traced::Config::from_vars([("OTEL_TRACES_EXPORTER", "none")])
        .install()
        .expect("installed");
    assert_eq!(fields(), b3_fields, "the application's, kept");
    drop(guard);
    let guard = otel_traced::Config::from_vars([
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_PROPAGATORS", "tracecontext"),
    ])
    .install()
    .expect("installed");
    assert_eq!(fields(), ["traceparent", "tracestate"], "the ones chosen");
    drop(guard);
}

/// A server passing its caller's context on as it came (extracted from the
/// request, injected into the next): that context's span is the caller's.
#[otel_traced::traced_rpc(http, route = "/forward", carrier = incoming)]
fn serve_forwarding(incoming: http::Request<()>) -> std::collections::HashMap<String, String> {
    let received: std::collections::HashMap<String, String> = (incoming.headers().iter())
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
        .collect();
    let mut forwarded = std::collections::HashMap::new();
    otel_traced::opentelemetry::global::get_text_map_propagator(|propagator| {
        let callers = propagator.extract(&received);
        propagator.inject_context(&callers, &mut forwarded);
    });
    forwarded
}

#[test]
fn a_server_passing_its_callers_context_on_prints_when_it_ends() {
    const CALLERS: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let _turn = otel_traced_tests::installing_turn();
    let (guard, gate) = printing_to_a_gate();
    let request = http::Request::builder()
        .uri("/forward")
        .header("traceparent", CALLERS)
        .body(())
        .expect("a request");
    let forwarded = serve_forwarding(request);
    assert_eq!(
        forwarded.get("traceparent").map(String::as_str),
        Some(CALLERS),
        "passed on as it came"
    );
    // Not held for the caller's span, which never ends here (30 s).
    assert!(
        gate.wait_for(|state| String::from_utf8_lossy(&state.written).contains("/forward")),
        "printed about when it ends"
    );
    guard.shutdown().expect("printed");
}

/// Serves a B3 caller's request and calls another service with `request`.
#[otel_traced::traced_rpc(http, route = "/zipkin", carrier = incoming)]
fn serve_zipkin_caller(incoming: http::Request<()>, outgoing: &mut http::Request<()>) {
    let _ = incoming;
    call_another_service(outgoing);
}

/// A client calling another service (in this process or not) with `request`.
#[otel_traced::traced_rpc(client, http)]
fn call_another_service(request: &mut http::Request<()>) {
    let _ = request;
}

#[test]
fn otel_propagators_b3_continues_a_zipkin_callers_trace_and_carries_it_on() {
    let _turn = otel_traced_tests::installing_turn();
    const CALLER_TRACE: &str = "463ac35c9f6413ad48485a3953bb6124";
    const CALLER_SPAN: &str = "a2fb4a1d1a96d312";
    for (propagators, received, sent) in [
        (
            "b3",
            vec![("b3", format!("{CALLER_TRACE}-{CALLER_SPAN}-1"))],
            vec!["b3"],
        ),
        // A trace the caller debugs is one in the calls this service makes.
        (
            "b3",
            vec![("b3", format!("{CALLER_TRACE}-{CALLER_SPAN}-d"))],
            vec!["b3"],
        ),
        (
            "tracecontext,b3multi",
            vec![
                ("x-b3-traceid", CALLER_TRACE.to_owned()),
                ("x-b3-spanid", CALLER_SPAN.to_owned()),
                ("x-b3-sampled", "1".to_owned()),
            ],
            vec!["traceparent", "x-b3-sampled", "x-b3-spanid", "x-b3-traceid"],
        ),
    ] {
        let kept = Names::default();
        let guard = otel_traced::Config::from_vars([
            ("OTEL_PROPAGATORS", propagators),
            // Parent-based: a span is recorded because the B3 caller's was.
            ("OTEL_TRACES_SAMPLER", "parentbased_always_off"),
        ])
        .span_exporter(kept.clone())
        .install()
        .expect("installed");
        let mut incoming = http::Request::get("/zipkin");
        for (name, value) in &received {
            incoming = incoming.header(*name, value);
        }
        // A gateway's copy of the incoming headers: none of the caller's B3
        // headers travel on beside this service's.
        let mut outgoing = http::Request::get("http://stock.internal/items")
            .header("b3", format!("{CALLER_TRACE}-{CALLER_SPAN}-1"))
            .header("x-b3-parentspanid", CALLER_SPAN)
            .body(())
            .unwrap();
        serve_zipkin_caller(incoming.body(()).unwrap(), &mut outgoing);
        guard.shutdown().expect("exported");
        let spans = kept.taken_spans();
        let [client, server] = &spans[..] else {
            panic!("a server and a client span under the caller's: {spans:#?}");
        };
        assert_eq!(server.span_context.trace_id().to_string(), CALLER_TRACE);
        assert_eq!(server.parent_span_id.to_string(), CALLER_SPAN);
        assert!(server.parent_span_is_remote);
        assert_eq!(client.parent_span_id, server.span_context.span_id());
        let mut names: Vec<&str> = outgoing
            .headers()
            .keys()
            .map(|name| name.as_str())
            .collect();
        names.sort_unstable();
        assert_eq!(names, sent, "OTEL_PROPAGATORS={propagators}");
        let client_ids = |trace_header: &str, span_header: &str| {
            let header = |name: &str| outgoing.headers()[name].to_str().unwrap().to_owned();
            (header(trace_header), header(span_header))
        };
        let expected = (
            CALLER_TRACE.to_owned(),
            client.span_context.span_id().to_string(),
        );
        if propagators == "b3" {
            let state = &received[0].1[received[0].1.len() - 1..];
            assert_eq!(
                outgoing.headers()["b3"],
                format!("{}-{}-{state}", expected.0, expected.1)
            );
        } else {
            assert_eq!(client_ids("x-b3-traceid", "x-b3-spanid"), expected);
            assert_eq!(outgoing.headers()["x-b3-sampled"], "1");
        }
    }
}

/// Every function's duration asked for where no metrics are exported is said at
/// installation, once for each; with metrics exported, nothing is said.
#[test]
fn function_metrics_asked_for_without_metrics_exported_are_said() {
    use std::io::Write as _;
    const NAME: &str = "function_metrics_asked_for_without_metrics_exported_are_said";
    let phase = |name: &str| writeln!(std::io::stderr(), "phase: {name}").expect("written");
    if std::env::var_os(otel_traced_tests::CHILD).is_some() {
        let installed = |config: otel_traced::Config| {
            config
                .install()
                .expect("installed")
                .shutdown()
                .expect("a clean shutdown");
        };
        phase("by the variable");
        installed(otel_traced::Config::from_vars([
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_TRACED_FUNCTION_METRICS", "true"),
        ]));
        phase("by the builder");
        installed(
            otel_traced::Config::from_vars([
                ("OTEL_TRACES_EXPORTER", "none"),
                ("OTEL_METRICS_EXPORTER", "none"),
            ])
            .function_metrics(true),
        );
        phase("exported");
        installed(otel_traced::Config::from_vars([
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_METRICS_EXPORTER", "console"),
            ("OTEL_TRACED_FUNCTION_METRICS", "true"),
        ]));
        phase("not asked for");
        installed(otel_traced::Config::from_vars([(
            "OTEL_TRACES_EXPORTER",
            "none",
        )]));
        phase("end");
        return;
    }
    let output = otel_traced_tests::passes_in_a_child_process(NAME, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = "otel-traced: OTEL_TRACED_FUNCTION_METRICS (or Config::function_metrics) asks for \
                every function's otel_traced.function.duration, but no metrics are exported";
    let phases: Vec<usize> = stderr
        .split("phase: ")
        .skip(1)
        .map(|phase| phase.matches(said).count())
        .collect();
    assert_eq!(phases, [1, 1, 0, 0, 0], "{stderr}");
}

/// `let _ = init()?;` drops the guard at the end of its statement, and every span
/// after it goes nowhere: the first such span says so on stderr, once. A guard
/// dropped after spans opened while it lived (a program's end, with threads
/// still running; a test's capture) or shut down by a call says nothing.
#[test]
fn a_guard_dropped_before_any_span_is_said_by_the_first_span_after_it() {
    use std::io::Write as _;
    const NAME: &str = "a_guard_dropped_before_any_span_is_said_by_the_first_span_after_it";
    let installed = || {
        otel_traced::Config::from_vars([("OTEL_TRACES_EXPORTER", "none")])
            .install()
            .expect("installed")
    };
    // Straight to stderr, as the notice goes, past the test harness's capture.
    let phase = |name: &str| writeln!(std::io::stderr(), "phase: {name}").expect("written");
    if std::env::var_os(otel_traced_tests::CHILD).is_some() {
        phase("used, then dropped");
        let guard = installed();
        assert!(has_span());
        drop(guard);
        assert!(!has_span());
        phase("shut down unused");
        installed().shutdown().expect("a clean shutdown");
        assert!(!has_span());
        phase("used by a capture, then dropped");
        let guard = installed();
        otel_traced::testing::capture(|| assert!(has_span()));
        drop(guard);
        assert!(!has_span());
        phase("dropped unused, reinstalled");
        drop(installed());
        let guard = installed();
        assert!(has_span());
        drop(guard);
        assert!(!has_span());
        phase("dropped unused");
        let _ = installed();
        assert!(!has_span());
        assert!(!has_span());
        return;
    }
    let output = otel_traced_tests::passes_in_a_child_process(NAME, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = "otel-traced: a span began after otel-traced's guard was dropped, none having \
                begun while it lived";
    let (before, last_phase) = stderr
        .rsplit_once("phase: dropped unused\n")
        .expect("the child's last phase");
    assert!(!before.contains(said), "{stderr}");
    assert_eq!(last_phase.matches(said).count(), 1, "{stderr}");
}

/// A gRPC export's header named as binary metadata (`-bin`), which tonic's
/// exporter cannot send, is refused at installation with its reason and the
/// variable that named it.
#[test]
fn a_binary_grpc_header_is_refused_with_its_reason() {
    let _turn = otel_traced_tests::installing_turn();
    let refused = otel_traced::Config::from_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-token-bin=abc"),
    ])
    .install();
    let Err(error) = refused else {
        panic!("a -bin header installed");
    };
    let said = error.to_string();
    assert!(
        said.contains("OTEL_EXPORTER_OTLP_HEADERS")
            && said.contains("`x-token-bin`: a name ending in `-bin` is binary metadata"),
        "{said}"
    );
}
