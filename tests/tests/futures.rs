//! Functions that return futures: `-> impl Future`, boxed futures, `#[async_trait]`
//! methods, and trait default methods.

use otel_traced::opentelemetry::Value;
use otel_traced::opentelemetry::trace::Status;
use otel_traced::testing::{Captured, capture, capture_async};
use otel_traced::traced;
use otel_traced_tests::{assert_child_of, attribute, own_keys, string};
use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

#[traced]
fn fetch_later(id: u32) -> impl Future<Output = u32> {
    let doubled = id * 2;
    async move {
        tokio::task::yield_now().await;
        step().await;
        doubled
    }
}

#[traced]
async fn step() {}

/// Calls `call` in a capture, notes the time, yields, then awaits the future the
/// call returned: a span that opens at the call started before that time.
async fn called_then_awaited<F: Future>(
    call: impl FnOnce() -> F,
) -> Captured<(F::Output, SystemTime)> {
    capture_async(async {
        let future = call();
        let created = SystemTime::now();
        tokio::task::yield_now().await;
        (future.await, created)
    })
    .await
}

#[tokio::test]
async fn an_impl_future_is_instrumented_from_the_call_to_its_completion() {
    let captured = called_then_awaited(|| fetch_later(21)).await;
    let (value, created) = *captured.output();
    assert_eq!(value, 42);
    let span = captured.find("fetch_later").unwrap();
    assert!(span.start_time <= created, "the span opens at the call");
    assert_eq!(attribute(span, "id"), Some(&Value::I64(21)));
    let step = captured.find("step").unwrap();
    assert_child_of(step, span);
    assert!(
        span.end_time >= step.end_time,
        "and ends when the future completes"
    );
}

#[traced]
fn load(id: u32) -> impl Future<Output = Result<u32, std::io::Error>> + Send {
    async move {
        if id == 0 {
            Err(std::io::Error::other("no such id"))
        } else {
            Ok(id)
        }
    }
}

#[tokio::test]
async fn an_impl_future_of_a_result_records_its_error() {
    let captured = capture_async(async { (load(0).await.is_err(), load(1).await.is_ok()) }).await;
    assert_eq!(*captured.output(), (true, true));
    assert_eq!(captured.spans()[0].status, Status::error("no such id"));
    assert_eq!(captured.spans()[1].status, Status::Unset);
}

#[traced]
fn boxed(id: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    let future = async move {
        tokio::task::yield_now().await;
        step().await;
        id + 2
    };
    Box::pin(future)
}

#[tokio::test]
async fn a_boxed_future_is_instrumented() {
    let captured = called_then_awaited(|| boxed(1)).await;
    let (value, created) = *captured.output();
    let span = captured.find("boxed").unwrap();
    assert_eq!(own_keys(span), ["id"]);
    assert!(span.start_time <= created, "the span opens at the call");
    let step = captured.find("step").unwrap();
    assert_eq!(value, 3);
    assert_child_of(step, span);
    assert!(
        span.end_time >= step.end_time,
        "and ends when the future completes"
    );
}

/// Boxed without a pin, as a future that is `Unpin` may be.
#[traced]
fn unpinned(id: u32) -> Box<dyn Future<Output = Result<u32, String>> + Send + Unpin> {
    Box::new(Box::pin(async move {
        tokio::task::yield_now().await;
        step().await;
        if id == 0 {
            Err("no such id".to_owned())
        } else {
            Ok(id)
        }
    }))
}

#[tokio::test]
async fn a_future_boxed_without_a_pin_is_instrumented() {
    let captured = called_then_awaited(|| unpinned(0)).await;
    let (ref value, created) = *captured.output();
    assert!(value.is_err());
    let span = captured.find("unpinned").unwrap();
    assert!(span.start_time <= created, "the span opens at the call");
    assert_child_of(captured.find("step").unwrap(), span);
    assert_eq!(
        span.status,
        Status::error("no such id"),
        "{}",
        captured.tree()
    );
}

#[traced]
fn size_of(id: u32) -> u32 {
    id
}

