//! Context: parents across `.await` and threads, concurrency, capture isolation,
//! cancellation and sampling.

use otel_traced::opentelemetry::trace::{SpanContext, SpanId, TraceContextExt};
use otel_traced::opentelemetry::{Context, Value};
use otel_traced::sdk::trace::Sampler;
use otel_traced::testing::{Capture, capture, capture_async};
use otel_traced::{AsAttribute, traced};
use otel_traced_tests::{SamplesByName, assert_child_of, attribute};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context as TaskContext, Poll};
use std::thread;

/// The current thread's id as a number, to record where a span ran.
fn thread_number() -> u64 {
    let text = format!("{:?}", thread::current().id());
    text.trim_start_matches("ThreadId(")
        .trim_end_matches(')')
        .parse()
        .unwrap()
}

#[traced]
async fn step(thread: u64) -> u64 {
    thread
}

/// Pending once, then ready: a point where the future can change threads.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            task.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[traced]
async fn travelling() -> (u64, u64) {
    let before = step(thread_number()).await;
    YieldOnce(false).await;
    let after = step(thread_number()).await;
    (before, after)
}

fn multi_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

#[test]
fn parent_and_child_ids_hold_when_the_future_moves_threads() {
    // The first poll runs on a worker of one multi-thread runtime, the rest on a
    // worker of another: the future is certain to change threads at `YieldOnce`.
    let (first, second) = (multi_thread_runtime(), multi_thread_runtime());
    // The spawned task hands back the half-polled future on purpose.
    #[allow(clippy::async_yields_async)]
    let started = first
        .block_on(first.spawn(async {
            let mut future = Box::pin(capture_async(travelling()));
            assert!(futures::poll!(future.as_mut()).is_pending());
            future
        }))
        .unwrap();
    let captured = second.block_on(second.spawn(started)).unwrap();
    let (before, after) = *captured.output();
    assert_ne!(before, after, "the two halves ran on different threads");
    let parent = captured.find("travelling").unwrap();
    let steps = captured.children_of(parent);
    assert_eq!(
        steps
            .iter()
            .map(|step| step.name.as_ref())
            .collect::<Vec<_>>(),
        ["step", "step"],
        "both halves' steps are the parent's children"
    );
    assert_eq!(
        attribute(steps[0], "thread"),
        Some(&Value::I64(before as i64))
    );
    assert_eq!(
        attribute(steps[1], "thread"),
        Some(&Value::I64(after as i64))
    );
    assert_eq!(parent.parent_span_id, SpanId::INVALID);
}

#[traced]
async fn request(id: u32) -> u32 {
    let mut total = 0;
    for round in 0..10 {
        tokio::task::yield_now().await;
        total += lookup(id, round).await;
    }
    total
}

#[traced]
async fn lookup(id: u32, round: u32) -> u32 {
    tokio::task::yield_now().await;
    id + round
}

#[test]
fn concurrent_tasks_on_a_multi_thread_runtime_keep_their_own_parents() {
    let captured = multi_thread_runtime().block_on(capture_async(async {
        let tasks: Vec<_> = (0..16)
            .map(|id| {
                tokio::spawn(
                    otel_traced::opentelemetry::context::FutureExt::with_current_context(request(
                        id,
                    )),
                )
            })
            .collect();
        let mut totals = Vec::new();
        for task in tasks {
            totals.push(task.await.unwrap());
        }
        totals
    }));
    assert_eq!(captured.output().len(), 16);
    let requests: Vec<_> = captured
        .spans()
        .iter()
        .filter(|s| s.name == "request")
        .collect();
    assert_eq!(requests.len(), 16);
    for parent in requests {
        let Some(Value::I64(id)) = attribute(parent, "id") else {
            panic!("id recorded")
        };
        let children = captured.children_of(parent);
        assert_eq!(children.len(), 10);
        for child in children {
            assert_child_of(child, parent);
            assert_eq!(attribute(child, "id"), Some(&Value::I64(*id)));
        }
    }
    assert_eq!(captured.spans().len(), 16 * 11);
}

#[traced]
fn unit_of_work(worker: u32, item: u32) -> u32 {
    worker + item
}

