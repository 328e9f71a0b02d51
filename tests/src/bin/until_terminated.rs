//! `#[otel_traced::main]` over work that runs until `shutdown_signal()`: SIGTERM
//! (an orchestrator's) ends it through the end of `main`, so the guard exports
//! what is queued, also when the signal comes while no `shutdown_signal()`
//! waits, and the runtime that first awaited one has ended. Prints `ready` once
//! the signal is caught. With `UNTIL_TERMINATED_STUCK` set, its drain never
//! ends (it prints `draining`): a second signal ends it.

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
    // Polled once on a runtime of its own, which then ends: the signals are
    // caught from here on, whatever runtime that was.
    let asked = std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let mut stop = std::pin::pin!(otel_traced::shutdown_signal());
            std::future::poll_fn(|cx| std::task::Poll::Ready(stop.as_mut().poll(cx).is_ready()))
                .await
        })
    })
    .join()
    .expect("polled once");
    println!("ready");
    if asked {
        return;
    }
    // No `shutdown_signal()` waits while the signal comes (a job between two
    // turns of a loop selecting on one): the next one is asked all the same.
    std::thread::sleep(std::time::Duration::from_secs(1));
    otel_traced::shutdown_signal().await;
    // A drain that never ends: only a second signal ends the process.
    if std::env::var_os("UNTIL_TERMINATED_STUCK").is_some() {
        println!("draining");
        std::future::pending::<()>().await;
    }
}