/// Written as `#[async_trait]` writes a method, but with work before the future.
#[traced]
fn prepared(id: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    let size = size_of(id);
    Box::pin(async move { size + 1 })
}

#[tokio::test]
async fn the_statements_before_a_boxed_async_block_run_in_the_span() {
    let captured = capture_async(async { prepared(1).await }).await;
    assert_eq!(*captured.output(), 2);
    let span = captured.find("prepared").expect("the function's span");
    assert_child_of(captured.find("size_of").expect("the call's span"), span);
}

#[tokio::test]
async fn a_dropped_returned_future_ends_its_span_as_cancelled() {
    let captured = capture_async(async {
        drop(fetch_later(1));
    })
    .await;
    assert_eq!(captured.spans().len(), 1, "one span: {}", captured.tree());
    let span = &captured.spans()[0];
    assert_eq!(span.name, "fetch_later");
    assert_eq!(
        attribute(span, "otel_traced.cancelled"),
        Some(&Value::Bool(true))
    );
}

#[derive(Debug)]
struct NotFound(u64);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "user {} not found", self.0)
    }
}

impl std::error::Error for NotFound {}

#[async_trait::async_trait]
trait UserStore {
    async fn name(&self, id: u64) -> Result<String, NotFound>;
}

struct Memory;

#[async_trait::async_trait]
impl UserStore for Memory {
    #[traced]
    async fn name(&self, id: u64) -> Result<String, NotFound> {
        tokio::task::yield_now().await;
        step().await;
        if id == 1 {
            Ok("ada".to_owned())
        } else {
            Err(NotFound(id))
        }
    }
}

#[async_trait::async_trait]
trait Audit {
    async fn note(&self, event: &str, _: u32);
}

#[async_trait::async_trait]
impl Audit for Memory {
    #[traced]
    async fn note(&self, event: &str, _: u32) {
        let _ = event;
    }
}

#[async_trait::async_trait]
trait Queue {
    async fn rest(&self, items: Vec<u64>) -> Vec<u64>;
}

#[async_trait::async_trait]
impl Queue for Memory {
    /// `#[async_trait]` moves the `mut` into its block; the attribute's own
    /// expression, which runs before it, needs it too.
    #[traced(attrs(last = items.pop().unwrap_or_default()))]
    async fn rest(&self, mut items: Vec<u64>) -> Vec<u64> {
        items
    }
}

#[tokio::test]
async fn an_async_trait_method_whose_attribute_changes_a_mut_parameter_compiles() {
    let captured = capture_async(async { Memory.rest(vec![4, 5]).await }).await;
    assert_eq!(*captured.output(), [4]);
    let span = captured.find("rest").expect("the span");
    assert_eq!(attribute(span, "last"), Some(&Value::I64(5)));
}

#[tokio::test]
async fn an_async_trait_method_records_no_parameter_written_as_a_pattern() {
    // `#[async_trait]` names the `_` parameter `__arg2`: still not recorded.
    let captured = capture_async(async { Memory.note("restock", 7).await }).await;
    assert_eq!(
        own_keys(captured.find("note").expect("the span")),
        ["event"]
    );
}

#[tokio::test]
async fn an_async_trait_method_instruments_its_inner_future_and_records_its_err() {
    let store: Box<dyn UserStore + Send + Sync> = Box::new(Memory);
    let captured =
        capture_async(async { (store.name(1).await.is_ok(), store.name(2).await.is_err()) }).await;
    assert_eq!(*captured.output(), (true, true));
    let spans: Vec<_> = captured
        .spans()
        .iter()
        .filter(|s| s.name == "name")
        .collect();
    assert_eq!(spans.len(), 2);
    assert_eq!(attribute(spans[0], "id"), Some(&Value::I64(1)));
    assert_eq!(spans[0].status, Status::Unset);
    assert_eq!(spans[1].status, Status::error("user 2 not found"));
    assert_eq!(
        attribute(spans[1], "error.type"),
        Some(&string("futures::NotFound"))
    );
    let steps: Vec<_> = captured
        .spans()
        .iter()
        .filter(|s| s.name == "step")
        .collect();
    assert_child_of(steps[0], spans[0]);
    assert_child_of(steps[1], spans[1]);
}

