use otel_traced::traced;

struct Card;

#[traced(attrs(card = card))]
fn attrs_value(card: &Card) {}

#[traced(ret)]
fn returns_card() -> Card {
    Card
}

#[traced(attrs(card = %card))]
fn display_value(card: &Card) {}

#[traced(attrs(card = ?card))]
fn debug_value(card: &Card) {}

fn main() {
    attrs_value(&Card);
    let _ = returns_card();
    display_value(&Card);
    debug_value(&Card);
}
