//! Faults between the application and its collector, over both protocols: nobody
//! listening, a slow receiver, a receiver that starts late, one that answers with
//! errors, a peer answering garbage, a connection reset mid-export, a redirect
//! elsewhere, a web page answering, a collector rejecting some spans or
//! throttling, a full queue, and one that never answers any signal. The
//! application's calls never wait on export, shutdown returns within its bound,
//! and what is lost is counted. One test installs (`init` is process-wide); the other
//! installs in a child process whose stderr is closed.

use otel_traced::{Config, Guard, traced};
use otel_traced_tests::receiver::{
    Behaviour, HostilePeer, Hostility, Receiver, RefusingPort, Transport,
};
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[traced]
fn work(item: u64) -> u64 {
    item
}

/// A call that fails: an exception log record where exceptions go to the logs.
#[traced]
fn refuse(item: u64) -> Result<u64, String> {
    Err(format!("item {item} refused"))
}

/// Installs OTLP export to `endpoint` with `extra` variables.
fn install(transport: Transport, endpoint: &str, extra: &[(&str, &str)]) -> Guard {
    let protocol = match transport {
        Transport::Grpc => "grpc",
        Transport::Http => "http/protobuf",
    };
    let mut vars = vec![
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_BSP_SCHEDULE_DELAY", "20"),
    ];
    vars.extend_from_slice(extra);
    Config::from_vars(vars).install().expect("OTLP configured")
}

/// Calls `work` `count` times and returns how long that took: export must never
/// make the application wait, whatever the collector does.
fn calls(count: u64) -> Duration {
    let started = Instant::now();
    for item in 0..count {
        work(item);
    }
    started.elapsed()
}

/// A bound no healthy call loop comes near and a blocked one cannot meet.
const CALLS_BOUND: Duration = Duration::from_secs(2);
/// The guard's shutdown timeout (5 s) and a margin.
const SHUTDOWN_BOUND: Duration = Duration::from_secs(7);

fn nobody_listening(transport: Transport) {
    let refusing = RefusingPort::new();
    let port = refusing.port();
    let endpoint = match transport {
        Transport::Grpc => format!("http://127.0.0.1:{port}"),
        Transport::Http => format!("http://127.0.0.1:{port}/v1/traces"),
    };
    let guard = install(
        transport,
        &endpoint,
        &[
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "300"),
            // The spans' flushes alone: the pipelines' own metrics would fail
            // to go out too.
            ("OTEL_METRICS_EXPORTER", "none"),
        ],
    );
    assert!(
        calls(1_000) < CALLS_BOUND,
        "{transport:?}: calls waited on export"
    );
    // The processor's own schedule (20 ms) exports, and fails, before the flush:
    // the flush, with nothing left to export, still reports what was lost.
    let deadline = Instant::now() + Duration::from_secs(10);
    while guard.dropped_spans() < 1_000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let started = Instant::now();
    let flushed = guard.force_flush().map_err(|error| error.dropped_spans());
    let flushed_again = guard.force_flush().map_err(|error| error.dropped_spans());
    let dropped = guard.dropped_spans();
    let shut_down = guard.shutdown().map_err(|error| error.dropped_spans());
    assert!(
        started.elapsed() < SHUTDOWN_BOUND,
        "{transport:?}: shutdown hung"
    );
    assert_eq!(
        (flushed, flushed_again, dropped, shut_down),
        (Err(1_000), Ok(()), 1_000, Err(1_000)),
        "{transport:?}: every span lost, and counted: by the flush after it, and at shutdown"
    );
}

fn slow_receiver(transport: Transport) {
    let receiver = Receiver::start(transport);
    receiver.set_behaviour(Behaviour::Slow(Duration::from_millis(800)));
    let guard = install(
        transport,
        &receiver.endpoint(),
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "5000")],
    );
    calls(50);
    assert_eq!(
        receiver.wait_for_exports(1, Duration::from_secs(5)),
        1,
        "{transport:?}: an export is now in flight"
    );
    assert!(
        calls(200) < CALLS_BOUND,
        "{transport:?}: calls waited on a slow export"
    );
    let started = Instant::now();
    guard.shutdown().expect("slow, but within the timeout");
    assert!(
        started.elapsed() < SHUTDOWN_BOUND,
        "{transport:?}: shutdown hung"
    );
    assert_eq!(
        receiver.spans().len(),
        250,
        "{transport:?}: every span delivered"
    );
}