trait Greeter {
    fn name(&self) -> &str;

    #[traced]
    fn greet(&self, punctuation: char) -> String {
        format!("hello {}{punctuation}", self.name())
    }
}

struct Ada;

impl Greeter for Ada {
    fn name(&self) -> &str {
        "ada"
    }
}

#[test]
fn a_trait_default_method_is_instrumented() {
    let captured = capture(|| Ada.greet('!'));
    assert_eq!(captured.output(), "hello ada!");
    assert_eq!(
        attribute(&captured.spans()[0], "punctuation"),
        Some(&string("!"))
    );
}

/// An `async fn` that returns a future: clippy's `async_yields_async` (denied by
/// default) must not fire on the expansion (this file is linted by CI).
#[traced]
async fn spawn_doubling(value: u32) -> tokio::task::JoinHandle<u32> {
    tokio::spawn(async move { value * 2 })
}

/// The error type of the `Ok` below is only written in the signature: the body's
/// future is held to it before the expansion looks at the output.
#[traced]
fn parse_later(
    text: &'static str,
) -> impl Future<Output = Result<u32, Box<dyn std::error::Error + Send + Sync>>> {
    async move {
        let number: u32 = text.parse()?;
        Ok(number)
    }
}

/// The `futures` crate's aliases are futures and streams too.
#[traced]
fn boxed_alias(id: u32) -> futures::future::BoxFuture<'static, Result<u32, String>> {
    Box::pin(async move {
        tokio::task::yield_now().await;
        if id == 0 {
            Err("no id".to_owned())
        } else {
            Ok(id)
        }
    })
}

#[traced]
fn boxed_by_method(id: u32) -> futures::future::BoxFuture<'static, u32> {
    use futures::FutureExt as _;
    async move {
        step().await;
        id + 1
    }
    .boxed()
}

#[traced]
fn numbers(most: u32) -> impl futures::Stream<Item = Result<u32, std::io::Error>> {
    use futures::StreamExt as _;
    futures::stream::iter(0..most).map(Ok)
}

#[traced]
fn boxed_numbers(most: u32) -> futures::stream::BoxStream<'static, u32> {
    use futures::StreamExt as _;
    futures::stream::iter(0..most).boxed()
}

/// Aliases of the `futures` names that are not that crate's: a user's alias of
/// its shape whose output is not its type argument, and tonic's two-type one.
mod user_aliases {
    pub type BoxFuture<'a, T> =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, String>> + Send + 'a>>;
}

mod tonic_like {
    pub type BoxFuture<T, E> =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send>>;
}

#[traced]
fn through_user_alias(id: u32) -> user_aliases::BoxFuture<'static, u32> {
    Box::pin(async move { Ok(id) })
}

#[traced]
fn through_tonic_alias(id: u32) -> tonic_like::BoxFuture<u32, String> {
    Box::pin(async move { Ok(id) })
}

/// What the handlers' futures do: `fetch_later`'s span their child, an `Err` for
/// id 0.
async fn fetched_unless_zero(id: u32) -> Result<u32, String> {
    let fetched = fetch_later(id).await;
    if id == 0 {
        Err("no id".to_owned())
    } else {
        Ok(fetched)
    }
}

/// A tower-like handler, whose future's type is its own.
trait Handler {
    type Future: Future<Output = Result<u32, String>>;

    fn call(&self, id: u32) -> Self::Future;
}

struct Lookup;

impl Handler for Lookup {
    type Future = Pin<Box<dyn Future<Output = Result<u32, String>> + Send>>;

    #[traced(err)]
    fn call(&self, id: u32) -> Self::Future {
        Box::pin(async move { fetched_unless_zero(id).await })
    }
}

/// A tower-like handler that takes what its future needs before it, as a
/// service clones its inner one.
struct Offset(u32);

