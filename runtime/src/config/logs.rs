//! Where log records go (`OTEL_LOGS_EXPORTER` and the OTLP logs variables), and
//! how exceptions are recorded (`OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN`).

use super::otlp::{self, LOGS};
use super::vars::Vars;
use super::{Destination, OtlpSettings};
use crate::init::InitError;

/// Where the resolved configuration sends log records: those of the `log` and
/// `tracing` bridges, and exceptions recorded as logs.
#[derive(Debug, PartialEq)]
pub(crate) enum LogsDestination {
    /// No logs pipeline: the application's own logger prints its lines.
    None,
    Otlp(OtlpSettings),
    /// The exporter given to [`super::Config::log_exporter`].
    Custom,
}

/// How a returned error or a panic is recorded beside the span's status, as
/// semantic conventions v1.44 let instrumentations choose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ExceptionSignal {
    /// An `exception` span event (the variable unset): what backends show today.
    #[default]
    SpanEvent,
    /// An `exception` log record linked to the span (`logs`).
    Log,
    /// Both (`logs/dup`), while backends move from one to the other.
    Both,
}

/// Logs are exported when `OTEL_LOGS_EXPORTER=otlp` says so (`console`, as the
/// specification names it, leaves them to the application's own logger, as
/// `none` does), or, when it is
/// unset, as soon as spans go over OTLP (not to an HTTP endpoint of a path of
/// its own, [`otlp::has_room_beside`]) or an endpoint variable applies to logs
/// (the general one too): to the same collector as the spans unless the logs
/// variables say otherwise.
pub(crate) fn destination(vars: &Vars, traces: &Destination) -> Result<LogsDestination, InitError> {
    let exported = match vars.get("OTEL_LOGS_EXPORTER") {
        Some(variable) => variable.exporter_choice(
            &[("otlp", true), ("console", false), ("none", false)],
            "otlp, console or none (console and none: your own logger prints the lines, as without OTLP)",
        )?,
        None => {
            matches!(traces, Destination::Otlp(traces) if otlp::has_room_beside(traces))
                || LOGS.endpoint_asks_for_otlp(vars)
        }
    };
    if !exported {
        return Ok(LogsDestination::None);
    }
    let traces = match traces {
        Destination::Otlp(traces) => Some(traces),
        _ => None,
    };
    Ok(LogsDestination::Otlp(otlp::settings_beside(
        vars, &LOGS, traces,
    )?))
}

/// Whether a bridge that sends log records (`log`, `tracing`) is compiled in.
pub(crate) const BRIDGED: bool = cfg!(any(feature = "log", feature = "tracing"));

/// `destination`, but none where nothing can send a record: no bridge compiled
/// in (`bridged`), and exceptions recorded as span events. An OTLP logs pipeline
/// there (a build of the default features, spans over OTLP) would wait for records
/// that never come, holding two threads, a client and its queue (24 MB at the
/// default size).
pub(crate) fn needed(
    destination: LogsDestination,
    bridged: bool,
    exceptions: ExceptionSignal,
) -> LogsDestination {
    match destination {
        LogsDestination::Otlp(_) if !bridged && exceptions == ExceptionSignal::SpanEvent => {
            LogsDestination::None
        }
        destination => destination,
    }
}

/// What the log records exported are held to (the logs SDK applies no limit):
/// the attributes a record keeps, the first set, and the characters each of
/// their strings keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LogLimits {
    /// `OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT`, else the general
    /// `OTEL_ATTRIBUTE_COUNT_LIMIT`; 128 by default.
    pub max_attributes: usize,
    /// `OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT`, else the general
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`; none by default.
    pub value_length: Option<usize>,
}

pub(crate) fn limits(vars: &Vars) -> Result<LogLimits, InitError> {
    let max_attributes = super::count_limit(
        vars,
        &[
            "OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT",
            super::GENERAL_COUNT_LIMIT,
        ],
        // The specification's default, the spans' too.
        opentelemetry_sdk::trace::SpanLimits::default().max_attributes_per_span as usize,
    )?;
    let value_length = super::length_limit(vars, "OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT")?;
    Ok(LogLimits {
        max_attributes,
        value_length,
    })
}

pub(crate) fn exception_signal(vars: &Vars) -> Result<ExceptionSignal, InitError> {
    const ACCEPTED: &str = "logs or logs/dup";
    let Some(variable) = vars.get("OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN") else {
        return Ok(ExceptionSignal::SpanEvent);
    };
    let mut signal = ExceptionSignal::SpanEvent;
    for entry in variable.list() {
        signal = match entry.to_ascii_lowercase().as_str() {
            "logs/dup" => ExceptionSignal::Both,
            "logs" if signal != ExceptionSignal::Both => ExceptionSignal::Log,
            "logs" => signal,
            _ => return Err(variable.invalid(ACCEPTED)),
        };
    }
    Ok(signal)
}