fn receiver_starts_late(transport: Transport) {
    let mut receiver = Receiver::start(transport);
    receiver.stop();
    let guard = install(
        transport,
        &receiver.endpoint(),
        // Time for the retries into the void to give up (after 1.75 s) within the
        // flush's 5 s, and for the export after the restart to connect, however
        // slow the machine.
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "3000")],
    );
    calls(10);
    // Exported into the void: the flush waits until that export has failed.
    assert!(
        guard.force_flush().is_err(),
        "{transport:?}: nobody was listening"
    );
    receiver.restart();
    calls(20);
    guard.force_flush().expect("the receiver is up");
    let arrived = receiver.wait_for_spans(20, Duration::from_secs(5));
    assert_eq!(arrived.len(), 20, "{transport:?}: later spans arrive");
    assert_eq!(
        guard.dropped_spans(),
        10,
        "{transport:?}: the early ones are counted"
    );
    let error = guard.shutdown().expect_err("the early spans were lost");
    assert_eq!(error.dropped_spans(), 10, "{transport:?}: {error}");
    assert_eq!(format!("{error:?}"), error.to_string(), "its message");
}

fn queue_overflow(transport: Transport) {
    let receiver = Receiver::start(transport);
    receiver.set_behaviour(Behaviour::Slow(Duration::from_millis(200)));
    let guard = install(
        transport,
        &receiver.endpoint(),
        &[
            ("OTEL_BSP_MAX_QUEUE_SIZE", "16"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "16"),
        ],
    );
    assert!(
        calls(2_000) < CALLS_BOUND,
        "{transport:?}: a full queue blocked calls"
    );
    let flushed = guard
        .force_flush()
        .expect_err("the receiver is up, but spans were dropped from the full queue");
    let dropped = guard.dropped_spans();
    assert_eq!(flushed.dropped_spans(), dropped, "{transport:?}: {flushed}");
    let error = guard
        .shutdown()
        .expect_err("the spans dropped from the full queue");
    assert_eq!(error.dropped_spans(), dropped, "{transport:?}: {error}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("{dropped} span(s) were not exported")),
        "{transport:?}: {error}"
    );
    let received = receiver.spans().len() as u64;
    assert!(dropped > 0, "{transport:?}: a 16-span queue overflowed");
    assert_eq!(
        received + dropped,
        2_000,
        "{transport:?}: drops are counted, not hidden"
    );
}

fn receiver_refuses(transport: Transport) {
    let receiver = Receiver::start(transport);
    receiver.set_behaviour(Behaviour::Fail);
    let guard = install(
        transport,
        &receiver.endpoint(),
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")],
    );
    calls(30);
    assert!(
        guard.force_flush().is_err(),
        "{transport:?}: the receiver refused"
    );
    receiver.set_behaviour(Behaviour::Accept);
    calls(40);
    guard.force_flush().expect("the receiver accepts again");
    assert_eq!(
        receiver.spans().len(),
        40,
        "{transport:?}: later spans arrive"
    );
    assert_eq!(
        guard.dropped_spans(),
        30,
        "{transport:?}: refused spans counted"
    );
    let error = guard
        .shutdown()
        .expect_err("the refused spans were never exported");
    assert_eq!(error.dropped_spans(), 30, "{transport:?}: {error}");
}

/// A collector refusing exports for a few seconds (restarting, in a rolling
/// update): the export is retried within its timeout (the default 10 s) and
/// nothing is lost.
fn receiver_restarts(transport: Transport) {
    let receiver = Receiver::start(transport);
    // Past the exporter's own default (3 retries in about 1 s), and within the
    // flush's 5 s (4 s of retries).
    receiver.set_behaviour(Behaviour::FailFirst(4));
    let guard = install(transport, &receiver.endpoint(), &[]);
    calls(30);
    // The fifth attempt starts about 4 s in: on a slow machine the flush's 5 s may
    // end before it does, which loses nothing (counted below). Whether a flush
    // waits for the retries is left to the other tests of this file.
    let _ = guard.force_flush();
    assert_eq!(
        receiver.wait_for_spans(30, Duration::from_secs(10)).len(),
        30,
        "{transport:?}: every span arrives"
    );
    let exports = receiver.trace_headers().len();
    assert!(
        exports >= 5,
        "{transport:?}: refused four times, then accepted: {exports} exports"
    );
    assert_eq!(guard.dropped_spans(), 0, "{transport:?}");
    guard.shutdown().expect("nothing lost");
}

