//! `#[otel_traced::main]` over work that runs until `shutdown_signal()`: SIGTERM
//! (an orchestrator's) ends it through the end of `main`, so the guard exports
//! what is queued. Prints `ready` once the signal is caught.

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
    let mut stop = std::pin::pin!(otel_traced::shutdown_signal());
    // Polled once: the signals are caught from here on.
    let asked =
        std::future::poll_fn(|cx| std::task::Poll::Ready(stop.as_mut().poll(cx).is_ready())).await;
    println!("ready");
    if !asked {
        stop.await;
    }
}
