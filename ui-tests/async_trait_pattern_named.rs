use otel_traced::traced;

#[async_trait::async_trait]
trait Store {
    async fn load(&self, pair: (u64, u64)) -> u64;
}

struct Pg;

// `#[async_trait]` moves the pattern into the body, out of the annotation's reach.
#[async_trait::async_trait]
impl Store for Pg {
    #[traced(attrs(first = a))]
    async fn load(&self, (a, b): (u64, u64)) -> u64 {
        a + b
    }
}

fn main() {
    let _ = Pg.load((1, 2));
}
