use otel_traced::traced;

#[traced]
struct Order {
    id: u64,
}

#[traced]
enum State {
    Open,
}

trait Store {
    #[traced]
    fn load(&self, id: u64) -> u64;
}

fn main() {
    let _ = (Order { id: 1 }.id, State::Open);
}