#[traced]
fn fan_out() -> u64 {
    let context = Context::current();
    let handles: Vec<_> = (0..8)
        .map(|worker| {
            let context = context.clone();
            thread::spawn(move || {
                let _attached = context.attach();
                (0..10_000)
                    .map(|item| u64::from(unit_of_work(worker, item)))
                    .sum::<u64>()
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .sum()
}

#[test]
fn eight_threads_times_ten_thousand_calls_leave_exactly_eighty_thousand_spans() {
    let captured = capture(fan_out);
    let parent = captured.find("fan_out").unwrap();
    let work: Vec<_> = captured
        .spans()
        .iter()
        .filter(|span| span.name == "unit_of_work")
        .collect();
    assert_eq!(work.len(), 80_000);
    assert_eq!(captured.spans().len(), 80_001);
    for span in &work {
        assert_child_of(span, parent);
    }
    let mut ids: Vec<_> = work.iter().map(|s| s.span_context.span_id()).collect();
    ids.sort_unstable_by_key(|id| id.to_bytes());
    ids.dedup();
    assert_eq!(ids.len(), 80_000, "every span has its own id");
}

#[traced]
fn marked(capture_number: u32, call: u32) {
    let _ = (capture_number, call);
}

#[test]
fn captures_running_in_parallel_see_only_their_own_spans() {
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2u32)
        .map(|number| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                capture(|| {
                    barrier.wait();
                    for call in 0..500 {
                        marked(number, call);
                    }
                    barrier.wait();
                })
            })
        })
        .collect();
    for (number, handle) in handles.into_iter().enumerate() {
        let captured = handle.join().unwrap();
        assert_eq!(captured.spans().len(), 500);
        for span in captured.spans() {
            assert_eq!(
                attribute(span, "capture_number"),
                Some(&Value::I64(number as i64))
            );
        }
    }
}

#[traced]
fn reports_active_span() -> bool {
    Context::current().has_active_span()
}

#[test]
fn outside_a_capture_with_nothing_installed_no_span_is_opened() {
    assert!(!reports_active_span());
    assert!(*capture(reports_active_span).output());
}

#[traced]
async fn never_finishes(id: u8) {
    let _ = id;
    std::future::pending::<()>().await;
}