impl Handler for Offset {
    type Future = Pin<Box<dyn Future<Output = Result<u32, String>> + Send>>;

    // No `err`: its `Result`, which the signature does not show, is read all the same.
    #[traced]
    fn call(&self, id: u32) -> Self::Future {
        let offset = checked_offset(self.0);
        Box::pin(async move {
            let doubled = fetch_later(id).await;
            offset.map(|offset| doubled + offset)
        })
    }
}

#[traced(err)]
fn checked_offset(offset: u32) -> Result<u32, String> {
    if offset == 0 {
        Err("no offset".to_owned())
    } else {
        Ok(offset)
    }
}

/// A tower-like service whose error type only its future's type says, and
/// which is no error type of the standard library's (a boxed error).
struct Forwarding;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Forwarding {
    #[traced]
    fn call(&self, id: u32) -> Pending<Result<u32, BoxError>> {
        Box::pin(async move { Ok(checked_decrement(id).await?) })
    }
}

async fn checked_decrement(id: u32) -> Result<u32, &'static str> {
    id.checked_sub(1).ok_or("no id")
}

/// An alias of the application's own, of no name the macro knows.
type Pending<T> = Pin<Box<dyn Future<Output = T> + Send>>;

#[traced]
fn pending_lookup(id: u32) -> Pending<u32> {
    Box::pin(async move { fetch_later(id).await })
}

#[tokio::test]
async fn a_boxed_async_block_returned_as_a_type_that_hides_it_is_traced_as_a_future() {
    let captured = capture_async(async {
        (
            Lookup.call(0).await,
            Lookup.call(2).await,
            pending_lookup(3).await,
        )
    })
    .await;
    assert_eq!(*captured.output(), (Err("no id".to_owned()), Ok(4), 6));
    let forwarded = capture_async(async {
        (
            Forwarding.call(0).await.map_err(|error| error.to_string()),
            Forwarding.call(2).await.ok(),
        )
    })
    .await;
    assert_eq!(*forwarded.output(), (Err("no id".to_owned()), Some(1)));
    let spans = forwarded.spans();
    assert_eq!(spans.len(), 2);
    assert_eq!(
        spans[0].status,
        Status::error("no id"),
        "its Err, read once it came"
    );
    assert_eq!(spans[1].status, Status::Unset);
    let spans = captured.spans();
    let mut calls = spans.iter().filter(|span| span.name == "call");
    let (failed, done) = (calls.next().unwrap(), calls.next().unwrap());
    assert_eq!(failed.status, Status::error("no id"), "its Err");
    assert_eq!(done.status, Status::Unset);
    let fetched: Vec<_> = spans
        .iter()
        .filter(|span| span.name == "fetch_later")
        .collect();
    assert_eq!(fetched.len(), 3);
    assert_child_of(fetched[0], failed);
    assert_child_of(fetched[1], done);
    assert_child_of(fetched[2], captured.find("pending_lookup").unwrap());
    for (span, child) in [(failed, fetched[0]), (done, fetched[1])] {
        // Ended with its future, after its child.
        assert!(span.end_time >= child.end_time);
        assert_eq!(attribute(span, "otel_traced.cancelled"), None);
    }
}

/// A boxed future whose type the signature leaves to the compiler.
#[traced]
fn boxed_impl(id: u32) -> Pin<Box<impl Future<Output = Result<u32, String>> + Send>> {
    Box::pin(async move { fetched_unless_zero(id).await })
}

/// As `boxed_impl`, with work before the block.
#[traced]
fn prepared_impl(id: u32) -> Pin<Box<impl Future<Output = Result<u32, String>>>> {
    let offset = size_of(id);
    Box::pin(async move { offset.checked_sub(1).ok_or_else(|| "no id".to_owned()) })
}

/// A handler whose body a `macro_rules!` macro passes as an expression.
macro_rules! handler_with_body {
    ($name:ident, $id:ident, $body:expr) => {
        struct $name;

        impl Handler for $name {
            type Future = Pin<Box<dyn Future<Output = Result<u32, String>> + Send>>;

            #[traced]
            fn call(&self, $id: u32) -> Self::Future {
                $body
            }
        }
    };
}

