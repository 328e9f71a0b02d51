//! A traced call made by a thread-local's destructor while its thread exits, after
//! OpenTelemetry's current context is gone, runs untraced instead of aborting the
//! process (reaching the context then panics, and a panic in a destructor aborts);
//! so do a log record through our logger, a `tracing` event naming its parent
//! through our layer, a `tracing` span made there (our layer leaves it out) and one
//! made while the thread lived entered there (our layer does not attach it), the
//! baggage functions and `set_baggage`,
//! and a parent given as a span context there, and a task `otel_traced::spawn`
//! starts there and the thread polls; also on a thread that only polled a future
//! opened elsewhere, and a future opened while the thread lived failing there
//! (its exception an event of its span where exceptions are log records: none
//! can be made past the context).
//! The scenarios run in a child process: what they guard against is an abort.

use otel_traced::sdk::error::OTelSdkResult;
use otel_traced::sdk::trace::{SpanData, SpanExporter};
use otel_traced::traced;
use std::sync::{Arc, Mutex, PoisonError};

#[traced(set_baggage(flush.tenant = "acme"))]
fn flush(pending: u64) -> u64 {
    continued(&otel_traced::opentelemetry::trace::SpanContext::NONE);
    otel_traced::record!(flush.pending = pending);
    otel_traced::event!("flushed");
    otel_traced::set_status(otel_traced::opentelemetry::trace::Status::Ok);
    log::info!("flushing {pending}");
    tracing::info!(parent: None, "flushed apart");
    if let Some(kept) = KEPT.get() {
        tracing::info!(parent: kept, "flushed into a kept span");
    }
    otel_traced::baggage::with([("tenant", "acme")], || {
        otel_traced::baggage::get("tenant");
    });
    pending
}

/// A call whose span opens where it is called, and whose future may be polled on
/// another thread.
#[traced]
fn flush_later(pending: u64) -> impl std::future::Future<Output = u64> + Send {
    async move { pending }
}

/// Panics seen by the hook: the API's, when a check made too late reaches a
/// context already gone (caught; seen by a hook set after ours, as this one is in
/// `child`, not by those ours was chained in front of; an abort under
/// `panic = "abort"`).
static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A call continuing a span context (one a message carried, say).
#[traced(parent = carried)]
fn continued(carried: &otel_traced::opentelemetry::trace::SpanContext) {
    let _ = carried;
}

/// A `tracing` span opened on the main thread, which the calls' events name.
static KEPT: std::sync::OnceLock<tracing::Span> = std::sync::OnceLock::new();

/// Counts the records it is given, and those that carry a trace id.
struct Counted;

static RECORDS: Mutex<(usize, usize)> = Mutex::new((0, 0));

impl log::Log for Counted {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let traced = record.key_values().get("trace_id".into()).is_some();
        let mut records = RECORDS.lock().unwrap_or_else(PoisonError::into_inner);
        records.0 += 1;
        records.1 += usize::from(traced);
    }

    fn flush(&self) {}
}

/// Flushes when its thread exits, as a thread-local pool or buffer would.
struct FlushOnExit;

impl Drop for FlushOnExit {
    fn drop(&mut self) {
        assert_eq!(flush(3), 3, "the call still runs");
    }
}

/// Spawns a task with `otel_traced::spawn` when its thread exits, and drives it
/// there (a runtime's last work done by a thread-local's destructor).
struct SpawnOnExit;

impl Drop for SpawnOnExit {
    fn drop(&mut self) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let spawned = runtime.block_on(async { otel_traced::spawn(async { 5 }).await });
        assert_eq!(spawned.expect("the task ran"), 5);
    }
}

/// Opens a `tracing` span when its thread exits (a pool's last work, instrumented
/// with `tracing`), enters one made while the context lived, and drops a future
/// instrumented with it (which enters it too).
struct SpanOnExit;

impl Drop for SpanOnExit {
    fn drop(&mut self) {
        let flushed = tracing::info_span!("exiting").in_scope(|| 6);
        assert_eq!(flushed, 6, "the span's work still runs");
        let kept = KEPT.get().expect("made on the main thread");
        assert_eq!(kept.in_scope(|| 7), 7, "the kept span's work still runs");
        drop(tracing::Instrument::instrument(async {}, kept.clone()));
    }
}

/// Enters a `tracing` span made while the context lived, when its thread exits.
struct EnterOnExit;

impl Drop for EnterOnExit {
    fn drop(&mut self) {
        let kept = KEPT.get().expect("made on the main thread");
        assert_eq!(kept.in_scope(|| 8), 8, "the kept span's work still runs");
    }
}

