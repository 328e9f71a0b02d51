//! Every function form and option of `#[traced]`, checked on captured spans.
// The expansion's own bindings of parameters are no use of `_`-named ones, no
// binding without effect, no shadowing.
#![warn(
    clippy::used_underscore_binding,
    clippy::no_effect_underscore_binding,
    clippy::shadow_same
)]

use otel_traced::opentelemetry::trace::{SpanContext, SpanKind, Status, TraceContextExt};
use otel_traced::opentelemetry::{Context, Value};
use otel_traced::testing::{capture, capture_async};
use otel_traced::traced;
use otel_traced_tests::{assert_child_of, attribute, own_keys, string};
use std::net::Ipv4Addr;

const PLAIN_LINE: u32 = line!() + 2;
#[traced]
fn plain(x: u32) -> u32 {
    x + 1
}

#[test]
fn a_plain_function_opens_one_internal_span_with_code_attributes() {
    let captured = capture(|| plain(2));
    assert_eq!(*captured.output(), 3);
    assert_eq!(captured.spans().len(), 1);
    let span = &captured.spans()[0];
    assert_eq!(span.name, "plain");
    assert_eq!(span.span_kind, SpanKind::Internal);
    assert_eq!(span.status, Status::Unset);
    assert_eq!(span.instrumentation_scope.name(), "otel-traced-tests");
    assert_eq!(
        span.instrumentation_scope.version(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        attribute(span, "code.function.name"),
        Some(&string("forms::plain"))
    );
    assert_eq!(attribute(span, "code.file.path"), Some(&string(file!())));
    assert_eq!(
        attribute(span, "code.line.number"),
        Some(&Value::I64(i64::from(PLAIN_LINE)))
    );
    assert_eq!(attribute(span, "x"), Some(&Value::I64(2)));
    assert_eq!(
        span.parent_span_id,
        otel_traced::opentelemetry::trace::SpanId::INVALID
    );
}

#[traced]
fn outer(depth: u8) -> u8 {
    inner(depth) + inner(depth + 1)
}

#[traced]
fn inner(depth: u8) -> u8 {
    depth
}

#[test]
fn nested_calls_form_a_tree() {
    let captured = capture(|| outer(1));
    assert_eq!(*captured.output(), 3);
    let outer = captured.find("outer").expect("outer span");
    let children = captured.children_of(outer);
    assert_eq!(children.len(), 2);
    for child in &children {
        assert_eq!(child.name, "inner");
        assert_child_of(child, outer);
    }
    assert_eq!(attribute(children[0], "depth"), Some(&Value::I64(1)));
    assert_eq!(attribute(children[1], "depth"), Some(&Value::I64(2)));
    assert_eq!(
        captured.tree(),
        "outer  {depth=1}\n├─ inner  {depth=1}\n└─ inner  {depth=2}\n"
    );
}

struct Account {
    balance: i64,
}

impl Account {
    #[traced]
    fn balance(&self, currency: &str) -> i64 {
        let _ = currency;
        self.balance
    }

    #[traced]
    fn deposit(&mut self, amount: i64) {
        self.balance += amount;
    }

    #[traced]
    fn close(self) -> i64 {
        self.balance
    }

    // The boxed receiver is the form under test.
    #[allow(clippy::boxed_local)]
    #[traced]
    fn close_boxed(self: Box<Self>) -> i64 {
        self.balance
    }

    /// `skip(self)`, as `tracing` users write it.
    #[traced(skip(self, note))]
    fn withdraw(&mut self, amount: i64, note: &str) {
        let _ = note;
        self.balance -= amount;
    }

    #[traced]
    async fn audit(&self, year: u16) -> i64 {
        let _ = year;
        self.balance
    }
}

#[test]
fn methods_with_every_receiver_record_their_parameters_but_not_self() {
    let captured = capture(|| {
        let mut account = Account { balance: 10 };
        account.deposit(5);
        account.withdraw(1, "fee");
        account.deposit(1);
        let balance = account.balance("EUR");
        let closed = account.close();
        let boxed = Box::new(Account { balance: 1 }).close_boxed();
        (balance, closed, boxed)
    });
    assert_eq!(*captured.output(), (15, 15, 1));
    let names: Vec<&str> = captured.spans().iter().map(|s| &*s.name).collect();
    assert_eq!(
        names,
        [
            "deposit",
            "withdraw",
            "deposit",
            "balance",
            "close",
            "close_boxed"
        ]
    );
    assert_eq!(own_keys(captured.find("deposit").unwrap()), ["amount"]);
    assert_eq!(own_keys(captured.find("withdraw").unwrap()), ["amount"]);
    assert_eq!(
        attribute(captured.find("balance").unwrap(), "currency"),
        Some(&string("EUR"))
    );
    assert!(own_keys(captured.find("close").unwrap()).is_empty());
    assert!(own_keys(captured.find("close_boxed").unwrap()).is_empty());
    assert_eq!(
        attribute(captured.find("deposit").unwrap(), "code.function.name"),
        Some(&string("forms::Account::deposit"))
    );
}

/// A method of the same name as `Account::deposit`, in the same module.
struct Till;

impl Till {
    #[traced]
    fn deposit(&self, amount: i64) -> i64 {
        amount
    }
}

#[tokio::test]
async fn code_function_name_is_the_path_with_the_impl_type_or_trait() {
    let captured = capture(|| {
        Account { balance: 0 }.deposit(1);
        Till.deposit(1);
        English.greet("ada");
        Account { balance: 5 }.refund(1);
        English.convert(7);
    });
    let names: Vec<_> = captured
        .spans()
        .iter()
        .map(|span| attribute(span, "code.function.name").cloned())
        .collect();
    assert_eq!(
        names,
        [
            Some(string("forms::Account::deposit")),
            Some(string("forms::Till::deposit")),
            Some(string("<forms::English as forms::Greeter>::greet")),
            // An impl in another module, a trait's type arguments.
            Some(string("forms::ops::<impl forms::Account>::refund")),
            Some(string("<forms::English as forms::Converter<u8>>::convert")),
        ]
    );
    let audited = capture_async(Account { balance: 3 }.audit(2025)).await;
    assert_eq!(
        attribute(audited.find("audit").unwrap(), "code.function.name"),
        Some(&string("forms::Account::audit")),
        "an async fn's body adds nothing to it"
    );
    let nested = capture_async(checkout()).await;
    assert_eq!(
        attribute(nested.find("price").unwrap(), "code.function.name"),
        Some(&string("forms::checkout::price")),
        "a function declared in an annotated one's body is named as without it"
    );
}

/// An impl written in another module than its type.
mod ops {
    use otel_traced::traced;

    impl super::Account {
        #[traced]
        pub(super) fn refund(&self, amount: i64) -> i64 {
            self.balance - amount
        }
    }
}

/// A trait with a type argument.
trait Converter<T> {
    fn convert(&self, value: T) -> String;
}

impl Converter<u8> for English {
    #[traced]
    fn convert(&self, value: u8) -> String {
        value.to_string()
    }
}

#[traced]
async fn checkout() -> u64 {
    #[traced]
    fn price() -> u64 {
        42
    }
    price()
}

#[tokio::test]
async fn async_methods_are_instrumented() {
    let account = Account { balance: 3 };
    let captured = capture_async(account.audit(2025)).await;
    assert_eq!(*captured.output(), 3);
    let span = captured.find("audit").expect("audit span");
    assert_eq!(own_keys(span), ["year"]);
    assert_eq!(attribute(span, "otel_traced.cancelled"), None);
}

trait Greeter {
    fn greet(&self, name: &str) -> String;
}

struct English;

impl Greeter for English {
    #[traced]
    fn greet(&self, name: &str) -> String {
        format!("hello {name}")
    }
}

#[test]
fn trait_implementations_are_instrumented() {
    let captured = capture(|| English.greet("ada"));
    assert_eq!(captured.output(), "hello ada");
    assert_eq!(
        attribute(captured.find("greet").unwrap(), "name"),
        Some(&string("ada"))
    );
}

#[traced]
fn generic<T: Clone, U>(value: T, count: usize, _other: U) -> T
where
    U: Send,
{
    let _ = count;
    value
}

#[traced]
fn with_lifetimes<'a, 'b: 'a>(left: &'a str, right: &'b str) -> &'a str {
    if left.len() >= right.len() {
        left
    } else {
        right
    }
}

/// # Safety
/// `pointer` must be valid for reads.
#[traced]
unsafe fn read_raw(pointer: *const u8) -> u8 {
    // SAFETY: the caller promises `pointer` is valid.
    unsafe { *pointer }
}

#[test]
fn generics_lifetimes_where_clauses_and_unsafe_fns() {
    let byte = 7u8;
    let captured = capture(|| {
        let value = generic(42u64, 2, "other");
        let longer = with_lifetimes("abc", "de");
        // SAFETY: `byte` lives for the whole call.
        let read = unsafe { read_raw(&byte) };
        (value, longer.to_owned(), read)
    });
    assert_eq!(*captured.output(), (42, "abc".to_owned(), 7));
    assert_eq!(
        own_keys(captured.find("generic").unwrap()),
        ["count"],
        "generic `T` and `U` parameters are not recorded, even when T is a scalar"
    );
    assert_eq!(
        own_keys(captured.find("with_lifetimes").unwrap()),
        ["left", "right"]
    );
    assert!(own_keys(captured.find("read_raw").unwrap()).is_empty());
}

#[traced(name = "payment.charge", kind = client)]
fn charge() {}

#[traced(kind = server)]
fn serve() {}

#[traced(kind = producer)]
fn produce() {}

#[traced(kind = consumer)]
fn consume() {}

#[traced(kind = internal)]
fn internal() {}

#[test]
fn name_and_kind_options() {
    let captured = capture(|| {
        charge();
        serve();
        produce();
        consume();
        internal();
    });
    let kinds: Vec<(&str, SpanKind)> = captured
        .spans()
        .iter()
        .map(|s| (&*s.name, s.span_kind.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("payment.charge", SpanKind::Client),
            ("serve", SpanKind::Server),
            ("produce", SpanKind::Producer),
            ("consume", SpanKind::Consumer),
            ("internal", SpanKind::Internal),
        ]
    );
}

#[traced(code = false)]
fn without_code(n: u8) -> u8 {
    n
}

#[test]
fn code_false_leaves_out_the_code_attributes() {
    let captured = capture(|| without_code(1));
    let span = &captured.spans()[0];
    let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["n"]);
}

