// A returned closure whose signature names a parameter of the function called as
// a standard type (`Path`): not handed on to the closure through a local
// function, which could not name it (E0401); the closure's types are written.
#![deny(warnings)]

use otel_traced::traced;

#[traced]
fn matcher<Path: AsRef<str>>(prefix: &'static str) -> impl Fn(&Path) -> bool {
    move |path: &Path| path.as_ref().starts_with(prefix)
}

fn main() {
    assert!(matcher::<String>("/v1")(&"/v1/orders".to_owned()));
}