/// A web page answering where a collector was expected (a web UI's port, a
/// proxy's login page): its 200 is no export taken, and the spans are counted
/// lost.
fn web_page_answers() {
    let receiver = Receiver::start(Transport::Http);
    receiver.set_behaviour(Behaviour::WebPage);
    let guard = install(
        Transport::Http,
        &receiver.endpoint(),
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")],
    );
    calls(1);
    assert!(guard.force_flush().is_err(), "nothing was exported");
    assert_eq!(
        receiver.trace_headers().len(),
        1,
        "not retried: the page will not change"
    );
    let error = guard.shutdown().expect_err("the span was never exported");
    assert_eq!(error.dropped_spans(), 1, "{error}");
}

/// A collector taking every export but rejecting some spans of each (OTLP's
/// partial success, over HTTP): those are lost, and counted, the others not.
fn collector_rejects_some() {
    let receiver = Receiver::start(Transport::Http);
    receiver.set_behaviour(Behaviour::Reject(3));
    let guard = install(Transport::Http, &receiver.endpoint(), &[]);
    calls(20);
    let flushed = guard.force_flush();
    let sent: Vec<usize> = (receiver.requests().iter())
        .map(|request| {
            (request.resource_spans.iter())
                .flat_map(|resource| &resource.scope_spans)
                .map(|scope| scope.spans.len())
                .sum()
        })
        .collect();
    assert_eq!(sent.iter().sum::<usize>(), 20, "every span was sent");
    let rejected: u64 = sent.iter().map(|&spans| spans.min(3) as u64).sum();
    assert_eq!(
        flushed.map_err(|error| error.dropped_spans()),
        Err(rejected),
        "the rejected spans are lost: {sent:?}"
    );
    let error = guard.shutdown().expect_err("rejected spans were lost");
    assert_eq!(error.dropped_spans(), rejected, "{error}");
}

/// A collector throttling (429) for longer than an export's retries wait: the
/// exports after it are held back, not sent into the same refusal, until the
/// time it asked for has passed.
fn collector_throttles() {
    let receiver = Receiver::start(Transport::Http);
    receiver.set_behaviour(Behaviour::Throttle(3));
    let guard = install(
        Transport::Http,
        &receiver.endpoint(),
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")],
    );
    calls(10);
    let throttled = guard.force_flush().expect_err("throttled");
    assert_eq!(throttled.dropped_spans(), 10, "{throttled}");
    // The 3 s asked for run from the refusal, before this.
    let refused = Instant::now();
    let sent = receiver.trace_headers().len();
    assert_eq!(sent, 1, "refused once, not retried past its timeout");
    receiver.set_behaviour(Behaviour::Accept);
    calls(10);
    let held_back = guard.force_flush();
    // On a machine slow enough that the 3 s passed meanwhile, these ten may have
    // gone: what follows counts the ones held back.
    let held = if refused.elapsed() < Duration::from_secs(3) {
        assert!(held_back.is_err(), "held back");
        assert_eq!(
            receiver.trace_headers().len(),
            sent,
            "nothing sent meanwhile"
        );
        10
    } else {
        held_back.err().map_or(0, |error| error.dropped_spans())
    };
    std::thread::sleep(Duration::from_millis(3_100).saturating_sub(refused.elapsed()));
    calls(10);
    guard
        .force_flush()
        .expect("sent once the time asked has passed");
    assert_eq!(receiver.spans().len() as u64, 20 - held);
    let error = guard.shutdown().expect_err("the throttled spans were lost");
    assert_eq!(error.dropped_spans(), 10 + held, "{error}");
}

/// A backend taking only traces (Jaeger, Tempo) where metrics go beside them: the
/// spans arrive, and the shutdown's error names why the last metrics did not,
/// not only that the SDK's reader failed to shut down.
fn backend_takes_traces_only() {
    let receiver = Receiver::start(Transport::Http);
    receiver.set_behaviour(Behaviour::TracesOnly);
    let base = receiver.endpoint().replace("/v1/traces", "");
    let guard = Config::from_vars([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", base.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_TRACED_FUNCTION_METRICS", "true"),
    ])
    .install()
    .expect("OTLP configured");
    calls(3);
    let flushed = guard.force_flush().expect_err("the metrics were refused");
    assert!(flushed.to_string().contains("404"), "{flushed}");
    let error = guard.shutdown().expect_err("the metrics were refused");
    assert_eq!(error.dropped_spans(), 0, "{error}");
    assert_eq!(receiver.spans().len(), 3);
    let error = error.to_string();
    assert!(
        error.starts_with("exporting the last metrics failed: ")
            && error.contains("404")
            && !error.contains("Failed to"),
        "{error}"
    );
}