handler_with_body!(
    Written,
    id,
    Box::pin(async move { fetched_unless_zero(id).await })
);

#[tokio::test]
async fn a_boxed_impl_future_and_a_boxed_block_a_macro_passes_are_traced_as_futures() {
    let captured = capture_async(async {
        (
            boxed_impl(0).await,
            prepared_impl(0).await,
            Written.call(0).await,
            Written.call(1).await,
        )
    })
    .await;
    assert_eq!(
        *captured.output(),
        (
            Err("no id".to_owned()),
            Err("no id".to_owned()),
            Err("no id".to_owned()),
            Ok(2)
        )
    );
    for name in ["boxed_impl", "prepared_impl"] {
        let span = captured.find(name).unwrap();
        assert_eq!(span.status, Status::error("no id"), "{name}");
    }
    let spans = captured.spans();
    let calls: Vec<_> = spans.iter().filter(|span| span.name == "call").collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].status,
        Status::error("no id"),
        "its Err, once it came"
    );
    assert_eq!(calls[1].status, Status::Unset);
    let fetched: Vec<_> = spans
        .iter()
        .filter(|span| span.name == "fetch_later")
        .collect();
    assert_eq!(fetched.len(), 3);
    assert_child_of(fetched[0], captured.find("boxed_impl").unwrap());
    assert_child_of(fetched[1], calls[0]);
    assert_child_of(fetched[2], calls[1]);
    for call in calls {
        assert_eq!(attribute(call, "otel_traced.cancelled"), None);
    }
}

#[tokio::test]
async fn statements_before_a_boxed_async_block_returned_as_such_a_type_run_in_its_span() {
    let captured =
        capture_async(async { (Offset(0).call(1).await, Offset(5).call(1).await) }).await;
    assert_eq!(*captured.output(), (Err("no offset".to_owned()), Ok(7)));
    let spans = captured.spans();
    let calls: Vec<_> = spans.iter().filter(|span| span.name == "call").collect();
    let offsets: Vec<_> = spans
        .iter()
        .filter(|span| span.name == "checked_offset")
        .collect();
    let fetched: Vec<_> = spans
        .iter()
        .filter(|span| span.name == "fetch_later")
        .collect();
    assert_eq!((calls.len(), offsets.len(), fetched.len()), (2, 2, 2));
    for ((call, offset), fetch) in calls.iter().zip(&offsets).zip(&fetched) {
        // The statement ran at the call, the block when awaited: both in the span,
        // which ended with its future.
        assert_child_of(offset, call);
        assert_child_of(fetch, call);
        assert!(call.end_time >= fetch.end_time);
        assert_eq!(attribute(call, "otel_traced.cancelled"), None);
    }
    assert_eq!(
        calls[0].status,
        Status::error("no offset"),
        "its future's Err"
    );
    assert_eq!(calls[1].status, Status::Unset);
}

#[tokio::test]
async fn other_aliases_of_those_names_compile_as_before() {
    let captured =
        capture_async(async { (through_user_alias(1).await, through_tonic_alias(2).await) }).await;
    assert_eq!(*captured.output(), (Ok(1), Ok(2)));
    for (name, id) in [("through_user_alias", 1), ("through_tonic_alias", 2)] {
        let span = captured.find(name).expect("its span");
        assert_eq!(attribute(span, "id"), Some(&Value::I64(id)));
        assert_eq!(span.status, Status::Unset);
        assert_eq!(attribute(span, "otel_traced.cancelled"), None);
    }
}

