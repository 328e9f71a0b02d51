//! The span catalog: what every annotated function of this binary declares, and the
//! two conflicts `catalog::check()` reports.

use otel_traced::catalog::{Conflict, ValueKind};
use otel_traced::opentelemetry::trace::SpanKind;
use otel_traced::traced;

#[derive(Debug)]
#[allow(
    dead_code,
    reason = "only its type is named: the entry is listed, not called"
)]
struct Cart;

type Quantity = u32;

#[expect(dead_code, reason = "listed by the catalog, not called")]
#[traced(name = "orders.place", kind = server, attrs(http.request.method = "POST", order.note = %"rush", url.full = url))]
fn place(
    order_id: u64,
    customer: &str,
    // An alias, not listed: a name of one word could be an impl's parameter.
    quantity: Quantity,
    #[attr] cart: &Cart,
    url: &str,
    tags: Vec<String>,
    unrecorded: &Cart,
) -> Result<(), String> {
    let _ = (order_id, customer, quantity, cart, url, tags, unrecorded);
    Ok(())
}

/// A value of the application's that says how it is recorded.
mod ids {
    pub struct OrderRef(pub u64);

    impl otel_traced::AsAttribute for OrderRef {
        fn as_attribute(&self) -> otel_traced::opentelemetry::Value {
            otel_traced::opentelemetry::Value::I64(self.0.cast_signed())
        }
    }
}

/// Recorded by default for implementing `AsAttribute`, behind a reference too.
#[traced]
fn ship(order: ids::OrderRef, previous: &ids::OrderRef) -> u64 {
    order.0 + previous.0
}

#[expect(dead_code, reason = "listed by the catalog, not called")]
#[traced]
fn generic<T>(value: T, flag: bool) -> T {
    let _ = flag;
    value
}

/// A method of a generic impl: the catalog's entry cannot name the impl's
/// parameters (its `static` is an item of its own), so a parameter of such a type
/// is not listed, as a function's own generic one is not; the others keep their
/// kinds, whatever their lifetimes.
struct Shelf<'a, T>(Vec<(T, &'a str)>);

impl<'a, T: std::fmt::Debug> Shelf<'a, T> {
    #[traced]
    fn stock(&mut self, item: T, label: &'a str, count: u32) {
        let _ = count;
        self.0.push((item, label));
    }
}

/// A method of an impl whose parameter has a name like any type's: in a method,
/// only the standard library's types and paths from a module are named.
struct Bin<Item>(Vec<Item>);

impl<Item: std::fmt::Debug> Bin<Item> {
    #[traced]
    fn put(&mut self, item: Item, note: &str, quantity: Quantity, origin: std::string::String) {
        let _ = (note, quantity, origin);
        self.0.push(item);
    }
}

/// An associated function of a generic impl taking neither `self` nor `Self`: the
/// macro cannot tell it from a free function, and names no type it cannot be sure
/// of, so that the `catalog` feature never breaks a build.
struct Router<Body>(std::marker::PhantomData<Body>);

impl<Body> Router<Body> {
    #[traced]
    fn route(body: Body, path: &str) -> usize {
        let _ = body;
        path.len()
    }
}

/// A method of an impl with an associated type and a const parameter, and a
/// parameter whose type binds its own lifetime: the catalog's entry names none of
/// the impl's parameters and keeps the `for<'a>`.
trait Repo {
    type Id: Copy;
}

struct Rows;

impl Repo for Rows {
    type Id = u64;
}

struct Store<R: Repo, const N: usize>(std::marker::PhantomData<R>);

impl<R: Repo, const N: usize> Store<R, N> {
    #[traced]
    fn fetch(
        &self,
        id: R::Id,
        page: [u8; N],
        check: &dyn for<'a> Fn(&'a str) -> bool,
        limit: u32,
    ) -> bool {
        let _ = (id, page);
        check("row") && limit > 0
    }
}

/// An associated function of an impl whose const parameter has a long name.
struct Page<const LEN: usize>;

impl<const LEN: usize> Page<LEN> {
    #[traced]
    fn fill(bytes: [u8; LEN], count: u32) -> u32 {
        let _ = bytes;
        count
    }
}

/// Both sides of one gRPC method, as a gateway that also serves it holds them: one
/// span name, client and server, and no conflict.
#[otel_traced::traced_rpc(service = "shop.v1.Inventory", method = "Reserve")]
fn serve_reserve(request: tonic::Request<u32>) -> Result<tonic::Response<u32>, tonic::Status> {
    Ok(tonic::Response::new(request.into_inner()))
}

/// An HTTP server's route, and a function whose span is named like it: the server's
/// spans are `GET /health` and the like, no conflict.
#[otel_traced::traced_rpc(http, route = "/health")]
fn health(request: http::Request<()>) -> http::StatusCode {
    let _ = request;
    http::StatusCode::OK
}

#[otel_traced::traced(name = "/health")]
fn check_health() -> bool {
    true
}