#[traced(skip(b, d))]
fn skip_listed(a: u8, b: u8, c: u8, d: u8) -> u8 {
    a + b + c + d
}

#[traced(skip_all)]
fn skip_everything(a: u8, b: &str) -> usize {
    usize::from(a) + b.len()
}

#[traced]
fn skip_marked(a: u8, #[skip] b: u8) -> u8 {
    a + b
}

/// The expansion records `unused`: an expectation that the body leaves it unused
/// must not turn into an unfulfilled one (a warning, denied in CI).
#[traced]
fn expects_an_unused_parameter(
    #[expect(unused_variables, reason = "kept for the signature")] unused: u8,
    #[skip]
    #[expect(unused_variables, reason = "kept for the signature")]
    skipped: u8,
    #[cfg_attr(test, expect(unused_variables, reason = "kept for the signature"))] conditional: u8,
    #[cfg_attr(test, cfg_attr(test, expect(unused_variables)))] nested: u8,
) {
}

#[test]
fn skip_options_and_the_skip_attribute() {
    let captured = capture(|| expects_an_unused_parameter(1, 2, 3, 4));
    assert_eq!(
        own_keys(&captured.spans()[0]),
        ["unused", "conditional", "nested"]
    );
    let captured = capture(|| {
        skip_listed(1, 2, 3, 4);
        skip_everything(1, "x");
        skip_marked(1, 2)
    });
    assert_eq!(*captured.output(), 3);
    assert_eq!(own_keys(captured.find("skip_listed").unwrap()), ["a", "c"]);
    assert!(own_keys(captured.find("skip_everything").unwrap()).is_empty());
    assert_eq!(own_keys(captured.find("skip_marked").unwrap()), ["a"]);
}