/// The metrics of a collector throttling (429) for longer than an export's
/// retries wait: held back too, not sent into the same refusal.
fn collector_throttles_metrics() {
    let receiver = Receiver::start(Transport::Http);
    let guard = install(
        Transport::Http,
        &receiver.endpoint(),
        &[
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
            ("OTEL_TRACED_FUNCTION_METRICS", "true"),
        ],
    );
    calls(10);
    guard.force_flush().expect("taken");
    let taken = receiver.metrics_requests().len();
    assert!(taken > 0, "the metrics were sent");
    receiver.set_behaviour(Behaviour::Throttle(60));
    calls(10);
    assert!(guard.force_flush().is_err(), "throttled");
    receiver.set_behaviour(Behaviour::Accept);
    calls(10);
    assert!(guard.force_flush().is_err(), "held back");
    assert_eq!(
        receiver.metrics_requests().len(),
        taken,
        "no metrics sent meanwhile"
    );
    drop(guard);
}

fn hostile_peer(transport: Transport, hostility: Hostility) {
    let peer = HostilePeer::start(hostility);
    let guard = install(
        transport,
        &peer.endpoint(transport),
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "500")],
    );
    assert!(
        calls(500) < CALLS_BOUND,
        "{transport:?} {hostility:?}: calls waited on export"
    );
    let started = Instant::now();
    assert!(
        guard.force_flush().is_err(),
        "{transport:?} {hostility:?}: nothing was delivered"
    );
    let dropped = guard.dropped_spans();
    let shut_down = guard.shutdown();
    assert!(
        started.elapsed() < SHUTDOWN_BOUND,
        "{transport:?} {hostility:?}: flush and shutdown hung"
    );
    assert_eq!(
        dropped, 500,
        "{transport:?} {hostility:?}: every span lost, and counted"
    );
    assert_eq!(
        shut_down.map_err(|error| error.dropped_spans()),
        Err(500),
        "{transport:?} {hostility:?}: the shutdown says so"
    );
}

/// A redirect from the endpoint is a failed export, not one to follow: the spans
/// (and the request's headers, an API key among them) go nowhere else.
fn redirected() {
    let elsewhere = Receiver::start(Transport::Http);
    let peer = HostilePeer::start(Hostility::Redirect(elsewhere.address()));
    let guard = install(
        Transport::Http,
        &peer.endpoint(Transport::Http),
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")],
    );
    calls(20);
    assert!(
        guard.force_flush().is_err(),
        "the redirect was not followed"
    );
    assert!(
        elsewhere.spans().is_empty(),
        "nothing sent where it pointed"
    );
    let error = guard.shutdown().expect_err("the spans were never exported");
    assert_eq!(error.dropped_spans(), 20, "{error}");
}

/// Calls `work` while `guard`'s spans go to a collector that never answers, lets
/// an export get stuck (the collector took its connection), then shuts down:
/// within the bound, with an error, whose text is returned.
fn shut_down_with_spans_stuck(guard: Guard, collector: &SilentCollector) -> String {
    let (took, said) = shut_down_while_stuck(guard, collector);
    assert!(took < SHUTDOWN_BOUND, "shutdown took {took:?}");
    said
}

/// Calls `work` while `guard`'s spans go to a collector that never answers, lets
/// an export get stuck, then shuts down with an error: how long that took, and
/// the error's text.
fn shut_down_while_stuck(guard: Guard, collector: &SilentCollector) -> (Duration, String) {
    assert!(calls(100) < CALLS_BOUND, "calls waited on export");
    collector
        .connected
        .recv_timeout(Duration::from_secs(5))
        .expect("a span export is now stuck");
    let started = Instant::now();
    let error = guard.shutdown().expect_err("the spans were not delivered");
    (started.elapsed(), error.to_string())
}

