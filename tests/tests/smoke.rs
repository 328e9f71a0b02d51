use otel_traced::testing::capture;
use otel_traced::traced;

#[traced]
fn add(a: u64, b: &str, password: &str) -> u64 {
    let _ = password;
    a + b.len() as u64
}

#[derive(Debug)]
struct Io;
impl std::fmt::Display for Io { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("io failed") } }
impl std::error::Error for Io {}

#[traced]
fn fails(n: u32) -> Result<u32, Io> {
    if n > 1 { return Err(Io); }
    Ok(add(n as u64, "x", "hunter2") as u32)
}

#[traced]
async fn later(n: u32) -> Result<u32, Io> {
    fails(n)
}

#[test]
fn smoke() {
    let c = capture(|| { let _ = fails(1); fails(5) });
    println!("{}", c.tree());
    let c = capture(|| futures::executor::block_on(later(3)));
    println!("{}", c.tree());
    println!("{:#?}", c.spans()[0]);
}