#[derive(Debug)]
struct Point {
    x: i32,
    y: i32,
}

#[traced]
fn explicit_attributes(
    #[attr] point: Point,
    #[attr("order.id")] id: u64,
    #[attr(display)] address: Ipv4Addr,
    #[attr("peer.address", display)] peer: Ipv4Addr,
    unrecorded: Point,
) -> i32 {
    let _ = (id, address, peer);
    point.x + point.y + unrecorded.x
}

#[test]
fn attr_records_debug_display_and_renames() {
    let captured = capture(|| {
        explicit_attributes(
            Point { x: 1, y: 2 },
            7,
            Ipv4Addr::LOCALHOST,
            Ipv4Addr::new(10, 0, 0, 1),
            Point { x: 0, y: 0 },
        )
    });
    let span = captured.find("explicit_attributes").unwrap();
    assert_eq!(
        own_keys(span),
        ["point", "order.id", "address", "peer.address"]
    );
    assert_eq!(
        attribute(span, "point"),
        Some(&string("Point { x: 1, y: 2 }"))
    );
    assert_eq!(attribute(span, "order.id"), Some(&Value::I64(7)));
    assert_eq!(attribute(span, "address"), Some(&string("127.0.0.1")));
    assert_eq!(attribute(span, "peer.address"), Some(&string("10.0.0.1")));
}

#[traced]
fn explicit_replaces_default(user: u32, #[attr("user")] name: &str) -> u32 {
    let _ = name;
    user
}

#[test]
fn an_explicit_key_replaces_the_default_recording_of_the_same_name() {
    let captured = capture(|| explicit_replaces_default(5, "ada"));
    let span = &captured.spans()[0];
    assert_eq!(own_keys(span), ["user"]);
    assert_eq!(attribute(span, "user"), Some(&string("ada")));
}

#[traced]
fn parent_of_root() -> SpanContext {
    fresh_root()
}

#[traced(root)]
fn fresh_root() -> SpanContext {
    Context::current().span().span_context().clone()
}

#[test]
fn root_starts_a_new_trace() {
    let captured = capture(parent_of_root);
    let parent = captured.find("parent_of_root").unwrap();
    let root = captured.find("fresh_root").unwrap();
    assert_ne!(root.span_context.trace_id(), parent.span_context.trace_id());
    assert_eq!(
        root.parent_span_id,
        otel_traced::opentelemetry::trace::SpanId::INVALID
    );
    assert_eq!(*captured.output(), root.span_context);
}

