//! A service's slow start as a container's PID 1 (run in a PID namespace of its
//! own): tracing installed, it prints `ready`, then starts until a line comes on
//! its stdin, which the test sends once it has sent SIGTERM: the orchestrator's
//! signal during the start, before any `shutdown_signal()`. The first one after
//! the start resolves at once where that signal was kept (exit 0, printing
//! `asked`); it exits 3 where it waited 5 s in vain.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _guard = otel_traced::init().expect("installed");
    println!("ready");
    // Migrations, a cache warmed: the signal comes meanwhile.
    let mut started = String::new();
    std::io::stdin()
        .read_line(&mut started)
        .expect("the start's end");
    let waited = std::time::Duration::from_secs(5);
    match tokio::time::timeout(waited, otel_traced::shutdown_signal()).await {
        Ok(()) => println!("asked"),
        Err(_) => std::process::exit(3),
    }
}
