//! Lint attributes the user wrote hold with the expansion as without it: on the
//! function (an expectation it meets, or one the expansion's use of a parameter
//! would leave unmet) and on a parameter the body binds again where it starts.
#![deny(warnings)]

use otel_traced::traced;

#[traced]
#[expect(unused_variables, reason = "the signature is fixed by its callers")]
fn handle(id: u64, flags: u8) -> u64 {
    id
}

#[traced]
#[expect(unused_variables, non_snake_case, reason = "a list: the others stay expected")]
fn handle_listed(id: u64, #[skip] Flags: u8) -> u64 {
    id
}

#[traced]
fn forbidding(#[forbid(unused_variables)] id: u64) -> u64 {
    id
}

#[traced]
fn forbidding_on_a_condition(#[cfg_attr(all(), forbid(unused_variables))] id: u64) -> u64 {
    id
}

#[traced(attrs(buffer.capacity = buffer.capacity()))]
fn forbidding_unused_mut(#[forbid(unused_mut)] mut buffer: Vec<u8>) -> usize {
    buffer.push(1);
    buffer.len()
}


#[traced]
fn resize(#[allow(non_snake_case)] #[attr("n")] N: usize) -> usize {
    N
}

#[traced]
fn fill(#[cfg_attr(all(), allow(unused_mut))] mut buffer: Vec<u8>) -> usize {
    buffer.len()
}

#[traced]
fn measure(#[expect(unused_mut, reason = "changed on other targets")] mut buffer: Vec<u8>) -> usize {
    buffer.len()
}

#[traced]
async fn measurer() -> impl Fn(&str) -> usize {
    |text| text.len()
}

fn main() {
    let _ = (handle(1, 2), handle_listed(1, 2), resize(3), fill(Vec::new()));
    let _ = (forbidding(4), forbidding_on_a_condition(4), forbidding_unused_mut(Vec::new()));
    let _ = measure(Vec::new());
    let _ = futures::executor::block_on(measurer())("four");
}
