use otel_traced::traced;

struct Card {
    number: String,
}

#[traced]
fn charge(#[attr] card: Card) -> usize {
    card.number.len()
}

#[traced]
fn charge_display(#[attr(display)] card: Card) -> usize {
    card.number.len()
}

fn main() {
    let _ = charge(Card { number: String::new() });
    let _ = charge_display(Card { number: String::new() });
}
