//! The example shop both `quickstart` and `otlp` run: nested sync and async calls,
//! one of which fails.

use otel_traced::traced;
use std::fmt;
use std::time::Duration;

#[derive(Debug)]
pub struct OutOfStock {
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
pub async fn checkout(order_id: u64, customer: &str) -> Result<u64, OutOfStock> {
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

/// Two orders through checkout: the first succeeds, the second fails because an
/// item is out of stock.
pub async fn two_orders() {
    for (order_id, customer) in [(42, "ada"), (43, "grace")] {
        match checkout(order_id, customer).await {
            Ok(total) => println!("order {order_id}: charged {total} cents"),
            Err(error) => println!("order {order_id}: {error}"),
        }
    }
}
