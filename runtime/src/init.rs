//! `init()` and its [`Guard`]: installing the provider our spans go to, and taking it
//! down again without losing what was accepted or hanging the application.

use crate::route;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanProcessor};
use std::fmt;
use std::time::Duration;

/// How long dropping a [`Guard`] waits for the last spans to be exported.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Why [`init`] could not install a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitError {
    /// A [`Guard`] from an earlier `init()` is still alive. Drop it first, or keep
    /// using it: there is one provider per process.
    AlreadyInitialized,
    /// This build has no exporter to send spans to: enable the `console` feature.
    NoExporter,
    /// An `OTEL_*` variable holds a value we do not accept.
    InvalidVariable {
        /// The variable's name.
        name: &'static str,
        /// The value it holds.
        value: String,
        /// What it accepts.
        accepted: &'static str,
    },
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::AlreadyInitialized => f.write_str(
                "otel-traced is already initialised: drop the Guard of the first init() before calling it again",
            ),
            InitError::NoExporter => f.write_str(
                "otel-traced was built without an exporter: enable its `console` feature",
            ),
            InitError::InvalidVariable {
                name,
                value,
                accepted,
            } => write!(f, "{name}={value:?} is not valid: it accepts {accepted}"),
        }
    }
}

impl std::error::Error for InitError {}

/// Why [`Guard::shutdown`] did not complete cleanly. The provider is shut down
/// either way; this says what may have been lost.
#[derive(Debug)]
pub struct ShutdownError(OTelSdkError);

impl fmt::Display for ShutdownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shutting down the tracer provider failed: {}", self.0)
    }
}

impl std::error::Error for ShutdownError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Keeps the installed provider alive. Dropping it (or calling
/// [`Guard::shutdown`]) exports what is queued, within 5 seconds at most, and
/// uninstalls the provider; spans of calls still running then are lost.
#[must_use = "dropping the guard shuts tracing down at once"]
#[derive(Debug)]
pub struct Guard {
    provider: Option<SdkTracerProvider>,
}

impl Guard {
    /// Flushes and shuts down now, saying whether everything queued was exported.
    pub fn shutdown(mut self) -> Result<(), ShutdownError> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Result<(), ShutdownError> {
        let Some(provider) = self.provider.take() else {
            return Ok(());
        };
        // Uninstall first, so no new span reaches a provider that is shutting down.
        route::uninstall();
        provider
            .shutdown_with_timeout(SHUTDOWN_TIMEOUT)
            .map_err(ShutdownError)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Err(error) = self.shut_down() {
            eprintln!("otel-traced: {error}");
        }
    }
}

/// Installs the provider our spans go to: the readable console tree, unless
/// `OTEL_SDK_DISABLED=true`, in which case annotated functions cost one atomic load
/// and record nothing. The service is named by `OTEL_SERVICE_NAME` (and
/// `OTEL_RESOURCE_ATTRIBUTES`).
///
/// ```no_run
/// fn main() -> Result<(), otel_traced::InitError> {
///     let _guard = otel_traced::init()?;
///     // annotated code runs here; the guard flushes when main returns
///     Ok(())
/// }
/// ```
pub fn init() -> Result<Guard, InitError> {
    check_value_length_limit()?;
    if sdk_disabled()? {
        return Ok(Guard { provider: None });
    }
    // The console tree, exported from the batch processor's own thread, is the one
    // exporter so far; a build without the `console` feature has nothing to install.
    if !cfg!(feature = "console") {
        return Err(InitError::NoExporter);
    }
    install(crate::console::batch_processor())
}

/// Installs a provider with `processor` as its only processor.
fn install(processor: impl SpanProcessor + 'static) -> Result<Guard, InitError> {
    let provider = SdkTracerProvider::builder()
        .with_resource(Resource::builder().build())
        .with_span_processor(processor)
        .build();
    match route::install(provider.clone()) {
        Ok(()) => Ok(Guard {
            provider: Some(provider),
        }),
        Err(unused) => {
            let _ = unused.shutdown_with_timeout(SHUTDOWN_TIMEOUT);
            Err(InitError::AlreadyInitialized)
        }
    }
}

/// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` must be a number of characters, so that a
/// typo does not silently leave values unlimited.
fn check_value_length_limit() -> Result<(), InitError> {
    let name = crate::value::VALUE_LENGTH_LIMIT_VARIABLE;
    match std::env::var(name) {
        Ok(value) if crate::value::parse_length_limit(&value).is_err() => {
            Err(InitError::InvalidVariable {
                name,
                value,
                accepted: "a whole number of characters (0 or more)",
            })
        }
        _ => Ok(()),
    }
}

/// `OTEL_SDK_DISABLED`: `true` or `false` (any case), default `false`.
fn sdk_disabled() -> Result<bool, InitError> {
    const NAME: &str = "OTEL_SDK_DISABLED";
    match std::env::var(NAME) {
        Err(_) => Ok(false),
        Ok(value) if value.trim().eq_ignore_ascii_case("true") => Ok(true),
        Ok(value) if value.trim().eq_ignore_ascii_case("false") || value.trim().is_empty() => {
            Ok(false)
        }
        Ok(value) => Err(InitError::InvalidVariable {
            name: NAME,
            value,
            accepted: "true or false",
        }),
    }
}