/// A value an application keeps in the context (a tenant, a request's id).
#[derive(Clone, Debug, PartialEq)]
struct Tenant(&'static str);

fn tenant() -> Option<Tenant> {
    Context::current().get::<Tenant>().cloned()
}

#[traced(root)]
fn job_of_its_own() -> Option<Tenant> {
    tenant()
}

#[traced(parent = remote)]
fn continues_a_message(remote: SpanContext) -> Option<Tenant> {
    let _ = remote;
    tenant()
}

#[traced(parent = parent)]
fn under_a_parent(parent: &Context) -> Option<Tenant> {
    let _ = parent;
    tenant()
}

/// A request whose span each of its calls leaves for a trace of its own.
#[traced]
fn tenants_request() -> [Option<Tenant>; 3] {
    let no_span = Context::current().with_remote_span_context(SpanContext::empty_context());
    [
        job_of_its_own(),
        continues_a_message(SpanContext::empty_context()),
        under_a_parent(&no_span),
    ]
}

#[test]
fn a_new_traces_body_keeps_its_callers_other_context_values() {
    let captured = capture(|| {
        let _tenant = Context::current_with_value(Tenant("acme")).attach();
        tenants_request()
    });
    let request = captured.find("tenants_request").unwrap();
    assert_eq!(
        *captured.output(),
        [
            Some(Tenant("acme")),
            Some(Tenant("acme")),
            Some(Tenant("acme"))
        ]
    );
    for name in ["job_of_its_own", "continues_a_message", "under_a_parent"] {
        let span = captured.find(name).unwrap();
        assert_eq!(
            span.parent_span_id,
            otel_traced::opentelemetry::trace::SpanId::INVALID,
            "{name}: a new trace"
        );
        assert_ne!(
            span.span_context.trace_id(),
            request.span_context.trace_id(),
            "{name}: not the request's"
        );
    }
}

#[traced(sample = never)]
fn never_sampled() {
    background_job();
}

#[traced(root)]
fn background_job() {
    job_step();
}

#[traced]
fn job_step() {}

#[test]
fn a_callers_sampling_hint_stays_in_the_callers_trace() {
    let captured = capture(never_sampled);
    assert!(captured.find("never_sampled").is_none());
    let job = captured.find("background_job").unwrap();
    assert_child_of(
        captured.find("job_step").expect("the sampler's decision"),
        job,
    );
}

#[traced(parent = parent)]
fn child_of_context(parent: &Context) {
    let _ = parent;
}

#[traced(parent = remote)]
fn child_of_span_context(remote: SpanContext) {
    let _ = remote;
}

#[traced]
fn holds_the_parent() -> (Context, SpanContext) {
    let current = Context::current();
    let span_context = current.span().span_context().clone();
    (current, span_context)
}

#[test]
fn parent_takes_a_context_or_a_span_context() {
    let captured = capture(|| {
        let (context, span_context) = holds_the_parent();
        // Called outside `holds_the_parent`: only the explicit parent links them.
        child_of_context(&context);
        child_of_span_context(span_context);
    });
    let parent = captured.find("holds_the_parent").unwrap();
    assert_child_of(captured.find("child_of_context").unwrap(), parent);
    assert_child_of(captured.find("child_of_span_context").unwrap(), parent);
}

#[traced]
fn continues_a_message_without_context() -> SpanContext {
    // What a consumer reads from headers that carried no `traceparent`.
    child_of_span_context(SpanContext::empty_context());
    Context::current().span().span_context().clone()
}

#[test]
fn an_invalid_span_context_as_parent_starts_a_new_trace() {
    // The default sampler's kind: the SDK's parent-based one takes any span in the
    // parent context, valid or not, for a parent.
    use otel_traced::sdk::trace::Sampler;
    let captured = otel_traced::testing::Capture::new()
        .sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .run(continues_a_message_without_context);
    let child = captured
        .find("child_of_span_context")
        .expect("recorded, not dropped as the child of an unsampled parent");
    assert_eq!(
        child.parent_span_id,
        otel_traced::opentelemetry::trace::SpanId::INVALID
    );
    assert_ne!(
        child.span_context.trace_id(),
        captured.output().trace_id(),
        "a trace of its own"
    );
}

struct Inventory {
    count: u32,
    label: String,
}

impl Inventory {
    #[traced]
    fn count_mut(&mut self) -> Result<&mut u32, String> {
        Ok(&mut self.count)
    }

    #[traced]
    fn label(&self, strict: bool) -> Result<&str, String> {
        if strict && self.label.is_empty() {
            return Err("no label".to_owned());
        }
        Ok(&self.label)
    }

    #[traced]
    async fn label_async(&self, text: &str) -> Result<&str, std::num::ParseIntError> {
        let _: u32 = text.parse()?;
        Ok(&self.label)
    }

    #[traced]
    fn items(&self) -> impl Iterator<Item = u32> + '_ {
        0..self.count
    }

    #[traced]
    fn describe(&self) -> Result<Box<dyn std::fmt::Display>, String> {
        Ok(Box::new(self.count))
    }
}

trait Restock {
    async fn restock(&mut self, amount: u32) -> u32;
}

impl Restock for Inventory {
    #[traced]
    async fn restock(&mut self, amount: u32) -> u32 {
        self.count += amount;
        self.count
    }
}

#[traced]
fn shown(value: impl std::fmt::Display, times: usize) -> String {
    value.to_string().repeat(times)
}

#[tokio::test]
async fn borrows_coercions_and_impl_trait_behave_as_without_the_macro() {
    let captured = capture_async(async {
        let mut inventory = Inventory {
            count: 2,
            label: "shelf".to_owned(),
        };
        *inventory.count_mut().unwrap() += 1;
        let label = inventory.label(true).unwrap().to_owned();
        let parsed = inventory.label_async("x").await.is_err();
        let items: Vec<u32> = inventory.items().collect();
        let described = inventory.describe().unwrap().to_string();
        let restocked = inventory.restock(4).await;
        (label, parsed, items, described, restocked, shown(7, 2))
    })
    .await;
    assert_eq!(
        *captured.output(),
        (
            "shelf".to_owned(),
            true,
            vec![0, 1, 2],
            "3".to_owned(),
            7,
            "77".to_owned()
        )
    );
    let names: Vec<&str> = captured.spans().iter().map(|s| &*s.name).collect();
    assert_eq!(
        names,
        [
            "count_mut",
            "label",
            "label_async",
            "items",
            "describe",
            "restock",
            "shown"
        ]
    );
    assert_eq!(
        captured.find("label_async").unwrap().status,
        Status::error("invalid digit found in string")
    );
    assert_eq!(own_keys(captured.find("shown").unwrap()), ["times"]);
    assert_eq!(own_keys(captured.find("restock").unwrap()), ["amount"]);
}

/// Functions written by a `macro_rules!` macro, their parameters and types passed
/// in: the expansion's own names must not take the hygiene of the caller's tokens.
macro_rules! lookup_fn {
    ($name:ident, $param:ident: $ty:ty) => {
        #[traced(ret)]
        fn $name($param: $ty) -> Result<$ty, String> {
            otel_traced::record!(lookup.kind = "cache");
            Ok($param)
        }
    };
}

