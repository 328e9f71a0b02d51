//! A gRPC connection to a collector gone without closing it (a node lost, a
//! partition), run in a network namespace of its own: once spans were exported
//! over it, the namespace's loopback goes down, and what the exporter writes
//! then is never acknowledged. Prints how long the connection stayed open and
//! exits 0 where the kernel closed it within a minute (the user timeout), 1 where
//! it was still open (every export would have waited on it for about 15 minutes);
//! 2 where this machine has no `ip` to set the loopback up or down.

use otel_traced_tests::receiver::{Receiver, Transport};
use std::time::{Duration, Instant};

#[otel_traced::traced]
fn tick(number: u32) -> u32 {
    number
}

/// Sets the namespace's loopback `state` (`up` or `down`), false without `ip`.
fn loopback(state: &str) -> bool {
    std::process::Command::new("ip")
        .args(["link", "set", "lo", state])
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether a TCP connection to `port` is established, as `/proc/net/tcp` lists it.
fn connected_to(port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let remote_port = fields
            .get(2)
            .and_then(|remote| remote.rsplit_once(':'))
            .and_then(|(_, port)| u16::from_str_radix(port, 16).ok());
        remote_port == Some(port) && fields.get(3) == Some(&"01")
    })
}

fn main() {
    if !loopback("up") {
        std::process::exit(2);
    }
    let receiver = Receiver::start(Transport::Grpc);
    let endpoint = receiver.endpoint();
    let port: u16 = (endpoint.rsplit(':').next())
        .and_then(|port| port.parse().ok())
        .expect("the receiver's port");
    let guard = otel_traced::Config::from_vars([
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("OTEL_METRICS_EXPORTER", "none"),
    ])
    .install()
    .expect("installed");
    tick(0);
    guard.force_flush().expect("exported over a connection");
    assert!(connected_to(port), "the connection the export used");
    assert!(loopback("down"));
    let gone = Instant::now();
    let mut number = 0;
    while connected_to(port) {
        if gone.elapsed() > Duration::from_secs(60) {
            println!("still open after {} s", gone.elapsed().as_secs());
            std::process::exit(1);
        }
        number += 1;
        tick(number);
        std::thread::sleep(Duration::from_millis(500));
    }
    println!("closed after {} s", gone.elapsed().as_secs());
    // Lost with the connection; the guard's shutdown says so, on stderr.
    drop(guard);
    // Not the receiver's drop, whose server waits for its connections' end, which
    // the loopback down never brings.
    std::process::exit(0);
}