#[otel_traced::traced_rpc(
    client,
    service = "shop.v1.Inventory",
    method = "Reserve",
    server = "inventory:50051"
)]
fn call_reserve(request: tonic::Request<u32>) -> Result<u32, tonic::Status> {
    Ok(*request.get_ref())
}

// The two conflicts: one span name with two kinds, one key with two value kinds.
#[expect(dead_code, reason = "listed by the catalog, not called")]
#[traced(name = "orders.place", kind = client)]
fn place_remotely(order_id: &str) {
    let _ = order_id;
}

/// A key without a dot is the application's own: `state` here is not the
/// registry's deprecated string, so these two are no conflict.
#[expect(dead_code, reason = "listed by the catalog, not called")]
#[traced(attrs(state = level))]
fn at_level(level: i64) {
    let _ = level;
}

#[expect(dead_code, reason = "listed by the catalog, not called")]
#[traced(attrs(state = 3))]
fn at_three() {}

/// Text by an alias, which the macro's check cannot see through (a `&str` written
/// out under `server.port` is a compile error).
type PortText<'a> = &'a str;

/// A value whose type only the compiler knows is listed as `Unknown`, whatever the
/// registry holds for its key (`server.port`, an int): the same key recorded as a
/// string elsewhere is no conflict of the catalog's to report.
#[expect(dead_code, reason = "listed by the catalog, not called")]
#[traced(attrs(server.port = port))]
fn listen_on(port: PortText<'_>) {
    let _ = port;
}

#[expect(dead_code, reason = "listed by the catalog, not called")]
#[traced]
fn listen(#[attr("server.port")] port: PortText<'_>) {
    let _ = port;
}

/// A stream of results: each `Err` item records `error.type`, also written
/// through an alias; none with `err = false`.
#[expect(dead_code, reason = "listed by the catalog, not called")]
#[traced]
fn watch(count: u32) -> impl futures::Stream<Item = Result<u32, String>> {
    futures::stream::iter((0..count).map(Ok))
}

type Watched = Result<u32, String>;

#[expect(dead_code, reason = "listed by the catalog, not called")]
#[traced]
fn watch_aliased(count: u32) -> impl futures::Stream<Item = Watched> {
    futures::stream::iter((0..count).map(Ok))
}

#[expect(dead_code, reason = "listed by the catalog, not called")]
#[traced(err = false)]
fn watch_unrecorded(count: u32) -> impl futures::Stream<Item = Result<u32, String>> {
    futures::stream::iter((0..count).map(Ok))
}

#[expect(dead_code, reason = "listed by the catalog, not called")]
#[traced(ret)]
fn total(order_id: u64) -> u64 {
    order_id
}

/// The line (1-based) of this file that starts with `start`.
fn line_of(start: &str) -> u32 {
    let index = include_str!("catalog.rs")
        .lines()
        .position(|line| line.starts_with(start))
        .expect("the line is in this file");
    u32::try_from(index).unwrap() + 1
}

fn entry(function: &str) -> &'static otel_traced::catalog::Entry {
    otel_traced::catalog()
        .into_iter()
        .find(|entry| entry.function() == function)
        .unwrap_or_else(|| panic!("{function} is in the catalog"))
}