#[tokio::test]
async fn futures_and_streams_whose_types_only_the_signature_writes() {
    use futures::StreamExt as _;
    let captured = capture_async(async {
        let handle = spawn_doubling(4).await;
        let parsed = (
            parse_later("12").await.ok(),
            parse_later("x").await.is_err(),
        );
        let aliased = (
            boxed_alias(0).await,
            boxed_alias(3).await,
            boxed_by_method(1).await,
        );
        let streamed: Vec<_> = numbers(2).collect().await;
        let boxed_streamed: Vec<_> = boxed_numbers(3).collect().await;
        (
            handle.await.ok(),
            parsed,
            aliased,
            streamed.len(),
            boxed_streamed,
        )
    })
    .await;
    assert_eq!(
        *captured.output(),
        (
            Some(8),
            (Some(12), true),
            (Err("no id".to_owned()), Ok(3), 2),
            2,
            vec![0, 1, 2]
        )
    );
    let statuses = |name: &str| -> Vec<Status> {
        captured
            .spans()
            .iter()
            .filter(|span| span.name == name)
            .map(|span| span.status.clone())
            .collect()
    };
    assert_eq!(
        statuses("parse_later"),
        [
            Status::Unset,
            Status::error("invalid digit found in string")
        ]
    );
    assert_eq!(
        statuses("boxed_alias"),
        [Status::error("no id"), Status::Unset],
        "a BoxFuture's span covers the future: it sees its error"
    );
    let boxed = captured.find("boxed_by_method").expect("the span");
    let streamed = captured.find("boxed_numbers").expect("the span");
    assert_eq!(
        attribute(streamed, "otel_traced.messages"),
        Some(&Value::I64(3)),
        "a BoxStream's span lasts until the stream ends"
    );
    assert_child_of(captured.find("step").expect("the future's own call"), boxed);
    assert_eq!(
        attribute(
            captured.find("numbers").expect("the span"),
            "otel_traced.messages"
        ),
        Some(&Value::I64(2))
    );
    assert_eq!(
        attribute(
            captured.find("spawn_doubling").expect("the span"),
            "otel_traced.cancelled"
        ),
        None,
        "the handle it returns is its output"
    );
}

/// A fused future, as `select!` in a loop wants one.
#[traced]
fn fused_fetch(id: u32) -> impl futures::future::FusedFuture<Output = u32> {
    use futures::FutureExt as _;
    async move {
        step().await;
        id
    }
    .fuse()
}

/// A fused future that is `Send` too.
#[traced]
fn fused_beside(id: u32) -> impl futures::future::FusedFuture<Output = u32> + Send {
    use futures::FutureExt as _;
    std::future::ready(id).fuse()
}

/// A fused stream.
#[traced]
fn fused_ids() -> impl futures::stream::FusedStream<Item = u32> {
    use futures::StreamExt as _;
    futures::stream::iter([1, 2]).fuse()
}

#[tokio::test]
async fn fused_futures_and_streams_are_instrumented_to_their_end_and_stay_fused() {
    use futures::future::FusedFuture as _;
    use futures::stream::{FusedStream as _, StreamExt as _};
    let captured = capture_async(async {
        let mut future = Box::pin(fused_fetch(7));
        let created = SystemTime::now();
        tokio::task::yield_now().await;
        let id = (&mut future).await;
        assert!(future.is_terminated(), "fused: terminated once complete");
        let mut ids = Box::pin(fused_ids());
        let all: Vec<u32> = (&mut ids).collect().await;
        assert!(ids.is_terminated());
        ((id + fused_beside(1).await, all), created)
    })
    .await;
    assert_eq!(captured.output().0, (8, vec![1, 2]));
    let fetch = captured.find("fused_fetch").expect("its span");
    assert!(
        fetch.start_time <= captured.output().1,
        "the span opens at the call"
    );
    assert_child_of(captured.find("step").expect("the step"), fetch);
    assert_eq!(
        attribute(
            captured.find("fused_ids").expect("its span"),
            "otel_traced.messages"
        ),
        Some(&Value::I64(2)),
        "a stream: its span lasts to its end"
    );
    let beside = captured.find("fused_beside").expect("its span");
    assert_eq!(attribute(beside, "id"), Some(&Value::I64(1)));
    assert_eq!(attribute(beside, "otel_traced.cancelled"), None);
}

#[traced]
async fn settle(id: u32) -> u32 {
    id
}

