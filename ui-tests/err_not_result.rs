use otel_traced::traced;

#[traced(err)]
fn count() -> u32 {
    1
}

fn main() {
    let _ = count();
}