#[tokio::test]
async fn a_dropped_future_ends_its_span_once_marked_cancelled() {
    let captured = capture_async(async {
        let mut future = Box::pin(never_finishes(9));
        assert!(futures::poll!(future.as_mut()).is_pending());
        drop(future);
    })
    .await;
    assert_eq!(captured.spans().len(), 1, "ended exactly once");
    let span = &captured.spans()[0];
    assert_eq!(span.name, "never_finishes");
    assert_eq!(
        attribute(span, "otel_traced.cancelled"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        span.status,
        otel_traced::opentelemetry::trace::Status::Unset
    );
}

/// Returns a connection to its pool when dropped, in a span of its own.
struct Connection;

impl Drop for Connection {
    fn drop(&mut self) {
        let context = Context::current();
        let hint = context.span().span_context().clone();
        RELEASES.with(|releases| {
            releases
                .borrow_mut()
                .push(hint.is_valid() && !hint.is_sampled())
        });
        release();
    }
}

thread_local! {
    /// Each connection released on this thread: whether under a span context
    /// sampled out (the hint of a span not recorded).
    static RELEASES: std::cell::RefCell<Vec<bool>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The connections released on this thread since the last call.
fn releases() -> Vec<bool> {
    RELEASES.with(std::cell::RefCell::take)
}

#[traced]
fn release() {}

#[traced]
async fn query_forever(connection: Connection) {
    let _held = Connection;
    let _ = &connection;
    std::future::pending::<()>().await;
}

#[traced]
fn query_later(connection: Connection) -> impl std::future::Future<Output = ()> {
    async move {
        let _ = &connection;
        std::future::pending::<()>().await;
    }
}

#[traced]
fn rows(connection: Connection) -> impl futures::Stream<Item = u8> {
    futures::stream::once(async move {
        let _ = &connection;
        std::future::pending::<u8>().await
    })
}

#[tokio::test]
async fn a_given_up_call_drops_what_its_body_held_with_its_span_current() {
    let captured = capture_async(async {
        let mut forever = Box::pin(query_forever(Connection));
        assert!(futures::poll!(forever.as_mut()).is_pending());
        drop(forever);
        let mut later = Box::pin(query_later(Connection));
        assert!(futures::poll!(later.as_mut()).is_pending());
        drop(later);
        let mut stream = Box::pin(rows(Connection));
        assert!(futures::poll!(futures::StreamExt::next(&mut stream)).is_pending());
        drop(stream);
    })
    .await;
    for (call, connections) in [("query_forever", 2), ("query_later", 1), ("rows", 1)] {
        let span = captured.find(call).expect(call);
        assert_eq!(
            attribute(span, "otel_traced.cancelled"),
            Some(&Value::Bool(true)),
            "{call}"
        );
        let released = captured.children_of(span);
        assert_eq!(
            released.len(),
            connections,
            "{call}: {:#?}",
            captured.spans()
        );
        for child in released {
            assert_eq!(child.name, "release");
        }
    }
}

#[traced(sample = never)]
fn quiet_later(connection: Connection) -> impl std::future::Future<Output = ()> {
    async move {
        let _ = &connection;
        std::future::pending::<()>().await;
    }
}

#[traced(sample = never)]
fn quiet_rows(connection: Connection) -> impl futures::Stream<Item = u8> {
    futures::stream::once(async move {
        let _ = &connection;
        std::future::pending::<u8>().await
    })
}

#[traced(set_baggage(tenant = "acme"))]
fn tenant_rows(seen: Arc<std::sync::Mutex<Option<String>>>) -> impl futures::Stream<Item = u8> {
    let held = TenantSeen(seen);
    futures::stream::once(async move {
        let _ = &held;
        std::future::pending::<u8>().await
    })
}

/// Notes the baggage's tenant when dropped.
struct TenantSeen(Arc<std::sync::Mutex<Option<String>>>);

impl Drop for TenantSeen {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = otel_traced::baggage::get("tenant");
    }
}

#[tokio::test]
async fn a_given_up_stream_drops_what_its_body_held_in_its_context_sampled_or_not() {
    releases();
    let captured = capture_async(async {
        let mut later = Box::pin(quiet_later(Connection));
        assert!(futures::poll!(later.as_mut()).is_pending());
        drop(later);
        let mut stream = Box::pin(quiet_rows(Connection));
        assert!(futures::poll!(futures::StreamExt::next(&mut stream)).is_pending());
        drop(stream);
    })
    .await;
    assert!(
        captured.spans().is_empty(),
        "what a span sampled out held is dropped under its hint: {}",
        captured.tree()
    );
    assert_eq!(releases(), [true, true], "both dropped, under their hints");
    // Nothing installed: the stream's context is its baggage alone.
    let seen = Arc::new(std::sync::Mutex::new(None));
    let mut stream = Box::pin(tenant_rows(Arc::clone(&seen)));
    assert!(futures::poll!(futures::StreamExt::next(&mut stream)).is_pending());
    drop(stream);
    assert_eq!(seen.lock().unwrap().as_deref(), Some("acme"));
}

#[traced(sample = never)]
fn quiet_finite_rows(connection: Connection) -> impl futures::Stream<Item = u8> {
    use futures::StreamExt as _;
    futures::stream::iter([1]).map(move |row| {
        let _ = &connection;
        row
    })
}

#[traced(set_baggage(tenant = "acme"))]
fn tenant_finite_rows(
    seen: Arc<std::sync::Mutex<Option<String>>>,
) -> impl futures::Stream<Item = u8> {
    use futures::StreamExt as _;
    let held = TenantSeen(seen);
    futures::stream::iter([1]).map(move |row| {
        let _ = &held;
        row
    })
}

#[test]
fn a_stream_without_a_recorded_span_drops_its_body_in_its_context_after_its_end() {
    let drained = |stream: &mut std::pin::Pin<Box<dyn futures::Stream<Item = u8>>>| {
        let rows: Vec<u8> = futures::executor::block_on_stream(stream.as_mut()).collect();
        assert_eq!(rows, [1]);
    };
    releases();
    let captured = capture(|| {
        let mut stream: std::pin::Pin<Box<dyn futures::Stream<Item = u8>>> =
            Box::pin(quiet_finite_rows(Connection));
        drained(&mut stream);
        assert_eq!(releases(), [], "held until dropped");
        drop(stream);
    });
    assert!(
        captured.spans().is_empty(),
        "the connection's release is under the sampled-out hint: {}",
        captured.tree()
    );
    assert_eq!(releases(), [true]);
    // Nothing installed: the stream's context is its baggage alone.
    let seen = Arc::new(std::sync::Mutex::new(None));
    let mut stream: std::pin::Pin<Box<dyn futures::Stream<Item = u8>>> =
        Box::pin(tenant_finite_rows(Arc::clone(&seen)));
    drained(&mut stream);
    assert_eq!(seen.lock().unwrap().as_deref(), None, "held until dropped");
    drop(stream);
    assert_eq!(seen.lock().unwrap().as_deref(), Some("acme"));
}

#[traced(set_baggage(tenant = "acme"))]
fn broken_rows(connection: Connection) -> impl futures::Stream<Item = u8> {
    use futures::StreamExt as _;
    futures::stream::iter([1]).map(move |_| {
        let _ = &connection;
        panic!("a corrupt row")
    })
}

#[traced(sample = never)]
fn quiet_broken_rows(connection: Connection) -> impl futures::Stream<Item = u8> {
    use futures::StreamExt as _;
    futures::stream::iter([1]).map(move |_| {
        let _ = &connection;
        panic!("a corrupt row")
    })
}

#[traced(set_baggage(tenant = "acme"))]
fn broken_query(connection: Connection) -> impl Future<Output = ()> {
    std::future::poll_fn(move |_| {
        let _ = &connection;
        panic!("a corrupt row")
    })
}

/// What is recorded when `open` makes a future or stream holding a [`Connection`],
/// whose first poll (`poll`) panics, and which is dropped after its caller caught
/// the panic.
fn dropped_after_a_caught_panic<T>(
    open: impl FnOnce() -> T,
    poll: impl FnOnce(&mut T),
) -> otel_traced::testing::Captured<()> {
    capture(|| {
        let mut held = open();
        let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll(&mut held)));
        assert!(polled.is_err());
        drop(held);
    })
}

