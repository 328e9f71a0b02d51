//! `#[otel_traced::main]` in each placement, exporting over gRPC and HTTP to the
//! in-process receiver: the program exits on its own (no deadlock at shutdown) and
//! its spans arrive. A bad configuration exits with a message and code 1.

use opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue;
use otel_traced_tests::exited_in_time;
use otel_traced_tests::receiver::{Receiver, Transport};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Runs `program` with `vars` only, killing it if it has not exited in time.
fn run(program: &str, vars: &[(&str, &str)]) -> Output {
    exited_in_time(started(program, vars), program)
}

/// `program` started with `vars` only (on Windows, with `SystemRoot` too, without
/// which its sockets cannot be opened), its output piped.
fn started(program: &str, vars: &[(&str, &str)]) -> Child {
    Command::new(program)
        .env_clear()
        .envs(std::env::var_os("SystemRoot").map(|root| ("SystemRoot", root)))
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts")
}

const PROGRAMS: [&str; 4] = [
    env!("CARGO_BIN_EXE_main_sync"),
    env!("CARGO_BIN_EXE_main_above_tokio"),
    env!("CARGO_BIN_EXE_main_below_tokio"),
    env!("CARGO_BIN_EXE_main_above_tokio_traced_below"),
];

#[test]
fn every_placement_exports_and_exits_over_both_protocols() {
    for (transport, protocol) in [
        (Transport::Grpc, "grpc"),
        (Transport::Http, "http/protobuf"),
    ] {
        for program in PROGRAMS {
            let receiver = Receiver::start(transport);
            let output = run(
                program,
                &[
                    ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &receiver.endpoint()),
                    ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
                    ("OTEL_SERVICE_NAME", "main-attribute"),
                ],
            );
            assert!(output.status.success(), "{program}: {output:?}");
            let spans = receiver.spans();
            let mut names: Vec<&str> = spans.iter().map(|span| span.name.as_str()).collect();
            names.sort_unstable();
            // Under tokio, a task still pending at the end of `main` ends its span
            // when the runtime drops it, before the guard flushes.
            let expected: &[&str] = if program == PROGRAMS[0] {
                &["main", "step", "step", "step"]
            } else {
                &["linger", "main", "step", "step", "step"]
            };
            assert_eq!(names, expected, "{program} over {protocol}");
            // `#[traced]` below `#[otel_traced::main]`: `main`'s span opens after
            // the guard installed the pipeline, around what it calls.
            let main = spans.iter().find(|span| span.name == "main").unwrap();
            let function = main
                .attributes
                .iter()
                .find(|attribute| attribute.key == "code.function.name")
                .and_then(|attribute| attribute.value.as_ref());
            let program_name = std::path::Path::new(program)
                .file_stem()
                .and_then(std::ffi::OsStr::to_str)
                .unwrap();
            assert_eq!(
                function.and_then(|value| value.value.as_ref()),
                Some(&StringValue(format!("{program_name}::main"))),
                "{program}: the user's `main`, not the body the attribute nests in it"
            );
            for span in spans.iter().filter(|span| span.name == "step") {
                assert_eq!(
                    span.parent_span_id, main.span_id,
                    "{program}: {}",
                    span.name
                );
            }
            // A task spawned with no context starts a trace of its own, whatever
            // the order of the attributes: `main`'s span is current only while
            // its future is polled, not around the runtime that polls the task.
            if let Some(linger) = spans.iter().find(|span| span.name == "linger") {
                assert!(linger.parent_span_id.is_empty(), "{program}: {linger:?}");
                assert_ne!(linger.trace_id, main.trace_id, "{program}");
            }
        }
    }
}

#[test]
fn a_bad_configuration_exits_with_a_message_and_code_1() {
    for program in PROGRAMS {
        let output = run(program, &[("OTEL_TRACES_SAMPLER", "sometimes")]);
        assert_eq!(output.status.code(), Some(1), "{program}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "otel-traced: tracing could not be initialised: OTEL_TRACES_SAMPLER=\"sometimes\" is not valid: it accepts always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio or otel_traced_adaptive\n"
        );
    }
}

