use otel_traced::traced;

#[traced(name = "a", name = "b")]
fn twice() {}

#[traced(root, kind = server, root)]
fn root_twice() {}

fn main() {
    twice();
    root_twice();
}