lookup_fn!(lookup_by_id, id: u64);

/// A `receive` written by a macro, its return type passed in.
macro_rules! receive_fn {
    ($name:ident -> $ret:ty) => {
        #[otel_traced::traced_rpc(messaging, receive, system = "kafka", destination = "orders", batch = return)]
        fn $name(most: usize) -> $ret {
            vec![std::collections::HashMap::<String, String>::new(); most]
        }
    };
}

receive_fn!(receive_headers -> Vec<std::collections::HashMap<String, String>>);

/// A function setting and recording a baggage entry whose key is passed in.
macro_rules! scoped_fn {
    ($name:ident, $key:ident) => {
        #[traced(set_baggage($key = value), baggage($key))]
        fn $name(value: &str) -> Option<String> {
            let _ = value;
            otel_traced::baggage::get(stringify!($key))
        }
    };
}

scoped_fn!(scoped_to_tenant, tenant);

#[test]
fn a_function_written_by_a_macro_records_what_it_is_given() {
    let captured = capture(|| lookup_by_id(7));
    assert_eq!(*captured.output(), Ok(7));
    let span = captured.find("lookup_by_id").expect("the span");
    assert_eq!(attribute(span, "id"), Some(&Value::I64(7)));
    assert_eq!(attribute(span, "return.value"), Some(&Value::I64(7)));
    assert_eq!(attribute(span, "lookup.kind"), Some(&string("cache")));
    let captured = capture(|| receive_headers(2));
    let span = captured.find("receive orders").expect("the receive span");
    assert_eq!(
        attribute(span, "messaging.batch.message_count"),
        Some(&Value::I64(2))
    );
    let captured = capture(|| scoped_to_tenant("acme"));
    assert_eq!(captured.output().as_deref(), Some("acme"));
    let span = captured.find("scoped_to_tenant").expect("the span");
    assert_eq!(attribute(span, "tenant"), Some(&string("acme")));
}

/// A function written by a macro, its return type passed in as a fragment
/// (which the macro sees inside an invisible group).
macro_rules! returning_fn {
    ($name:ident($param:ident) -> $ret:ty, $body:block) => {
        #[traced]
        fn $name($param: u32) -> $ret $body
    };
}

returning_fn!(refuse(x) -> Result<u32, String>, { Err(format!("no {x}")) });
returning_fn!(later(x) -> impl std::future::Future<Output = u32>, { async move { plain(x) } });
returning_fn!(scaled(x) -> impl Fn(&str) -> usize, { move |s| s.len() * x as usize });

#[tokio::test]
async fn a_return_type_passed_to_a_macro_is_read_as_if_written_out() {
    let captured = capture(|| refuse(3));
    let span = captured.find("refuse").expect("the span");
    assert_eq!(span.status, Status::error("no 3"), "an error recorded");
    let captured = capture_async(async { later(4).await }).await;
    assert_eq!(*captured.output(), 5);
    let (later, inside) = (
        captured.find("later").expect("the span"),
        captured.find("plain").expect("the call in the future"),
    );
    assert_child_of(inside, later);
    let captured = capture(|| scaled(2)("abc"));
    assert_eq!(*captured.output(), 6);
}

/// A variant named as the prelude's `String`.
enum Json {
    Null,
    String(String),
}

/// Items and `use`s of the body do not change what the signature names.
#[traced]
fn text(which: u8) -> Option<String> {
    use Json::*;
    let value = if which == 0 {
        Null
    } else {
        String("a".to_owned())
    };
    match value {
        String(text) => Some(text),
        Null => None,
    }
}

#[traced]
async fn text_later(which: u8) -> Option<String> {
    use Json::*;
    match if which == 0 {
        Null
    } else {
        String("b".to_owned())
    } {
        String(text) => Some(text),
        Null => None,
    }
}

#[tokio::test]
async fn a_use_in_the_body_does_not_reach_the_return_type() {
    assert_eq!(*capture(|| text(1)).output(), Some("a".to_owned()));
    assert_eq!(
        *capture_async(text_later(1)).await.output(),
        Some("b".to_owned())
    );
}

/// A parameter configured out has no binding to record; one configured in is
/// recorded as any other.
#[traced]
fn configured(#[cfg(not(test))] hidden: u32, #[cfg(test)] kept: u32, shown: u32) -> u32 {
    kept + shown
}

/// One key per configuration: a parameter configured out clashes with no other
/// declaration of its key under another `cfg`, and replaces a default recording
/// where it is there.
#[traced]
fn per_platform(
    #[cfg(test)]
    #[attr("app.descriptor")]
    handle: u32,
    #[cfg(not(test))]
    #[attr("app.descriptor")]
    descriptor: u32,
    #[cfg(not(test))]
    #[attr("shown")]
    elsewhere: u32,
    shown: u32,
    #[cfg(test)]
    #[attr("hidden")]
    instead: u32,
    hidden: u32,
) -> u32 {
    handle + shown + instead + hidden
}

/// `r#type` is the function `type`, its parameter `r#in` the key `in`.
#[traced]
fn r#type(r#in: u32) -> u32 {
    r#in
}

/// A raw parameter skipped by its name, with `r#` or without.
#[traced(skip(type, r#in))]
fn skipped_raw(r#type: u32, r#in: u32, shown: u32) -> u32 {
    r#type + r#in + shown
}