fn poll_stream<S: futures::Stream + Unpin>(stream: &mut S) {
    futures::executor::block_on(futures::StreamExt::next(stream));
}

#[test]
fn a_sampled_out_stream_whose_poll_panicked_drops_its_body_under_its_hint() {
    releases();
    let captured =
        dropped_after_a_caught_panic(|| Box::pin(quiet_broken_rows(Connection)), poll_stream);
    assert!(captured.spans().is_empty(), "{}", captured.tree());
    assert_eq!(releases(), [true]);
}

#[test]
fn a_stream_or_future_whose_poll_panicked_drops_its_body_outside_its_ended_span() {
    let stream = dropped_after_a_caught_panic(|| Box::pin(broken_rows(Connection)), poll_stream);
    let future = dropped_after_a_caught_panic(
        || Box::pin(broken_query(Connection)),
        |query| futures::executor::block_on(query),
    );
    for captured in [stream, future] {
        let release = captured.find("release").expect("the connection's release");
        assert_eq!(
            release.parent_span_id,
            SpanId::INVALID,
            "not a child of the span that ended: {}",
            captured.tree()
        );
    }
}

/// Counts how often it is formatted or converted: the side effect that must not
/// happen for a span that is not recorded.
struct Counted(Arc<AtomicUsize>);

impl fmt::Debug for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fetch_add(1, Ordering::SeqCst);
        f.write_str("counted")
    }
}

struct CountedAttribute(Arc<AtomicUsize>);

impl AsAttribute for CountedAttribute {
    fn as_attribute(&self) -> Value {
        self.0.fetch_add(1, Ordering::SeqCst);
        Value::Bool(true)
    }
}

struct CountedError(Arc<AtomicUsize>);

impl fmt::Display for CountedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fetch_add(1, Ordering::SeqCst);
        f.write_str("counted error")
    }
}

