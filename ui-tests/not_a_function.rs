use otel_traced::{traced, traced_rpc};

#[traced]
struct Order {
    id: u64,
}

#[traced_rpc(http, route = "/orders")]
struct Orders;

#[traced]
enum State {
    Open,
}

#[traced]
impl State {
    fn open() -> Self {
        State::Open
    }
}

#[traced]
const LIMIT: u64 = 10;

#[traced]
static NAME: &str = "shop";

#[traced]
union Bits {
    whole: u32,
}

#[traced]
trait Ledger {}

#[traced]
mod billing {}

#[traced]
type Id = u64;

#[traced]
use std::fmt::Write as _;

trait Store {
    #[traced]
    fn load(&self, id: u64) -> u64;

    // Without a receiver, as a function an `extern` block declares reads.
    #[traced]
    fn open(path: &str) -> Self;
}

unsafe extern "C" {
    #[traced]
    pub fn abs(value: i32) -> i32;
}

fn main() {
    let _ = (Order { id: 1 }.id, State::Open, LIMIT, NAME);
}