/// A future handed on, not run: the span of the call that made it ends at its
/// return (the type is no future the macro sees).
struct Deferred(Pin<Box<dyn Future<Output = u32> + Send>>);

#[traced]
fn creates(id: u32) -> Deferred {
    Deferred(Box::pin(settle(id)))
}

#[traced]
async fn awaits(future: Pin<Box<dyn Future<Output = u32> + Send>>) -> u32 {
    future.await
}

/// An `async fn`'s span opens at its first poll (README; DESIGN §3 has it open at
/// the call), so its parent is the span it is first polled in, not the one that
/// created it.
#[tokio::test]
async fn an_async_fns_span_opens_at_its_first_poll_under_the_poller() {
    let captured = capture_async(async {
        let future = creates(7);
        let created = SystemTime::now();
        tokio::task::yield_now().await;
        (awaits(future.0).await, created)
    })
    .await;
    let (value, created) = *captured.output();
    assert_eq!(value, 7);
    let settled = captured.find("settle").unwrap();
    assert_child_of(settled, captured.find("awaits").unwrap());
    assert!(settled.start_time >= created, "opened when first polled");
    assert!(captured.find("creates").unwrap().end_time <= created);
}

/// A future spelled by its `Result`: a `TryFuture` is a future, by its supertrait.
#[traced]
fn try_fetch(id: u32) -> impl futures::TryFuture<Ok = u32, Error = String> {
    async move { fetched_unless_zero(id).await }
}

#[tokio::test]
async fn a_returned_try_future_is_traced_as_a_future_of_its_result() {
    // Awaited as a future of its `Result` (the opaque type's output is only that).
    let fetched = |id| futures::TryFutureExt::into_future(try_fetch(id));
    let captured = capture_async(async { (fetched(0).await, fetched(2).await) }).await;
    assert_eq!(*captured.output(), (Err("no id".to_owned()), Ok(4)));
    let spans = captured.spans();
    let calls: Vec<_> = spans
        .iter()
        .filter(|span| span.name == "try_fetch")
        .collect();
    let fetched: Vec<_> = spans
        .iter()
        .filter(|span| span.name == "fetch_later")
        .collect();
    assert_eq!((calls.len(), fetched.len()), (2, 2));
    assert_eq!(calls[0].status, Status::error("no id"), "its Err, read");
    assert_eq!(calls[1].status, Status::Unset);
    for (call, fetch) in calls.iter().zip(&fetched) {
        assert_child_of(fetch, call);
        assert!(call.end_time >= fetch.end_time, "ended with its future");
    }
}

#[traced]
async fn collapse_async(at: u8) -> u8 {
    assert!(at > 0, "collapsed at {at}");
    at
}

#[traced]
fn collapse_later(at: u8) -> impl Future<Output = u8> {
    async move {
        assert!(at > 0, "collapsed later at {at}");
        at
    }
}

#[traced]
fn collapsing_items(at: u8) -> impl futures::Stream<Item = u8> {
    futures::StreamExt::map(futures::stream::iter([at]), |at| {
        assert!(at > 0, "collapsed item at {at}");
        at
    })
}

#[test]
fn traced_futures_and_streams_are_unwind_safe_as_their_bodies() {
    use futures::{FutureExt as _, StreamExt as _};
    let captured = capture(|| {
        futures::executor::block_on(async {
            let returned = collapse_async(0).catch_unwind().await;
            let later = collapse_later(0).catch_unwind().await;
            let items: Vec<_> = collapsing_items(0).catch_unwind().collect().await;
            (
                returned.is_err(),
                later.is_err(),
                items.first().is_some_and(Result::is_err),
            )
        })
    });
    assert_eq!(*captured.output(), (true, true, true), "each panic caught");
    for name in ["collapse_async", "collapse_later", "collapsing_items"] {
        let span = captured
            .spans()
            .iter()
            .find(|span| span.name == name)
            .expect("its span");
        assert!(matches!(span.status, Status::Error { .. }), "{name}");
        assert_eq!(
            attribute(span, "error.type"),
            Some(&string("panic")),
            "{name}"
        );
    }
}