#[test]
fn every_annotated_function_is_listed_with_its_metadata() {
    let functions: Vec<&str> = otel_traced::catalog()
        .iter()
        .map(|e| e.function())
        .collect();
    assert_eq!(
        functions,
        [
            "catalog::Bin<_>::put",
            "catalog::Page<LEN>::fill",
            "catalog::Router<_>::route",
            "catalog::Shelf<'_, _>::stock",
            "catalog::Store<_, N>::fetch",
            "catalog::at_level",
            "catalog::at_three",
            "catalog::call_reserve",
            "catalog::check_health",
            "catalog::generic",
            "catalog::health",
            "catalog::listen",
            "catalog::listen_on",
            "catalog::place",
            "catalog::place_remotely",
            "catalog::serve_reserve",
            "catalog::ship",
            "catalog::total",
            "catalog::watch",
            "catalog::watch_aliased",
            "catalog::watch_unrecorded"
        ]
    );
    for function in ["catalog::watch", "catalog::watch_aliased"] {
        assert_eq!(
            entry(function).attributes(),
            [("count", ValueKind::Int), ("error.type", ValueKind::String)],
            "{function}: a stream's `Err` item records `error.type`"
        );
    }
    assert_eq!(
        entry("catalog::watch_unrecorded").attributes(),
        [("count", ValueKind::Int)],
        "`err = false` records none"
    );
    let place = entry("catalog::place");
    assert_eq!(place.name(), "orders.place");
    assert_eq!(place.kind(), SpanKind::Server);
    assert_eq!(place.file(), file!());
    assert_eq!(place.line(), line_of("fn place("));
    assert_eq!(
        place.attributes(),
        [
            ("order_id", ValueKind::Int),
            ("customer", ValueKind::String),
            ("url", ValueKind::String),
            ("tags", ValueKind::StringArray),
            ("cart", ValueKind::Unknown),
            ("http.request.method", ValueKind::String),
            ("order.note", ValueKind::String),
            ("url.full", ValueKind::Unknown),
            ("error.type", ValueKind::String),
        ]
    );
    assert_eq!(ship(ids::OrderRef(1), &ids::OrderRef(2)), 3);
    assert_eq!(
        entry("catalog::ship").attributes(),
        [
            ("order", ValueKind::Unknown),
            ("previous", ValueKind::Unknown)
        ],
        "an `AsAttribute` recorded by default is listed"
    );
    assert_eq!(
        entry("catalog::generic").attributes(),
        [("flag", ValueKind::Bool)],
        "a generic parameter is not recorded, so not listed"
    );
    assert_eq!(Page::<2>::fill([0; 2], 3), 3);
    assert_eq!(
        entry("catalog::Page<LEN>::fill").attributes(),
        [("count", ValueKind::Int)],
        "the impl's const parameter is not named"
    );
    assert_eq!(Router::<Vec<u8>>::route(Vec::new(), "/a"), 2);
    assert_eq!(
        entry("catalog::Router<_>::route").attributes(),
        [("path", ValueKind::String)],
        "the impl's parameter is not named"
    );
    let mut shelf = Shelf(Vec::new());
    shelf.stock('x', "spare", 1);
    assert_eq!(shelf.0, [('x', "spare")], "the method runs as written");
    assert_eq!(
        entry("catalog::Shelf<'_, _>::stock").attributes(),
        [("label", ValueKind::String), ("count", ValueKind::Int)],
        "a parameter of the impl's type parameter is not listed"
    );
    let mut bin = Bin(Vec::new());
    bin.put('x', "spare", 2, "dock 4".to_owned());
    assert_eq!(bin.0, ['x'], "the method runs as written");
    assert_eq!(
        entry("catalog::Bin<_>::put").attributes(),
        [("note", ValueKind::String), ("origin", ValueKind::String)],
        "the impl's parameter and a name that may be one (an alias here) are not listed"
    );
    let store: Store<Rows, 2> = Store(std::marker::PhantomData);
    assert!(store.fetch(7, [0; 2], &|row| !row.is_empty(), 3));
    assert_eq!(
        entry("catalog::Store<_, N>::fetch").attributes(),
        [("limit", ValueKind::Int)],
        "the impl's parameters are not named, a scalar is listed"
    );
    assert_eq!(
        entry("catalog::total").attributes(),
        [
            ("order_id", ValueKind::Int),
            ("return.value", ValueKind::Unknown)
        ]
    );
}

#[test]
fn check_reports_a_span_name_with_two_kinds_and_a_key_with_two_value_kinds() {
    // The two sides of the boundary run as written, and are no conflict below.
    assert_eq!(call_reserve(tonic::Request::new(3)).ok(), Some(3));
    assert!(serve_reserve(tonic::Request::new(3)).is_ok());
    assert_eq!(
        entry("catalog::call_reserve").name(),
        entry("catalog::serve_reserve").name()
    );
    assert_eq!(health(http::Request::new(())), http::StatusCode::OK);
    assert!(check_health());
    assert_eq!(
        entry("catalog::health").name(),
        entry("catalog::check_health").name()
    );
    assert_eq!(
        otel_traced::catalog::check(),
        [
            Conflict::SpanKind {
                name: "orders.place",
                uses: vec![
                    ("catalog::place", SpanKind::Server),
                    ("catalog::place_remotely", SpanKind::Client),
                ],
            },
            Conflict::ValueKind {
                key: "order_id",
                uses: vec![
                    ("catalog::place", ValueKind::Int),
                    ("catalog::place_remotely", ValueKind::String),
                    ("catalog::total", ValueKind::Int),
                ],
            },
        ]
    );
}

#[test]
fn the_catalog_renders_as_a_markdown_table() {
    let table = otel_traced::catalog::markdown();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "| span | kind | function | location | attributes |"
    );
    assert_eq!(lines[1], "| --- | --- | --- | --- | --- |");
    assert_eq!(lines.len(), 2 + 21);
    let place = lines
        .iter()
        .find(|line| line.starts_with("| `orders.place` |"))
        .expect("the server's row");
    assert_eq!(
        *place,
        format!(
            "| `orders.place` | Server | `catalog::place` | `tests/tests/catalog.rs:{}` | `order_id`: int, `customer`: string, `url`: string, `tags`: string[], `cart`: unknown, `http.request.method`: string, `order.note`: string, `url.full`: unknown, `error.type`: string |",
            line_of("fn place(")
        )
    );
    assert_eq!(
        lines[19],
        format!(
            "| `total` | Internal | `catalog::total` | `tests/tests/catalog.rs:{}` | `order_id`: int, `return.value`: unknown |",
            line_of("fn total(")
        )
    );
}