#[traced]
fn side_effects(
    #[attr] formatted: Counted,
    converted: CountedAttribute,
    fail: Arc<AtomicUsize>,
) -> Result<(), CountedError> {
    let _ = (formatted, converted);
    Err(CountedError(fail))
}

fn run_side_effects(capture: Capture) -> (usize, usize) {
    let counter = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let (c1, c2, c3) = (counter.clone(), counter.clone(), errors.clone());
    let captured = capture.run(move || side_effects(Counted(c1), CountedAttribute(c2), c3));
    assert!(captured.output().is_err());
    (
        captured.spans().len(),
        counter.load(Ordering::SeqCst) + errors.load(Ordering::SeqCst),
    )
}

#[test]
fn under_always_off_no_attribute_or_error_text_is_evaluated() {
    assert_eq!(
        run_side_effects(Capture::new().sampler(Sampler::AlwaysOff)),
        (0, 0)
    );
    assert_eq!(
        run_side_effects(Capture::new().sampler(Sampler::TraceIdRatioBased(0.0))),
        (0, 0)
    );
    // The same call, recorded: the debug text, the conversion and the error's
    // display each ran once (the status and the event share the error's text).
    let (spans, evaluations) = run_side_effects(Capture::new());
    assert_eq!(spans, 1);
    assert_eq!(evaluations, 3);
}

#[traced]
fn unsampled_parent() -> (SpanContext, SpanContext) {
    (
        Context::current().span().span_context().clone(),
        child_of_unsampled(),
    )
}

#[traced]
fn child_of_unsampled() -> SpanContext {
    Context::current().span().span_context().clone()
}

#[test]
fn children_of_an_unsampled_parent_are_not_sampled_under_parent_based() {
    let captured = Capture::new()
        // The child alone is sampled as a root: one that lost its unsampled
        // parent would be kept.
        .sampler(Sampler::ParentBased(Box::new(SamplesByName {
            name: "child_of_unsampled",
            sampled: true,
        })))
        .run(unsampled_parent);
    let (parent, child) = captured.output();
    assert!(parent.is_valid() && child.is_valid());
    assert!(!parent.is_sampled() && !child.is_sampled());
    assert_eq!(child.trace_id(), parent.trace_id(), "one trace");
    assert!(captured.spans().is_empty());
}

#[otel_traced::traced]
async fn refresh(id: u64) -> u64 {
    tokio::task::yield_now().await;
    id
}

#[otel_traced::traced]
async fn handle_with_refresh(id: u64) -> (u64, bool) {
    let spawned = otel_traced::spawn(refresh(id)).await.expect("the task ran");
    let plain = tokio::spawn(async {
        use otel_traced::opentelemetry::trace::TraceContextExt as _;
        otel_traced::opentelemetry::Context::current().has_active_span()
    })
    .await
    .expect("the task ran");
    (spawned, plain)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_spawned_by_otel_traced_spawn_continues_the_trace() {
    let captured = otel_traced::testing::capture_async(handle_with_refresh(7)).await;
    assert_eq!(
        *captured.output(),
        (7, false),
        "a plain tokio::spawn starts with no span"
    );
    let parent = captured
        .find("handle_with_refresh")
        .expect("the caller's span");
    let child = captured.find("refresh").expect("the task's span");
    otel_traced_tests::assert_child_of(child, parent);
}

#[otel_traced::traced]
async fn follow_up(id: u64) -> u64 {
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    id
}

/// Answers at once, leaving follow-up work to a task of its own.
#[otel_traced::traced]
async fn answer_then_follow_up(id: u64) -> u64 {
    drop(otel_traced::spawn(follow_up(id)));
    id
}

#[otel_traced::traced(root)]
async fn root_then_follow_up(id: u64) -> u64 {
    drop(otel_traced::spawn(follow_up(id)));
    id
}

/// Asserts that the capture holds the span of the follow-up that `call` spawned,
/// ended after the call returned, as a child of the call's.
fn assert_followed_up<R>(captured: &otel_traced::testing::Captured<R>, call: &str) {
    let parent = captured.find(call).expect("the call's span");
    let spawned = captured
        .find("follow_up")
        .expect("the spawned task's span, ended after the call returned");
    assert_child_of(spawned, parent);
}

#[tokio::test(flavor = "current_thread")]
async fn a_capture_holds_the_spans_of_work_that_ends_after_its_call() {
    let captured = capture_async(answer_then_follow_up(3)).await;
    assert_followed_up(&captured, "answer_then_follow_up");
    // Under a root (a new trace's context, as a server's extracted one).
    let captured = capture_async(root_then_follow_up(4)).await;
    assert_followed_up(&captured, "root_then_follow_up");
}

/// A server reading its caller's context by hand (`parent = ..`), answering at
/// once and leaving follow-up work to a task of its own.
#[otel_traced::traced(parent = request)]
async fn served_by_hand(request: Context) -> u64 {
    // Its span opens later: only the context handed on holds the capture open.
    drop(otel_traced::spawn(async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        follow_up(9).await
    }));
    9
}

