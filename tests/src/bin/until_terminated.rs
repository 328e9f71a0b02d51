//! `#[otel_traced::main]` over work that runs until `shutdown_signal()`: SIGTERM
//! (an orchestrator's) ends it through the end of `main`, so the guard exports
//! what is queued, also when the signal comes while no `shutdown_signal()`
//! waits. Prints `ready` once the signal is caught.

use otel_traced::traced;

#[traced]
fn step(number: u32) -> u32 {
    number
}

#[otel_traced::main]
#[tokio::main(flavor = "current_thread")]
async fn main() {
    for number in 0..3 {
        step(number);
    }
    // Polled once, then dropped: the signals are caught from here on.
    let asked = {
        let mut stop = std::pin::pin!(otel_traced::shutdown_signal());
        std::future::poll_fn(|cx| std::task::Poll::Ready(stop.as_mut().poll(cx).is_ready())).await
    };
    println!("ready");
    if asked {
        return;
    }
    // No `shutdown_signal()` waits while the signal comes (a job between two
    // turns of a loop selecting on one): the next one is asked all the same.
    std::thread::sleep(std::time::Duration::from_secs(1));
    otel_traced::shutdown_signal().await;
}
