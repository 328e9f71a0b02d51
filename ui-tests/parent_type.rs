use otel_traced::traced;

#[traced(parent = id)]
fn wrong_parent(id: u64) {}

fn main() {
    wrong_parent(1);
}
