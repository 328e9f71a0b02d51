// A misused `?` in the body is said of the function, not of the attribute.
use otel_traced::traced;

#[traced]
fn parse_quantity(text: &str) -> u32 {
    let quantity: u32 = text.parse()?;
    quantity
}

fn main() {
    let _ = parse_quantity("3");
}

