//! The span catalog: every `#[traced]` function of this binary, listed from the
//! metadata the macro registers at link time (feature `catalog`), as a Markdown
//! table, followed by what `catalog::check()` finds.
//!
//! ```text
//! cargo run --example catalog
//! ```
//!
//! A catalog like this documents a service's telemetry for the people who build
//! dashboards and alerts on it; `catalog::check()` in a test keeps it consistent.

use otel_traced::{record, traced};
use std::collections::HashMap;

#[derive(Debug, Clone)]
struct Item {
    sku: String,
    cents: u64,
}

/// What the `POST /orders` handler (a `#[traced_rpc]` boundary in a service, which
/// continues its caller's trace) calls with the request's body: not recorded, as
/// it may hold anything a user sent.
#[traced]
fn handle_order(#[skip] body: &str) -> Result<u64, String> {
    let items = parse_items(body)?;
    let user = authenticate("token-from-header")?;
    let total = price(&items, user.as_str());
    reserve(&items)?;
    charge(user.as_str(), total)?;
    notify(user.as_str(), total);
    Ok(total)
}

#[traced]
fn parse_items(#[skip] body: &str) -> Result<Vec<Item>, String> {
    let items: Vec<Item> = body
        .split(',')
        .filter(|sku| !sku.is_empty())
        .map(|sku| Item {
            sku: sku.trim().to_owned(),
            cents: 1_250,
        })
        .collect();
    record!(order.item_count = items.len());
    Ok(items)
}

#[traced]
fn authenticate(auth_token: &str) -> Result<String, String> {
    lookup_session(auth_token.len() as u64)
}

/// A query's span named as the database conventions name it.
#[traced(name = "SELECT sessions", kind = client, attrs(db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "sessions"))]
fn lookup_session(session_id: u64) -> Result<String, String> {
    Ok(format!("user-{session_id}"))
}

#[traced]
fn price(#[attr] items: &[Item], user: &str) -> u64 {
    let _ = user;
    items.iter().map(|item| item.cents).sum::<u64>() - discount(items.len())
}

#[traced(ret)]
fn discount(item_count: usize) -> u64 {
    if item_count > 2 { 500 } else { 0 }
}

#[traced]
fn reserve(#[attr] items: &[Item]) -> Result<(), String> {
    let mut stock: HashMap<&str, u32> = HashMap::from([("book", 3), ("lamp", 1)]);
    for item in items {
        reserve_one(&mut stock, &item.sku)?;
    }
    Ok(())
}

#[traced]
fn reserve_one(
    stock: &mut HashMap<&str, u32>,
    #[attr("inventory.sku")] sku: &str,
) -> Result<(), String> {
    match stock.get_mut(sku) {
        Some(count) if *count > 0 => {
            *count -= 1;
            Ok(())
        }
        _ => Err(format!("{sku} is out of stock")),
    }
}

#[traced(name = "payment.charge", kind = client, attrs(server.address = "payments.internal", server.port = 443))]
fn charge(user: &str, amount_cents: u64) -> Result<(), String> {
    let _ = (user, amount_cents);
    Ok(())
}

/// Hands the event to the producer (whose `#[traced_rpc(messaging, send, ..)]`
/// writes the trace into the message).
#[traced]
fn notify(user: &str, amount_cents: u64) {
    let _ = (user, amount_cents);
}

#[traced(root)]
fn nightly_report(day: u32) -> usize {
    let _ = day;
    otel_traced::catalog().len()
}

#[traced]
async fn refresh_prices(region: &str) -> Vec<u64> {
    let _ = region;
    vec![1_250, 990]
}

fn main() {
    // Calling them is not needed for the catalog: it lists what was compiled in.
    let _ = handle_order("book,lamp");
    let _ = nightly_report(1);
    drop(refresh_prices("eu"));

    print!("{}", otel_traced::catalog::markdown());
    let conflicts = otel_traced::catalog::check();
    println!();
    if conflicts.is_empty() {
        println!(
            "catalog::check(): no conflicts in {} functions",
            otel_traced::catalog().len()
        );
    }
    for conflict in conflicts {
        println!("conflict: {conflict}");
    }
}