/// A shutdown timeout of the configuration's bounds the wait for a stuck export
/// in its place of the default 5 s.
fn shutdown_within_its_configured_timeout() {
    let collector = silent_collector();
    let guard = Config::from_vars([
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            collector.endpoint.as_str(),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "30000"),
        ("OTEL_BSP_SCHEDULE_DELAY", "20"),
    ])
    .shutdown_timeout(Duration::from_millis(1500))
    .install()
    .expect("OTLP configured");
    let (took, said) = shut_down_while_stuck(guard, &collector);
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_secs(4),
        "shutdown took {took:?}: {said}"
    );
}

/// A collector that accepts connections and never answers them.
struct SilentCollector {
    endpoint: String,
    /// One message per connection accepted.
    connected: std::sync::mpsc::Receiver<()>,
}

fn silent_collector() -> SilentCollector {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (connect, connected) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Held open, never read: every export waits for its own timeout.
        let mut connections = Vec::new();
        for connection in listener.incoming() {
            connections.push(connection);
            let _ = connect.send(());
        }
    });
    SilentCollector {
        endpoint,
        connected,
    }
}

/// Spans (and what `exporters` says) to `collector` over HTTP, every function's
/// duration measured, exports every 20 ms and each allowed 30 s.
fn installed_to_silent(collector: &SilentCollector, exporters: &[(&str, &str)]) -> Guard {
    let mut vars = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "30000"),
        ("OTEL_TRACED_FUNCTION_METRICS", "true"),
        ("OTEL_BSP_SCHEDULE_DELAY", "20"),
    ];
    vars.extend_from_slice(exporters);
    Config::from_vars(vars).install().expect("OTLP configured")
}

/// A collector that accepts connections and never answers, for spans, log records
/// and metrics at once: the guard's 5 s bound holds for the three pipelines
/// together, not for each.
fn never_answers() {
    let collector = silent_collector();
    let guard = installed_to_silent(
        &collector,
        &[
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_LOGS_EXPORTER", "otlp"),
            ("OTEL_METRICS_EXPORTER", "otlp"),
        ],
    );
    let error = shut_down_with_spans_stuck(guard, &collector);
    assert!(
        error.contains("exporting the last spans failed")
            && error.contains("exporting the last metrics failed"),
        "each failed signal is named: {error}"
    );
}

/// Spans go to a collector that never answers, metrics and logs to one that
/// works: the spans' stuck export does not take the others' time at shutdown.
fn spans_stuck_while_metrics_and_logs_are_delivered() {
    let collector = silent_collector();
    let stuck = format!("{}/v1/traces", collector.endpoint);
    let receiver = Receiver::start(Transport::Http);
    let working = receiver.endpoint();
    let metrics_endpoint = format!("{}/v1/metrics", working.trim_end_matches("/v1/traces"));
    let logs_endpoint = format!("{}/v1/logs", working.trim_end_matches("/v1/traces"));
    let guard = Config::from_vars([
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", stuck.as_str()),
        (
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            metrics_endpoint.as_str(),
        ),
        ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", logs_endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "30000"),
        ("OTEL_TRACED_FUNCTION_METRICS", "true"),
        ("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN", "logs"),
        ("OTEL_BSP_SCHEDULE_DELAY", "20"),
    ])
    .install()
    .expect("OTLP configured");
    assert!(refuse(7).is_err());
    let error = shut_down_with_spans_stuck(guard, &collector);
    assert!(
        error.contains("exporting the last spans failed")
            && !error.contains("metrics")
            && !error.contains("log records"),
        "only the spans failed: {error}"
    );
    assert!(
        (receiver.log_records().iter())
            .any(|record| format!("{:?}", record.attributes).contains("item 7 refused")),
        "the exception's log record was exported at shutdown: {:?}",
        receiver.log_records()
    );
    let measured = receiver
        .metrics_requests()
        .iter()
        .flat_map(|request| &request.resource_metrics)
        .flat_map(|resource| &resource.scope_metrics)
        .flat_map(|scope| &scope.metrics)
        .any(|metric| metric.name == "otel_traced.function.duration");
    assert!(measured, "the metrics were exported at shutdown");
}

/// Spans go to a collector that never answers, metrics to the console's summary:
/// the summary does not wait for spans that go to a collector, so it is printed in
/// time.
fn spans_stuck_beside_the_console_summary() {
    let collector = silent_collector();
    let guard = installed_to_silent(
        &collector,
        &[
            ("OTEL_METRICS_EXPORTER", "console"),
            ("OTEL_LOGS_EXPORTER", "none"),
        ],
    );
    let error = shut_down_with_spans_stuck(guard, &collector);
    assert!(
        error.contains("exporting the last spans failed") && !error.contains("metrics"),
        "only the spans failed: {error}"
    );
}

