//! Correct code compiles without a single warning: registry keys with values of
//! their types, template keys, custom keys, and every value form.
#![deny(warnings)]

use otel_traced::{event, record, traced};

#[derive(Debug)]
struct Order {
    id: u64,
    lines: Vec<u32>,
}

#[traced(
    name = "orders.place",
    attrs(
        http.request.method = "GET",
        http.response.status_code = 200,
        url.full = "https://example.com/orders",
        server.port = 8080,
        // Moved to the GenAI conventions' repository, not deprecated.
        gen_ai.request.model = "gpt-4o",
        app.jank.threshold = 0.5,
        "http.request.header.x-request-id" = ["abc"],
        process.command_args = ["serve", "--port", "8080"],
        order.id = order.id,
        order.line_count = order.lines.len(),
        order.summary = %order.id,
        order.debug = ?order,
        custom_flag = true,
        // The application's own values of `error.type`, whose only known one is
        // `_OTHER`; a key without a dot is the application's even where the
        // registry holds one (`state`, deprecated); near keys of other
        // namespaces are no slips, nor words of their own two letters from a
        // key's (`server.port`, `error.type`, `user.id`).
        error.type = "timeout",
        server.host = "shop-1",
        error.time = 3,
        user.kind = "admin",
        // Template keys as their briefs write them: a label with its prefix, an
        // environment variable's name.
        "k8s.pod.label.mycompany.io/arch" = "arm64",
        "process.environment_variable.USER" = "ada",
        state = "open",
        job.name = "nightly",
        post.id = 1,
        test.id = 7,
    )
)]
fn place(order: &Order, #[attr("user.id")] user: &str, #[attr("db.query.text", display)] query: &str) -> u64 {
    record!(db.response.returned_rows = -1, cache.hit = false, "messaging.destination.name" = "orders");
    event!("placed", http.response.status_code = 201, reason = %"ok", lines = ?order.lines);
    let _ = (user, query);
    order.id
}

fn main() {
    let order = Order {
        id: 7,
        lines: vec![1, 2],
    };
    assert_eq!(place(&order, "ada", "SELECT 1"), 7);
}