/// A Kubernetes reference to a variable not defined before it (`$(POD_NAME)`),
/// which Kubernetes leaves as written: said at start, by name, the value kept.
#[test]
fn a_kubernetes_reference_left_unexpanded_is_said() {
    let output = run(
        env!("CARGO_BIN_EXE_main_sync"),
        &[
            ("OTEL_RESOURCE_ATTRIBUTES", "k8s.pod.name=$(POD_NAME)"),
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_METRICS_EXPORTER", "none"),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "otel-traced: OTEL_RESOURCE_ATTRIBUTES holds $(POD_NAME), taken as written: Kubernetes leaves a reference to a variable not defined before it in the container's env (define that one first; if those characters are meant, nothing is wrong)\n"
    );
}

/// A collector that refuses the export: the outage is said on stderr, once, with
/// the endpoint and protocol, and the lost spans are counted at exit.
#[test]
fn a_failing_export_is_said_once_with_what_to_check() {
    let refusing = otel_traced_tests::receiver::RefusingPort::new();
    let port = refusing.port();
    let endpoint = format!("http://127.0.0.1:{port}/v1/traces");
    // An export timeout that gives up on the refused port after one retry (at
    // 0.25 s), well within the guard's 5 s: the default retries for 4 s.
    let refused = [
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "700"),
        ("OTEL_METRICS_EXPORTER", "none"),
    ];
    let output = run(env!("CARGO_BIN_EXE_main_sync"), &refused);
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = format!("otel-traced: exporting spans to {endpoint} over http/protobuf failed: ");
    assert_eq!(stderr.matches(&said).count(), 1, "{stderr}");
    assert!(
        stderr.contains("HTTP export failed: network error (client error (Connect): tcp connect error: Connection refused"),
        "the client's own reason, which the exporter's error leaves out: {stderr}"
    );
    assert!(stderr.contains("span(s) were not exported"), "{stderr}");

    // The flush's error counts what it lost, `Guard::shutdown` the whole run's in
    // its error, and the guard's drop after it says nothing more.
    let output = run(env!("CARGO_BIN_EXE_flush_then_shutdown"), &refused);
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("span(s) were not exported").count(),
        2,
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|line| line.starts_with("flush: ")
                && line.contains("; 3 span(s) were not exported")),
        "{stderr}"
    );
    assert!(
        stderr.contains("shutdown: 3 span(s) were not exported"),
        "{stderr}"
    );
}

/// The `until_terminated` program started with `vars`, once it caught the
/// signals (it printed `ready`), and the rest of its stdout, line by line.
#[cfg(unix)]
fn until_terminated(vars: &[(&str, &str)]) -> (Child, std::sync::mpsc::Receiver<String>) {
    let program = env!("CARGO_BIN_EXE_until_terminated");
    let mut child = started(program, vars);
    let lines = stdout_lines(&mut child);
    match lines.recv_timeout(Duration::from_secs(30)) {
        Ok(ready) => assert_eq!(ready, "ready"),
        Err(_) => {
            child.kill().expect("a hung program can be killed");
            panic!("{program} never caught the signals");
        }
    }
    (child, lines)
}

/// `child`'s stdout, line by line, as it says them.
#[cfg(unix)]
fn stdout_lines(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead as _;
    let stdout = child.stdout.take().expect("its stdout");
    let (said, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = said.send(line);
        }
    });
    lines
}

/// Sends SIGTERM to `child`, with the shell's own `kill` (a slim image may have
/// no `kill` program).
#[cfg(unix)]
fn terminate(child: &Child) {
    terminate_pid(child.id());
}

#[cfg(unix)]
fn terminate_pid(pid: u32) {
    let killed = Command::new("sh")
        .args(["-c", "kill -TERM \"$1\"", "sh", &pid.to_string()])
        .status()
        .expect("sh runs");
    assert!(killed.success());
}

/// The pid of a child of `parent`, from `/proc` (each process's `stat` names its
/// parent after its name, which may hold spaces and parentheses).
#[cfg(target_os = "linux")]
fn child_of(parent: u32) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.find_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after_name = &stat[stat.rfind(')')? + 1..];
        let ppid: u32 = after_name.split_whitespace().nth(1)?.parse().ok()?;
        (ppid == parent).then_some(pid)
    })
}

