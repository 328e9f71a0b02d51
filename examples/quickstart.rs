//! Quickstart: annotate functions, call `init()`, and see each trace as a tree.
//!
//! Run it from the repository root:
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Two orders go through checkout: the first succeeds, the second fails because an
//! item is out of stock. Each `#[traced]` call is a span; scalar arguments become
//! attributes, the error sets the span's status, and the console exporter prints
//! one tree per trace when its root span ends.

use otel_traced::traced;
use std::fmt;
use std::time::Duration;

#[derive(Debug)]
struct OutOfStock {
    sku: &'static str,
}

impl fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is out of stock", self.sku)
    }
}

impl std::error::Error for OutOfStock {}

struct Cart {
    items: Vec<&'static str>,
}

/// An async span: awaits inside it stay in its trace.
#[traced]
async fn checkout(order_id: u64, customer: &str) -> Result<u64, OutOfStock> {
    let cart = load_cart(order_id).await;
    reserve_stock(&cart)?;
    let total = price(cart.items.len());
    charge(customer, total).await;
    Ok(total)
}

#[traced]
async fn load_cart(order_id: u64) -> Cart {
    tokio::time::sleep(Duration::from_millis(3)).await;
    let items = if order_id.is_multiple_of(2) {
        vec!["book", "lamp", "kettle"]
    } else {
        vec!["book", "piano"]
    };
    Cart { items }
}

/// A sync span nested in an async one; `cart` is not a scalar, so it is not recorded.
#[traced]
fn reserve_stock(cart: &Cart) -> Result<(), OutOfStock> {
    for &sku in &cart.items {
        check_shelf(sku)?;
    }
    Ok(())
}

#[traced]
fn check_shelf(sku: &'static str) -> Result<(), OutOfStock> {
    std::thread::sleep(Duration::from_millis(1));
    if sku == "piano" {
        Err(OutOfStock { sku })
    } else {
        Ok(())
    }
}

#[traced]
fn price(item_count: usize) -> u64 {
    item_count as u64 * 1_250
}

#[traced(name = "payment.charge", kind = client)]
async fn charge(customer: &str, amount_cents: u64) {
    let _ = (customer, amount_cents);
    tokio::time::sleep(Duration::from_millis(5)).await;
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), otel_traced::InitError> {
    let _guard = otel_traced::init()?;
    for (order_id, customer) in [(42, "ada"), (43, "grace")] {
        match checkout(order_id, customer).await {
            Ok(total) => println!("order {order_id}: charged {total} cents"),
            Err(error) => println!("order {order_id}: {error}"),
        }
    }
    Ok(())
}
