//! The console's metrics: with the console exporter (the default), a summary of
//! every measured series prints when the guard shuts down, and nothing when
//! nothing was measured; both on stderr where the console is told to print there.

use std::process::{Command, Stdio};

fn run(vars: &[(&str, &str)]) -> String {
    run_program(env!("CARGO_BIN_EXE_main_sync"), vars)
}

/// What `command` said once it exited, run with its output piped.
fn output(command: &mut Command, program: &str) -> std::process::Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program runs");
    otel_traced_tests::exited_in_time(child, program)
}

fn run_program(program: &str, vars: &[(&str, &str)]) -> String {
    let output = output(
        Command::new(program).env_clear().envs(vars.iter().copied()),
        program,
    );
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn a_summary_prints_at_shutdown_with_every_call_counted() {
    // `main_sync` calls `step` 3 times; the variable measures every function.
    let stdout = run(&[("NO_COLOR", "1"), ("OTEL_TRACED_FUNCTION_METRICS", "true")]);
    let summary = stdout
        .split_once("metrics of this run:\n")
        .map(|(_, summary)| summary)
        .unwrap_or_else(|| panic!("no summary in {stdout:?}"));
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 2, "{summary}");
    for (line, function, calls) in [
        (lines[0], "main_sync::main", "1 call"),
        (lines[1], "main_sync::step", "3 calls"),
    ] {
        assert!(
            line.starts_with(&format!(
                "  otel_traced.function.duration {{code.function.name={function}}}: {calls}, mean "
            )),
            "{line}"
        );
    }
}

#[test]
fn a_tool_whose_stdout_is_its_data_prints_the_waterfall_and_summary_on_stderr() {
    let output = output(
        Command::new(env!("CARGO_BIN_EXE_main_sync"))
            .env_clear()
            .envs([
                ("NO_COLOR", "1"),
                ("OTEL_TRACED_FUNCTION_METRICS", "true"),
                ("OTEL_TRACED_CONSOLE_OUTPUT", "stderr"),
            ]),
        "main_sync",
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "",
        "stdout is the tool's"
    );
    let stderr = String::from_utf8(output.stderr).expect("UTF-8 output");
    let waterfall = stderr.find("└─ step").expect("the waterfall");
    let summary = stderr.find("metrics of this run:\n").expect("the summary");
    assert!(waterfall < summary, "{stderr}");
    assert!(stderr.contains("main_sync::step}: 3 calls"), "{stderr}");
}

#[test]
fn nothing_prints_when_nothing_was_measured() {
    let stdout = run(&[("NO_COLOR", "1")]);
    assert!(stdout.contains("step"), "the waterfall prints: {stdout:?}");
    assert!(!stdout.contains("metrics of this run"), "{stdout:?}");
    let stdout = run(&[
        ("NO_COLOR", "1"),
        ("OTEL_TRACED_FUNCTION_METRICS", "true"),
        ("OTEL_METRICS_EXPORTER", "none"),
    ]);
    assert!(!stdout.contains("metrics of this run"), "{stdout:?}");
}

#[test]
fn a_flush_prints_no_summary_only_the_shutdown_does() {
    let stdout = run_program(
        env!("CARGO_BIN_EXE_flush_then_shutdown"),
        &[("NO_COLOR", "1"), ("OTEL_TRACED_FUNCTION_METRICS", "true")],
    );
    assert_eq!(stdout.matches("metrics of this run").count(), 1, "{stdout}");
    assert!(
        stdout.contains("flush_then_shutdown::step}: 3 calls"),
        "{stdout}"
    );
}