/// As PID 1 (a container's entrypoint without an init), a SIGTERM that comes
/// during a slow start, before any `shutdown_signal()`, is kept for the first:
/// PID 1 ignores a signal it has no handler for, and such a service ran on until
/// the orchestrator's SIGKILL. Run in a PID namespace of its own (`unshare`, as
/// root or in a user namespace of its own: said and skipped where neither can
/// be had).
#[cfg(target_os = "linux")]
#[test]
fn as_pid_1_a_signal_before_the_first_shutdown_signal_is_kept() {
    use std::io::Write as _;
    let Some(namespace) = otel_traced_tests::first_that_runs(
        &[
            &["unshare", "--pid", "--fork", "--kill-child"],
            &[
                "unshare",
                "--user",
                "--map-root-user",
                "--pid",
                "--fork",
                "--kill-child",
            ],
        ],
        &["true"],
    ) else {
        eprintln!("skipped: this machine gives no PID namespace (unshare --pid)");
        return;
    };
    let program = env!("CARGO_BIN_EXE_early_signal");
    let mut started = otel_traced_tests::prefixed(namespace)
        .env_clear()
        .arg(program)
        .env("OTEL_TRACES_EXPORTER", "none")
        .env("OTEL_METRICS_EXPORTER", "none")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unshare starts");
    let lines = stdout_lines(&mut started);
    // The program, PID 1 in its namespace, is unshare's child here.
    let pid = match lines.recv_timeout(Duration::from_secs(30)).as_deref() {
        Ok("ready") => child_of(started.id()),
        _ => None,
    };
    let Some(pid) = pid else {
        started.kill().expect("a hung program can be killed");
        panic!("{program} did not start, or cannot be found in /proc");
    };
    terminate_pid(pid);
    // The start ends after the signal.
    let mut stdin = started.stdin.take().expect("its stdin");
    stdin.write_all(b"started\n").expect("the start's end sent");
    drop(stdin);
    let output = exited_in_time(started, program);
    let said: Vec<String> = lines.iter().collect();
    assert!(output.status.success(), "{output:?} {said:?}");
    assert_eq!(said, ["asked"]);
}

/// SIGTERM, as Kubernetes sends it, to a program that awaits
/// `otel_traced::shutdown_signal()`: it returns from `main` (its default action
/// would end it where it is), and the guard exports the spans queued. The
/// signal comes while no `shutdown_signal()` waits: the next one sees it.
#[cfg(unix)]
#[test]
fn sigterm_ends_main_and_the_spans_are_exported() {
    let receiver = Receiver::start(Transport::Http);
    let endpoint = receiver.endpoint();
    let (child, _) = until_terminated(&[
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &endpoint),
        ("OTEL_METRICS_EXPORTER", "none"),
    ]);
    terminate(&child);
    let output = exited_in_time(child, env!("CARGO_BIN_EXE_until_terminated"));
    assert!(output.status.success(), "{output:?}");
    let names: Vec<String> = receiver.spans().into_iter().map(|span| span.name).collect();
    assert_eq!(names, ["step", "step", "step"], "{output:?}");
}

/// A second SIGTERM while the drain the first started is stuck ends the process
/// at once, with the exit status a shell gives a process the signal ended
/// (128 + 15).
#[cfg(unix)]
#[test]
fn a_second_signal_ends_a_stuck_drain() {
    let (mut child, lines) = until_terminated(&[
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("UNTIL_TERMINATED_STUCK", "1"),
    ]);
    terminate(&child);
    if lines.recv_timeout(Duration::from_secs(30)).as_deref() != Ok("draining") {
        child.kill().expect("a hung program can be killed");
        panic!("the first signal did not start the drain");
    }
    // Past the second in which a repeat is taken for the first, forwarded again.
    std::thread::sleep(Duration::from_millis(1_100));
    terminate(&child);
    let output = exited_in_time(child, env!("CARGO_BIN_EXE_until_terminated"));
    assert_eq!(output.status.code(), Some(143), "{output:?}");
}
