//! A service's slow start as a container's PID 1 (run in a PID namespace of its
//! own): tracing installed, it prints `ready`, then starts for two seconds,
//! during which the orchestrator's SIGTERM comes, before any `shutdown_signal()`.
//! The first one after the start resolves at once where that signal was kept
//! (exit 0, printing `asked`); it exits 3 where it waited 5 s in vain.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _guard = otel_traced::init().expect("installed");
    println!("ready");
    // Migrations, a cache warmed: the signal comes meanwhile.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let waited = std::time::Duration::from_secs(5);
    match tokio::time::timeout(waited, otel_traced::shutdown_signal()).await {
        Ok(()) => println!("asked"),
        Err(_) => std::process::exit(3),
    }
}