#[test]
fn configured_parameters_and_raw_identifiers() {
    let captured = capture(|| configured(1, 2));
    let span = captured.find("configured").expect("the span");
    assert_eq!(own_keys(span), ["kept", "shown"]);
    let captured = capture(|| per_platform(3, 4, 5, 6));
    let span = captured.find("per_platform").expect("the span");
    assert_eq!(own_keys(span), ["shown", "app.descriptor", "hidden"]);
    assert_eq!(attribute(span, "app.descriptor"), Some(&Value::I64(3)));
    assert_eq!(attribute(span, "shown"), Some(&Value::I64(4)));
    assert_eq!(
        attribute(span, "hidden"),
        Some(&Value::I64(5)),
        "the declared one"
    );
    let captured = capture(|| r#type(3));
    let span = captured.find("type").expect("named without `r#`");
    assert_eq!(
        attribute(span, "code.function.name"),
        Some(&string("forms::type"))
    );
    assert_eq!(attribute(span, "in"), Some(&Value::I64(3)));
    let captured = capture(|| skipped_raw(1, 2, 3));
    let span = captured.find("skipped_raw").expect("the span");
    assert_eq!(own_keys(span), ["shown"]);
}

/// Returns a closure whose parameter types come from the signature.
#[traced]
fn measurer(unit: u32) -> impl Fn(&str) -> usize {
    move |text| text.len() * unit as usize
}

/// Gives its closure by `return`.
#[traced]
fn limiter(limits: &[usize]) -> impl Fn(&str) -> bool {
    for &limit in limits {
        if limit > 0 {
            return move |text| text.len() <= limit;
        }
    }
    panic!("no limit above 0")
}

/// An `async fn`'s closure, at the end of its body.
#[traced]
async fn async_measurer(unit: u32) -> impl Fn(&str) -> usize {
    move |text| text.len() * unit as usize
}

/// Its closure trait written by its path, as a `#![no_implicit_prelude]` module must.
#[traced]
fn path_measurer(unit: u32) -> impl core::ops::Fn(&str) -> usize {
    move |text| text.len() * unit as usize
}

/// An async closure's, from its `AsyncFn` bound.
#[traced]
fn async_closure_measurer(unit: usize) -> impl AsyncFn(&str) -> usize {
    async move |text| text.len() * unit
}

#[traced]
fn counter(start: u64) -> impl FnMut() -> u64 + Send {
    let mut next = start;
    move || {
        next += 1;
        next
    }
}

#[test]
fn a_returned_closure_takes_its_parameter_types_from_the_signature() {
    let captured = capture(|| {
        let measure = measurer(2);
        let mut count = counter(9);
        let limits = (limiter(&[0, 2])("abc"), limiter(&[2])("ab"));
        let async_measure = futures::executor::block_on(async_measurer(3));
        (
            measure("abc"),
            count(),
            count(),
            limits,
            async_measure("ab"),
            path_measurer(4)("a"),
            futures::executor::block_on(async_closure_measurer(5)("ab")),
        )
    });
    assert_eq!(*captured.output(), (6, 10, 11, (false, true), 6, 4, 10));
    let names: Vec<&str> = captured.spans().iter().map(|s| &*s.name).collect();
    assert_eq!(
        names,
        [
            "measurer",
            "counter",
            "limiter",
            "limiter",
            "async_measurer",
            "path_measurer",
            "async_closure_measurer"
        ]
    );
}

/// Notes, as it is dropped, its name and whether a span was current.
struct Loud {
    name: &'static str,
    drops: Drops,
}

impl Drop for Loud {
    fn drop(&mut self) {
        let in_a_span = Context::current().has_active_span();
        self.drops.lock().push((self.name, in_a_span));
    }
}

/// What the `Loud` values made by one test noted as they were dropped.
#[derive(Clone, Default)]
struct Drops(std::sync::Arc<std::sync::Mutex<Vec<(&'static str, bool)>>>);

impl Drops {
    fn loud(&self, name: &'static str) -> Loud {
        Loud {
            name,
            drops: self.clone(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(&'static str, bool)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The order a function without the macro drops `hand_over`'s values in.
    fn assert_as_without_the_macro(&self) {
        assert_eq!(
            *self.lock(),
            [
                ("local", true),
                ("permit", true),
                ("second", true),
                ("first", true)
            ],
            "the body's locals, then the parameters, last declared first"
        );
    }
}

impl Loud {
    /// Its name, through `&mut self`: a parameter bound `mut` to call it.
    fn name(&mut self) -> &'static str {
        self.name
    }
}

#[traced]
fn hand_over(first: Loud, mut second: Loud, _permit: Loud) -> &'static str {
    let local = first.drops.loud("local");
    let _ = &local;
    second.name()
}

#[test]
fn parameters_are_dropped_as_without_the_macro_and_while_the_span_is_current() {
    let drops = Drops::default();
    let captured = capture(|| {
        hand_over(
            drops.loud("first"),
            drops.loud("second"),
            drops.loud("permit"),
        )
    });
    assert_eq!(*captured.output(), "second");
    drops.assert_as_without_the_macro();
}

#[traced]
async fn hand_over_later(first: Loud, mut second: Loud, _permit: Loud) -> &'static str {
    let local = first.drops.loud("local");
    std::future::ready(()).await;
    let _ = &local;
    second.name()
}

/// A `_`-named parameter of a type without a destructor, plain and in a pattern.
#[traced]
fn quiet_bindings(id: u64, _flag: bool, (_left, right): (u32, u32)) -> u64 {
    id + u64::from(right)
}

#[traced]
async fn quiet_bindings_later(id: u64, _flag: bool) -> u64 {
    id
}

#[test]
fn underscore_named_parameters_are_recorded_as_any_other() {
    let captured = capture(|| quiet_bindings(1, true, (2, 3)));
    assert_eq!(*captured.output(), 4);
    let span = &captured.spans()[0];
    assert_eq!(own_keys(span), ["id", "_flag"], "a pattern is not recorded");
    assert_eq!(attribute(span, "_flag"), Some(&Value::Bool(true)));
    let captured = capture(|| futures::executor::block_on(quiet_bindings_later(5, false)));
    assert_eq!(*captured.output(), 5);
    let span = &captured.spans()[0];
    assert_eq!(own_keys(span), ["id", "_flag"]);
    assert_eq!(attribute(span, "_flag"), Some(&Value::Bool(false)));
}

/// Parameters bound by `_` and by patterns, one binding of which the body leaves
/// unused, one part of which is bound by `_`.
#[traced]
fn hand_over_patterns(
    first: Loud,
    _: Loud,
    (used, _unused): (Loud, Loud),
    (tail, _): (Loud, Loud),
) -> &'static str {
    let _ = (&first, &tail);
    used.name
}

/// A pattern parameter named by the attribute's own expression, which runs before
/// the body, one whose lint attribute is for its bindings, and one named only as
/// a format's width.
#[traced(attrs(
    name.length = name.len(),
    greeting = format!("hello {a}"),
    padded = format!("{:>width$}", "x")
))]
fn named(
    (name, count): (String, u8),
    #[expect(unused_variables)] (a, b): (u8, u8),
    (width, _): (usize, u8),
) -> u8 {
    let _ = name;
    count + a
}