#[test]
fn the_application_survives_every_collector_fault() {
    for transport in [Transport::Grpc, Transport::Http] {
        nobody_listening(transport);
        slow_receiver(transport);
        receiver_starts_late(transport);
        receiver_refuses(transport);
        receiver_restarts(transport);
        hostile_peer(transport, Hostility::Garbage);
        hostile_peer(transport, Hostility::Reset);
        queue_overflow(transport);
    }
    redirected();
    web_page_answers();
    collector_rejects_some();
    collector_throttles();
    collector_throttles_metrics();
    backend_takes_traces_only();
    shutdown_within_its_configured_timeout();
    never_answers();
    spans_stuck_while_metrics_and_logs_are_delivered();
    spans_stuck_beside_the_console_summary();
}

/// A gRPC connection whose collector vanished without closing it (a node lost,
/// a partition: simulated by a network namespace's loopback going down) is
/// closed by the kernel within its user timeout (30 s), so that tonic connects
/// again, resolving the name anew, rather than writing every export into it for
/// the 15 minutes the kernel retransmits. Run in a network namespace of its own
/// (`unshare`, as root, in a user namespace or under `sudo -n`; said and skipped
/// where none can be had, or there is no `ip` command).
#[cfg(target_os = "linux")]
#[test]
fn a_grpc_connection_to_a_vanished_collector_is_given_up_in_time() {
    let Some(namespace) = otel_traced_tests::first_that_runs(
        &[
            &["unshare", "--net"],
            &["unshare", "--user", "--map-root-user", "--net"],
            // Never waiting for a password no one types.
            &["sudo", "-n", "unshare", "--net"],
        ],
        &["ip", "link", "set", "lo", "up"],
    ) else {
        eprintln!("skipped: this machine gives no network namespace with `ip` (unshare --net)");
        return;
    };
    let program = env!("CARGO_BIN_EXE_half_open");
    let child = otel_traced_tests::prefixed(namespace)
        .arg(program)
        .env_remove("OTEL_SDK_DISABLED")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unshare starts");
    let output = otel_traced_tests::exited_in_time(child, program);
    let said = String::from_utf8_lossy(&output.stdout);
    let closed_after: Option<u64> = (said.trim().strip_prefix("closed after "))
        .and_then(|after| after.strip_suffix(" s"))
        .and_then(|seconds| seconds.parse().ok());
    // Closed by the user timeout (30 s), not by anything sooner.
    assert!(
        output.status.success() && closed_after.is_some_and(|seconds| seconds >= 20),
        "{said} {output:?}"
    );
}

/// Set in the child process of `a_closed_stderr_loses_the_report_not_the_process`.
const CLOSED_STDERR_CHILD: &str = "OTEL_TRACED_TEST_CLOSED_STDERR";

/// What the child prints once its guard dropped without taking the process down.
const SURVIVED: &str = "the guard dropped, the process lives";

#[test]
fn a_closed_stderr_loses_the_report_not_the_process() {
    if std::env::var_os(CLOSED_STDERR_CHILD).is_some() {
        // Once the parent has closed the pipe, every write to stderr fails.
        let deadline = Instant::now() + Duration::from_secs(10);
        while writeln!(std::io::stderr(), "waiting for stderr to close").is_ok() {
            assert!(Instant::now() < deadline, "stderr was never closed");
            std::thread::sleep(Duration::from_millis(5));
        }
        let refusing = RefusingPort::new();
        let port = refusing.port();
        let endpoint = format!("http://127.0.0.1:{port}/v1/traces");
        let guard = install(
            Transport::Http,
            &endpoint,
            &[("OTEL_EXPORTER_OTLP_TIMEOUT", "300")],
        );
        calls(10);
        // The spans were lost: the guard says so on stderr, which is gone.
        drop(guard);
        println!("{SURVIVED}");
        return;
    }
    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "a_closed_stderr_loses_the_report_not_the_process",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CLOSED_STDERR_CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the child runs");
    drop(child.stderr.take());
    let output = otel_traced_tests::exited_in_time(child, "the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(SURVIVED),
        "the child failed ({}):\n{stdout}",
        output.status
    );
}
