//! Helpers shared by the integration tests: reading attributes off captured spans,
//! an in-process OTLP receiver, and the generated `shop.v1` gRPC service.

pub mod load;
pub mod receiver;
pub mod shop_proto;

use otel_traced::opentelemetry::trace::{Link, SpanKind, TraceId, TraceState};
use otel_traced::opentelemetry::{Context, KeyValue, Value};
use otel_traced::sdk::error::OTelSdkResult;
use otel_traced::sdk::trace::{
    SamplingDecision, SamplingResult, ShouldSample, Span, SpanData, SpanProcessor,
};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The variable that tells a test it runs in the child process
/// [`passes_in_a_child_process`] started.
pub const CHILD: &str = "OTEL_TRACED_TEST_CHILD";

/// Runs the test `name` of this test binary alone in a child process, with `env`
/// added (for what is process-wide: a panic hook, a variable read once), and
/// asserts that it passed; its output, for what it said on stderr. The test runs
/// its own part when [`CHILD`] is set.
pub fn passes_in_a_child_process(name: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut child = std::process::Command::new(std::env::current_exe().expect("the test binary"));
    // The developer's own `OTEL_*` variables would change what the child does.
    for (variable, _) in std::env::vars_os() {
        if variable.to_string_lossy().starts_with("OTEL_") {
            child.env_remove(variable);
        }
    }
    let child = child
        .args(["--exact", name, "--test-threads=1"])
        .env(CHILD, "1")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the child runs");
    let output = exited_in_time(child, name);
    // A child that found no test by this name would succeed too.
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the child failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// What `child` said once it exited: its piped stdout and stderr, read while it
/// runs (a child that writes more than a pipe holds would wait for a reader).
/// One that has not exited after two minutes, far longer than any test's child
/// takes on a loaded machine, is killed and fails the test with what it said: a
/// deadlock (at shutdown, at a thread's exit) fails the run instead of hanging it.
/// Nothing is then waited for without a bound: a child under `sudo` may not be
/// killed, and a grandchild may hold the pipes open.
pub fn exited_in_time(mut child: std::process::Child, what: &str) -> std::process::Output {
    use std::sync::mpsc;
    fn drained(pipe: Option<impl std::io::Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
        let (said, heard) = mpsc::channel();
        std::thread::spawn(move || {
            let mut read = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut read);
            }
            let _ = said.send(read);
        });
        heard
    }
    let stdout = drained(child.stdout.take());
    let stderr = drained(child.stderr.take());
    let exited = |child: &mut std::process::Child, within: Duration| {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().expect("the child can be waited on") {
                return Some(status);
            }
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let status = exited(&mut child, Duration::from_secs(120));
    if status.is_none() {
        let _ = child.kill();
        let _ = exited(&mut child, Duration::from_secs(5));
    }
    let read = |heard: mpsc::Receiver<Vec<u8>>| {
        heard
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_default()
    };
    let (stdout, stderr) = (read(stdout), read(stderr));
    let Some(status) = status else {
        panic!(
            "{what} did not exit within two minutes (a deadlock?):\n{}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    };
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

/// The first of `prefixes` (a program and its arguments, such as `unshare --net`)
/// under which `probe` runs and succeeds on this machine, for a test that needs a
/// namespace of its own (as root, in a user namespace, under `sudo`): none where
/// the machine gives none, and the test is skipped.
pub fn first_that_runs(
    prefixes: &[&'static [&'static str]],
    probe: &[&str],
) -> Option<&'static [&'static str]> {
    prefixes.iter().copied().find(|prefix| {
        prefixed(prefix)
            .args(probe)
            .output()
            .is_ok_and(|output| output.status.success())
    })
}

/// A command of `prefix` (a program and its arguments), to which more are added.
pub fn prefixed(prefix: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(prefix[0]);
    command.args(&prefix[1..]);
    command
}

/// A sampler that records the spans named `recorded_only` without sampling them
/// (`RecordOnly`, for a span processor of the application's) and samples the
/// others.
#[derive(Clone, Debug)]
pub struct RecordsOnly;

impl ShouldSample for RecordsOnly {
    fn should_sample(
        &self,
        _: Option<&Context>,
        _: TraceId,
        name: &str,
        _: &SpanKind,
        _: &[KeyValue],
        _: &[Link],
    ) -> SamplingResult {
        SamplingResult {
            decision: if name == "recorded_only" {
                SamplingDecision::RecordOnly
            } else {
                SamplingDecision::RecordAndSample
            },
            attributes: Vec::new(),
            trace_state: TraceState::default(),
        }
    }
}

/// The turn of a test that installs the process-wide pipeline (`init()`,
/// `Config::install`): one at a time in a test binary, or one gets
/// `AlreadyInitialized` while another holds its guard.
pub fn installing_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The `exception.message` of a span's exception event.
pub fn exception_message(span: &SpanData) -> Option<String> {
    span.events
        .iter()
        .find(|event| event.name == "exception")?
        .attributes
        .iter()
        .find(|attribute| attribute.key.as_str() == "exception.message")
        .map(|attribute| attribute.value.to_string())
}

/// The value recorded under `key`, if any.
pub fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

/// The keys of every attribute, in recording order, without the `code.*` ones.
pub fn own_keys(span: &SpanData) -> Vec<&str> {
    span.attributes
        .iter()
        .map(|kv| kv.key.as_str())
        .filter(|key| !key.starts_with("code."))
        .collect()
}

/// Asserts that `child` is a direct child of `parent` in the same trace.
#[track_caller]
pub fn assert_child_of(child: &SpanData, parent: &SpanData) {
    assert_eq!(
        child.span_context.trace_id(),
        parent.span_context.trace_id(),
        "`{}` is not in the trace of `{}`",
        child.name,
        parent.name
    );
    assert_eq!(
        child.parent_span_id,
        parent.span_context.span_id(),
        "`{}` is not a child of `{}`",
        child.name,
        parent.name
    );
}

/// A string value, for comparing with `attribute`.
pub fn string(text: &str) -> Value {
    Value::String(text.to_owned().into())
}

/// Asserts that `span` ended with the HTTP status `code`, a failure: the status
/// code, `error.type` its number, and an Error status without a description (the
/// conventions leave it to the status code).
pub fn assert_http_error(span: &SpanData, code: i64) {
    assert_eq!(
        attribute(span, "http.response.status_code"),
        Some(&Value::I64(code)),
        "{}",
        span.name
    );
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string(&code.to_string())),
        "{}",
        span.name
    );
    assert_eq!(
        span.status,
        otel_traced::opentelemetry::trace::Status::error(""),
        "{}",
        span.name
    );
}

