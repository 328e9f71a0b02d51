// A misused `?` in the body is said of the function, not of the attribute, in a
// synchronous and an async fn alike.
use otel_traced::traced;

#[traced]
fn parse_quantity(text: &str) -> u32 {
    let quantity: u32 = text.parse()?;
    quantity
}

#[traced]
async fn parse_price(text: &str) -> u32 {
    let price: u32 = text.parse()?;
    price
}

fn main() {
    let _ = parse_quantity("3");
    let _ = parse_price("3");
}