/// A request with its headers, and where its answer goes.
type HandRequest = (
    std::collections::HashMap<String, String>,
    tokio::sync::oneshot::Sender<u64>,
);

#[otel_traced::traced]
async fn call_by_hand(server: tokio::sync::mpsc::Sender<HandRequest>) -> u64 {
    use otel_traced::opentelemetry::propagation::TextMapPropagator as _;
    let mut headers = std::collections::HashMap::new();
    otel_traced::sdk::propagation::TraceContextPropagator::new()
        .inject_context(&Context::current(), &mut headers);
    let (reply, answer) = tokio::sync::oneshot::channel();
    server
        .send((headers, reply))
        .await
        .expect("the server runs");
    answer.await.expect("an answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_holds_the_work_a_server_continuing_it_by_hand_hands_on() {
    use otel_traced::opentelemetry::propagation::TextMapPropagator as _;
    let (server, mut requests) = tokio::sync::mpsc::channel::<HandRequest>(1);
    // Started outside the capture, as a test's shared server is.
    tokio::spawn(async move {
        while let Some((headers, reply)) = requests.recv().await {
            let parent =
                otel_traced::sdk::propagation::TraceContextPropagator::new().extract(&headers);
            let _ = reply.send(served_by_hand(parent).await);
        }
    });
    let captured = capture_async(call_by_hand(server)).await;
    assert_eq!(*captured.output(), 9);
    assert_child_of(
        captured.find("served_by_hand").expect("the server's span"),
        captured.find("call_by_hand").expect("the caller's span"),
    );
    assert_followed_up(&captured, "served_by_hand");
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_capture_waits_asleep_so_that_a_paused_clock_advances_for_the_work_handed_on() {
    let started = std::time::Instant::now();
    let captured = capture_async(answer_then_follow_up(8)).await;
    // Its 50 ms sleep passed while the capture waited.
    assert_followed_up(&captured, "answer_then_follow_up");
    assert!(
        started.elapsed() < otel_traced::testing::SETTLE / 2,
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_capture_holds_the_spans_of_a_thread_given_its_context() {
    let captured = capture(|| {
        let context = Context::current();
        thread::spawn(move || {
            let _current = context.attach();
            thread::sleep(std::time::Duration::from_millis(50));
            in_thread()
        });
    });
    assert!(captured.find("in_thread").is_some(), "{}", captured.tree());
}

#[traced]
fn in_thread() {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_where_tokio_forbids_blocking_returns_what_it_captured() {
    let captured = tokio::task::LocalSet::new()
        .run_until(async { capture(in_thread) })
        .await;
    assert!(captured.find("in_thread").is_some(), "{}", captured.tree());
}

#[test]
fn a_capture_does_not_wait_long_for_a_span_left_running() {
    let (release, released) = std::sync::mpsc::channel::<()>();
    let started = std::time::Instant::now();
    let captured = capture(|| {
        let context = Context::current();
        thread::spawn(move || {
            let _current = context.attach();
            otel_traced::in_span("left running", || {
                // Released when the capture returned, or after 10 s if it waited.
                let _ = released.recv_timeout(std::time::Duration::from_secs(10));
            });
        });
    });
    let waited = started.elapsed();
    drop(release);
    assert!(captured.find("left running").is_none());
    assert!(
        waited < otel_traced::testing::SETTLE + std::time::Duration::from_secs(3),
        "{waited:?}"
    );
}

/// Continues the trace of a request whose context a test wrote by hand.
#[traced(parent = request)]
fn handle_request(request: &Context) -> u8 {
    let _ = request;
    look_up() + 1
}

#[traced]
fn look_up() -> u8 {
    0
}

#[test]
fn a_span_under_an_explicit_parent_from_outside_is_in_the_capture() {
    use otel_traced::opentelemetry::trace::{TraceFlags, TraceId, TraceState};
    let remote = otel_traced::opentelemetry::trace::SpanContext::new(
        TraceId::from(0x5eed),
        SpanId::from(0x5eed),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    );
    let request = Context::new().with_remote_span_context(remote);
    let captured = capture(|| handle_request(&request));
    let span = captured.find("handle_request").expect("captured");
    assert_eq!(span.span_context.trace_id(), TraceId::from(0x5eed));
    assert_eq!(span.parent_span_id, SpanId::from(0x5eed));
    let child = captured.find("look_up").expect("what its body opens too");
    assert_child_of(child, span);
}

/// A call that makes its context from `Context::new()` (a job detached from the
/// caller's trace on purpose; a test's fixture written by hand, attached rather
/// than passed as `parent`) starts its traces inside the capture all the same,
/// sync or async: the context it attached carries no capture.
#[test]
fn a_context_made_from_nothing_inside_a_capture_stays_in_it() {
    use otel_traced::opentelemetry::trace::{TraceFlags, TraceId, TraceState};
    let captured = capture(|| {
        let _detached = Context::new().attach();
        look_up()
    });
    assert!(captured.find("look_up").is_some(), "{}", captured.tree());
    let remote = SpanContext::new(
        TraceId::from(0xf17e),
        SpanId::from(0xf17e),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    );
    let captured = capture(|| {
        let _fixture = Context::new().with_remote_span_context(remote).attach();
        look_up()
    });
    let span = captured.find("look_up").expect("captured");
    assert_eq!(span.parent_span_id, SpanId::from(0xf17e));
    let captured = futures::executor::block_on(capture_async(async {
        let _detached = Context::new().attach();
        look_up()
    }));
    assert!(captured.find("look_up").is_some(), "{}", captured.tree());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_sync_capture_on_a_runtimes_worker_lets_its_tasks_run_and_keeps_their_spans() {
    // In a task: on the runtime's worker, whose next task is the one spawned.
    let captured = tokio::spawn(async { capture(|| drop(otel_traced::spawn(follow_up(5)))) })
        .await
        .expect("the capture ran");
    assert!(
        captured.find("follow_up").is_some(),
        "the task ran while the capture waited: {}",
        captured.tree()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_sync_capture_on_a_current_thread_runtime_does_not_hold_it_up() {
    let started = std::time::Instant::now();
    let captured = capture(|| drop(otel_traced::spawn(follow_up(5))));
    assert!(
        started.elapsed() < otel_traced::testing::SETTLE / 2,
        "the task could not run while the capture waited: {:?}",
        started.elapsed()
    );
    assert!(captured.spans().is_empty(), "{}", captured.tree());
}

#[test]
fn spawn_outside_a_runtime_panics_at_the_callers_line() {
    if std::env::var_os(otel_traced_tests::CHILD).is_none() {
        otel_traced_tests::passes_in_a_child_process(
            "spawn_outside_a_runtime_panics_at_the_callers_line",
            &[],
        );
        return;
    }
    // A hook of the child process's own: the panic's location.
    let at = std::sync::Arc::new(std::sync::Mutex::new(None));
    let noted = std::sync::Arc::clone(&at);
    std::panic::set_hook(Box::new(move |info| {
        *noted.lock().unwrap() = info.location().map(|at| (at.file().to_owned(), at.line()));
    }));
    let line = line!() + 1;
    let spawned = std::panic::catch_unwind(|| drop(otel_traced::spawn(async {})));
    // The hook back first: a failed assertion would wait on the lock it holds.
    drop(std::panic::take_hook());
    assert!(spawned.is_err(), "no runtime");
    let at = at.lock().unwrap().clone();
    assert_eq!(at, Some((file!().to_owned(), line)));
}
