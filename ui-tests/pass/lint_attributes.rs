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
#[cfg_attr(all(), expect(unused_variables, reason = "under a condition too"))]
fn handle_when(id: u64, flags: u8) -> u64 {
    id
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
    let _ = (handle(1, 2), handle_when(1, 2), resize(3), fill(Vec::new()));
    let _ = measure(Vec::new());
    let _ = futures::executor::block_on(measurer())("four");
}