/// A call whose span opens where it is called, and whose future fails.
#[traced]
fn fail_later() -> impl std::future::Future<Output = Result<u8, std::io::Error>> + Send {
    async { Err(std::io::Error::other("late")) }
}

type Failing =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<u8, std::io::Error>> + Send>>;

/// Polls, when its thread exits, a future opened while the thread lived.
struct PollOnExit(std::cell::RefCell<Option<Failing>>);

impl Drop for PollOnExit {
    fn drop(&mut self) {
        if let Some(failing) = self.0.borrow_mut().take() {
            assert!(
                futures::executor::block_on(failing).is_err(),
                "it still runs"
            );
        }
    }
}

thread_local! {
    static POLL_ON_EXIT: PollOnExit = const { PollOnExit(std::cell::RefCell::new(None)) };
    static ENTER_ON_EXIT: EnterOnExit = const { EnterOnExit };
    static FLUSH_ON_EXIT: FlushOnExit = const { FlushOnExit };
    static SPAWN_ON_EXIT: SpawnOnExit = const { SpawnOnExit };
    static SPAN_ON_EXIT: SpanOnExit = const { SpanOnExit };
}

/// Keeps the names of the spans it is given.
#[derive(Clone, Debug, Default)]
struct Names(Arc<Mutex<Vec<String>>>);

impl SpanExporter for Names {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut names = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        names.extend(batch.into_iter().map(|span| span.name.into_owned()));
        Ok(())
    }
}

/// The thread makes its flusher first (so that it is destroyed last, after the
/// API's context), then makes a traced call, then exits.
fn child() {
    let logger = Box::leak(Box::new(otel_traced::log::with_trace_context(Counted)));
    log::set_logger(logger).expect("the only logger");
    log::set_max_level(log::LevelFilter::Info);
    {
        use tracing_subscriber::layer::SubscriberExt as _;
        let subscriber = tracing_subscriber::registry().with(otel_traced::tracing::layer());
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    }
    let _ = KEPT.set(tracing::info_span!("kept"));
    let names = Names::default();
    let guard = otel_traced::Config::from_vars([("OTEL_TRACES_SAMPLER", "always_on")])
        .span_exporter(names.clone())
        .install()
        .expect("installed");
    // Counted, and still said: a failing assertion of the child shows in the
    // parent's report.
    let said = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |panic| {
        PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        said(panic);
    }));
    std::thread::spawn(|| {
        FLUSH_ON_EXIT.with(|_| ());
        assert_eq!(flush(1), 1);
    })
    .join()
    .expect("the thread exits cleanly");
    // A task spawned and polled by a destructor, past the context: tokio's own
    // thread-locals made first, so that they outlive it.
    std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(async {});
        drop(runtime);
        SPAWN_ON_EXIT.with(|_| ());
        assert_eq!(flush(4), 4);
    })
    .join()
    .expect("the thread exits cleanly");
    // A `tracing` span made past the context, on a thread that made none while it
    // lived (`tracing`'s registry then keeps its own thread-locals alive), after a
    // traced call reached the context.
    std::thread::spawn(|| {
        SPAN_ON_EXIT.with(|_| ());
        continued(&otel_traced::opentelemetry::trace::SpanContext::NONE);
    })
    .join()
    .expect("the thread exits cleanly");
    // The context and `tracing`'s own thread-locals reached first (a span entered
    // under another subscriber), the destructor's thread-local made next, and our
    // layer's (the guards of the spans it entered) last: destroyed before the
    // destructor runs, while the others still live.
    std::thread::spawn(|| {
        continued(&otel_traced::opentelemetry::trace::SpanContext::NONE);
        tracing::subscriber::with_default(tracing_subscriber::registry(), || {
            tracing::info_span!("elsewhere").in_scope(|| ());
        });
        ENTER_ON_EXIT.with(|_| ());
        KEPT.get().expect("made on the main thread").in_scope(|| ());
    })
    .join()
    .expect("the thread exits cleanly");
    exit_past_the_context();
    // A thread that only resumes a future opened elsewhere reaches the context
    // first through the span's poll: the check is made there, while the context
    // lives, and the call on exit runs untraced without the API's panic.
    let later = flush_later(2);
    let panics = PANICS.load(std::sync::atomic::Ordering::SeqCst);
    std::thread::spawn(move || {
        FLUSH_ON_EXIT.with(|_| ());
        assert_eq!(futures::executor::block_on(later), 2);
    })
    .join()
    .expect("the thread exits cleanly");
    assert_eq!(
        PANICS.load(std::sync::atomic::Ordering::SeqCst),
        panics,
        "no panic on the exit of a thread that only polled"
    );
    guard.shutdown().expect("a clean shutdown");
    let names = names.0.lock().unwrap_or_else(PoisonError::into_inner);
    assert_eq!(
        *names,
        [
            "continued",
            "flush",
            "continued",
            "flush",
            "continued",
            "continued",
            "flush_later"
        ],
        "the calls made while the threads lived are traced, those made on their exit are not"
    );
    let records = *RECORDS.lock().unwrap_or_else(PoisonError::into_inner);
    assert_eq!(
        records,
        (5, 2),
        "every call logs, only the one made while its thread lived with its trace id"
    );
}

