// Items in scope named as the expansion's own bindings might be (`name`,
// `version`, `kind`, `body`): statics, a constant and a unit variant, which a
// pattern of the same name would refer to rather than bind.
#![deny(warnings)]
#![allow(non_upper_case_globals, non_camel_case_types, dead_code)]

use otel_traced::traced;

static name: &str = "the package";
const version: u32 = 2;
static body: u8 = 0;

enum Mode {
    kind,
}
use Mode::*;

#[traced]
fn recorded(count: u64, label: &str) -> u64 {
    count + label.len() as u64
}

#[traced]
fn returns_a_closure(limit: usize) -> impl Fn(&str) -> bool {
    move |text| text.len() < limit
}

fn main() {
    let _ = (name, version, body, kind);
    recorded(1, "a");
    assert!(returns_a_closure(3)("ab"));
}