/// Asserts that `span` failed with an error of type `error_type` that is no reply
/// of its boundary's: no `reply_key` (the status attribute of its protocol).
pub fn assert_error_without_reply(span: &SpanData, reply_key: &str, error_type: &str) {
    assert_eq!(attribute(span, reply_key), None, "{}", span.name);
    assert_eq!(
        attribute(span, "error.type"),
        Some(&string(error_type)),
        "{}",
        span.name
    );
    assert!(
        matches!(
            span.status,
            otel_traced::opentelemetry::trace::Status::Error { .. }
        ),
        "{}: {:?}",
        span.name,
        span.status
    );
}

/// What two ways of making the same span (a layer and the attribute, say) must
/// agree on: everything but ids and times.
#[derive(Debug, PartialEq)]
pub struct Shape {
    /// The span name.
    pub name: String,
    /// The span kind.
    pub kind: String,
    /// The attributes as sorted `key=value` texts, without `code.*`.
    pub attributes: Vec<String>,
    /// The status.
    pub status: String,
}

/// The [`Shape`] of `span`, leaving out the attributes in `except` (those that
/// differ by construction, such as the port of each test's own server).
pub fn shape(span: &SpanData, except: &[&str]) -> Shape {
    let mut attributes: Vec<String> = span
        .attributes
        .iter()
        .filter(|kv| !kv.key.as_str().starts_with("code.") && !except.contains(&kv.key.as_str()))
        .map(|kv| format!("{}={}", kv.key, kv.value))
        .collect();
    attributes.sort();
    Shape {
        name: span.name.to_string(),
        kind: format!("{:?}", span.span_kind),
        attributes,
        status: format!("{:?}", span.status),
    }
}

/// A sampler deciding by span name alone, whatever the parent: the span named
/// `name` is sampled when `sampled`, every other span when not.
#[derive(Clone, Debug)]
pub struct SamplesByName {
    /// The span decided apart from the others.
    pub name: &'static str,
    /// Whether that span is sampled (and the others dropped), or the reverse.
    pub sampled: bool,
}

impl ShouldSample for SamplesByName {
    fn should_sample(
        &self,
        _parent: Option<&Context>,
        _trace_id: TraceId,
        name: &str,
        _kind: &SpanKind,
        _attributes: &[KeyValue],
        _links: &[Link],
    ) -> SamplingResult {
        SamplingResult {
            decision: if (name == self.name) == self.sampled {
                SamplingDecision::RecordAndSample
            } else {
                SamplingDecision::Drop
            },
            attributes: Vec::new(),
            trace_state: TraceState::NONE,
        }
    }
}

/// An application's own span processor, keeping every span that ends.
#[derive(Debug, Clone, Default)]
pub struct Kept(pub Arc<Mutex<Vec<SpanData>>>);

impl SpanProcessor for Kept {
    fn on_start(&self, _span: &mut Span, _context: &Context) {}
    fn on_end(&self, span: SpanData) {
        self.0.lock().unwrap().push(span);
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}