/// A thread on which only other code reached the context while it lived, then
/// exits calling a traced function: our check is made first on exit, after the
/// API's context is gone.
fn exit_past_the_context() {
    std::thread::spawn(|| {
        FLUSH_ON_EXIT.with(|_| ());
        let _ = otel_traced::opentelemetry::Context::current();
    })
    .join()
    .expect("the thread exits cleanly");
}

/// Keeps the names of the spans it is given that hold an `exception` event.
#[derive(Clone, Debug, Default)]
struct WithExceptions(Arc<Mutex<Vec<String>>>);

impl SpanExporter for WithExceptions {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut names = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        names.extend(
            (batch.into_iter())
                .filter(|span| span.events.iter().any(|event| event.name == "exception"))
                .map(|span| span.name.into_owned()),
        );
        Ok(())
    }
}

/// Counts the log records it exports.
#[derive(Clone, Debug, Default)]
struct LogRecords(Arc<std::sync::atomic::AtomicUsize>);

impl otel_traced::sdk::logs::LogExporter for LogRecords {
    async fn export(&self, batch: otel_traced::sdk::logs::LogBatch<'_>) -> OTelSdkResult {
        (self.0).fetch_add(batch.iter().count(), std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// Exceptions go to logs; a future opened while its thread lived fails when the
/// thread's exit polls it, past the context: the span records it as its event, no
/// log record is made (making one reads the context).
fn exception_child() {
    let spans = WithExceptions::default();
    let records = LogRecords::default();
    let guard = otel_traced::Config::from_vars([
        ("OTEL_TRACES_SAMPLER", "always_on"),
        ("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "logs"),
    ])
    .span_exporter(spans.clone())
    .log_exporter(records.clone())
    .install()
    .expect("installed");
    std::thread::spawn(|| {
        POLL_ON_EXIT.with(|_| ());
        let failing = fail_later();
        POLL_ON_EXIT.with(|exiting| *exiting.0.borrow_mut() = Some(Box::pin(failing)));
    })
    .join()
    .expect("the thread exits cleanly");
    // While the context lives, the same failure is a log record.
    assert!(futures::executor::block_on(fail_later()).is_err());
    guard.shutdown().expect("a clean shutdown");
    let names = spans.0.lock().unwrap_or_else(PoisonError::into_inner);
    assert_eq!(
        *names,
        ["fail_later"],
        "the one that failed past the context"
    );
    assert_eq!(records.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn a_future_failing_on_a_thread_exit_past_the_context_is_recorded_without_a_log() {
    if std::env::var_os(otel_traced_tests::CHILD).is_some() {
        exception_child();
        return;
    }
    otel_traced_tests::passes_in_a_child_process(
        "a_future_failing_on_a_thread_exit_past_the_context_is_recorded_without_a_log",
        &[],
    );
}

/// The application's panic hook is set first, as a panic reporter's is; the
/// calls made on a thread's exit past the context reach it with no panic.
fn quiet_child() {
    std::panic::set_hook(Box::new(|_| {
        PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }));
    let guard = otel_traced::Config::from_vars([("OTEL_TRACES_SAMPLER", "always_on")])
        .span_exporter(Names::default())
        .install()
        .expect("installed");
    exit_past_the_context();
    assert_eq!(
        PANICS.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no panic said to the application's hook"
    );
    guard.shutdown().expect("a clean shutdown");
}

#[test]
fn a_traced_call_on_a_thread_exit_past_the_context_says_no_panic() {
    if std::env::var_os(otel_traced_tests::CHILD).is_some() {
        quiet_child();
        return;
    }
    otel_traced_tests::passes_in_a_child_process(
        "a_traced_call_on_a_thread_exit_past_the_context_says_no_panic",
        &[],
    );
}

#[test]
fn a_traced_call_from_a_thread_local_destructor_runs_untraced() {
    if std::env::var_os(otel_traced_tests::CHILD).is_some() {
        child();
        return;
    }
    otel_traced_tests::passes_in_a_child_process(
        "a_traced_call_from_a_thread_local_destructor_runs_untraced",
        &[],
    );
}