#[test]
fn a_pattern_parameter_is_seen_by_the_attributes_expressions_and_its_lints() {
    let captured = capture(|| named(("abc".to_owned(), 1), (2, 3), (3, 0)));
    assert_eq!(*captured.output(), 3);
    let span = captured.find("named").expect("the span");
    assert_eq!(attribute(span, "name.length"), Some(&Value::I64(3)));
    assert_eq!(attribute(span, "greeting"), Some(&string("hello 2")));
    assert_eq!(attribute(span, "padded"), Some(&string("  x")));
}

#[test]
fn parameters_bound_by_patterns_are_dropped_as_without_the_macro_too() {
    let drops = Drops::default();
    let captured = capture(|| {
        hand_over_patterns(
            drops.loud("first"),
            drops.loud("ignored"),
            (drops.loud("used"), drops.loud("unused")),
            (drops.loud("tail"), drops.loud("rest")),
        )
    });
    assert_eq!(*captured.output(), "used");
    assert_eq!(
        *drops.lock(),
        [
            ("tail", true),
            ("rest", true),
            ("unused", true),
            ("used", true),
            ("ignored", true),
            ("first", true)
        ],
        "last declared first (in a pattern too), in the span"
    );
}

#[tokio::test]
async fn an_async_fns_parameters_are_dropped_as_without_the_macro_too() {
    let drops = Drops::default();
    let later = hand_over_later(
        drops.loud("first"),
        drops.loud("second"),
        drops.loud("permit"),
    );
    let captured = capture_async(later).await;
    assert_eq!(*captured.output(), "second");
    drops.assert_as_without_the_macro();
}

#[traced]
fn hand_over_soon(
    first: Loud,
    mut second: Loud,
    _permit: Loud,
) -> impl std::future::Future<Output = &'static str> {
    let local = first.drops.loud("local");
    let _ = &local;
    async move { second.name() }
}

#[tokio::test]
async fn parameters_of_a_function_returning_a_future_are_dropped_as_without_the_macro() {
    let drops = Drops::default();
    let captured = capture_async(async {
        let soon = hand_over_soon(
            drops.loud("first"),
            drops.loud("second"),
            drops.loud("permit"),
        );
        drops.lock().push(("returned", false));
        soon.await
    })
    .await;
    assert_eq!(*captured.output(), "second");
    assert_eq!(
        *drops.lock(),
        [
            ("local", true),
            ("permit", true),
            ("first", true),
            ("returned", false),
            ("second", true),
        ],
        "the body's locals, then the parameters the future does not own, last \
         declared first, all while the span is current; then the future's own"
    );
}

/// Takes the first item in the attribute's own expression, before the body runs.
#[traced(attrs(first = items.next().unwrap_or_default()))]
fn rest(mut items: std::vec::IntoIter<u64>) -> Vec<u64> {
    items.collect()
}

/// What [`popped`]'s attribute builds.
struct Popped {
    last: Option<u64>,
}

/// Named after a struct literal's `:`, changed before the body runs.
#[traced(attrs(last = Popped { last: items.pop() }.last.unwrap_or_default()))]
fn popped(mut items: Vec<u64>) -> Vec<u64> {
    items
}

/// Named after a range's `..`, changed before the body runs.
#[traced(attrs(span = (0..items.pop().unwrap_or_default()).count()))]
fn ranged(mut items: Vec<u64>) -> Vec<u64> {
    items
}

/// Bound by `ref mut`: the body changes the parameter through the reference.
#[traced]
#[allow(clippy::toplevel_ref_arg, reason = "the form under test")]
fn filled(ref mut buffer: Vec<u8>, byte: u8) -> usize {
    buffer.push(byte);
    buffer.len()
}

