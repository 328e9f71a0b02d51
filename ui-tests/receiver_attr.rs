use otel_traced::traced;

struct Cart {
    id: u64,
}

impl Cart {
    #[traced]
    fn total(#[attr] &self) -> u64 {
        self.id
    }
}

fn main() {
    let _ = Cart { id: 1 }.total();
}
