use otel_traced::traced;

#[traced(link = id)]
fn linked(id: u64) {}

fn main() {
    linked(1);
}