#[test]
fn parameters_the_attribute_changes_or_binds_by_reference_keep_their_binding() {
    let captured = capture(|| {
        (
            rest(vec![4, 5, 6].into_iter()),
            filled(vec![1], 2),
            popped(vec![7, 8]),
            ranged(vec![1, 3]),
        )
    });
    assert_eq!(*captured.output(), (vec![5, 6], 2, vec![7], vec![1]));
    let ranged = captured.find("ranged").expect("its span");
    assert_eq!(attribute(ranged, "span"), Some(&Value::I64(3)));
    let popped = captured.find("popped").expect("its span");
    assert_eq!(attribute(popped, "last"), Some(&Value::I64(8)));
    let rest = captured.find("rest").expect("its span");
    assert_eq!(attribute(rest, "first"), Some(&Value::I64(4)));
    let filled = captured.find("filled").expect("its span");
    assert_eq!(attribute(filled, "byte"), Some(&Value::I64(2)));
}

/// A trait method returning a type clippy finds complex: it spares a trait impl's
/// signature, and the expansion's copy of that type is spared as well.
trait Grid {
    #[allow(clippy::type_complexity, reason = "the form under test")]
    fn cells(&self) -> Vec<Vec<Box<(u32, u32, u32, u32)>>>;
}

struct Board;

impl Grid for Board {
    #[traced]
    fn cells(&self) -> Vec<Vec<Box<(u32, u32, u32, u32)>>> {
        vec![vec![Box::new((1, 2, 3, 4))]]
    }
}

#[test]
fn a_trait_method_with_a_complex_return_type_is_instrumented() {
    let captured = capture(|| Board.cells().len());
    assert_eq!(*captured.output(), 1);
    assert!(captured.find("cells").is_some());
}

/// A job whose lease is released when it is dropped; `finish` reads its id only.
struct Job {
    id: u64,
    #[expect(dead_code, reason = "held for its drop")]
    lease: Loud,
}

impl Job {
    #[traced]
    fn finish(self) -> u64 {
        self.id
    }

    #[traced]
    async fn finish_later(self) -> u64 {
        self.id
    }
}

#[test]
fn a_self_taken_by_value_is_dropped_whole_while_the_span_is_current() {
    let drops = Drops::default();
    let captured = capture(|| {
        let job = Job {
            id: 7,
            lease: drops.loud("lease"),
        };
        let later = Job {
            id: 8,
            lease: drops.loud("later lease"),
        };
        (
            job.finish(),
            futures::executor::block_on(later.finish_later()),
        )
    });
    assert_eq!(*captured.output(), (7, 8));
    assert_eq!(
        *drops.lock(),
        [("lease", true), ("later lease", true)],
        "the fields the body did not use go with the span current"
    );
}

/// Clippy's lints that the expansion keeps from firing (its `async fn` awaits, its
/// function returns what the body's closure returned) may be expected as without
/// it: `cargo clippy -D warnings` checks these expectations.
#[traced]
#[expect(clippy::unused_async, reason = "async for its callers")]
async fn ready_now() -> u64 {
    7
}

#[traced]
#[expect(clippy::unnecessary_wraps, reason = "fallible on other platforms")]
fn parsed_here() -> Result<u64, String> {
    Ok(7)
}

/// Clippy's lints of a function's signature, which it does not judge on a
/// function a macro made.
#[traced]
#[expect(clippy::ptr_arg, reason = "the callers hold a Vec")]
fn summed(items: &Vec<u64>) -> u64 {
    items.iter().sum()
}

#[traced]
#[expect(clippy::needless_lifetimes, reason = "named for the reader")]
fn first_word<'a>(text: &'a str) -> &'a str {
    text.split(' ').next().unwrap_or(text)
}

struct Stock(u64);

impl Stock {
    #[traced(skip(self))]
    #[expect(clippy::manual_async_fn, reason = "the future's bounds are spelled")]
    fn counted(&self) -> impl std::future::Future<Output = u64> + Send + '_ {
        async move { self.0 }
    }

    #[traced(skip(self))]
    #[expect(clippy::boxed_local, reason = "a trait object's receiver elsewhere")]
    #[expect(clippy::unused_self, reason = "the same")]
    fn boxed(self: Box<Self>) -> u64 {
        1
    }
}

#[traced]
#[expect(clippy::only_used_in_recursion, reason = "kept for the signature")]
fn countdown(steps: u8, step: u8) -> u8 {
    if steps == 0 {
        0
    } else {
        countdown(steps - 1, step)
    }
}

#[traced]
#[expect(clippy::must_use_candidate, reason = "its callers may ignore it")]
/// Adds.
pub fn pure_sum(a: u64, b: u64) -> u64 {
    a + b
}

#[tokio::test]
async fn expected_clippy_lints_of_the_body_hold() {
    let captured = capture_async(async { (ready_now().await, parsed_here()) }).await;
    assert_eq!(captured.tree(), "ready_now\nparsed_here\n");
    let stock = Box::new(Stock(3));
    let captured = capture_async(async move {
        let counted = stock.counted().await;
        let words = first_word("two words");
        (
            summed(&vec![1, 2]),
            words,
            counted,
            stock.boxed(),
            countdown(2, 1),
            pure_sum(1, 2),
        )
    })
    .await;
    assert_eq!(*captured.output(), (3, "two", 3, 1, 0, 3));
}
