//! Turning a returned error into what the span records.
//!
//! As with argument values, the best description is chosen by the type system
//! (autoref specialisation, see `value.rs`): an `std::error::Error` gives its
//! `source()` chain; a type that derefs to one (`anyhow::Error`,
//! `Box<dyn Error + Send + Sync>`, `Box<dyn Error + Send>`, `Box<dyn Error + Sync>`,
//! `Box<dyn Error>`) too; a panic's payload handed on (`std::thread::Result`'s
//! `Box<dyn Any + Send>`) its message; otherwise `Display`, then `Debug`, then
//! only the type's name.

use crate::redact::{described, part_to_describe};
use std::any::Any;
use std::convert::Infallible;
use std::error::Error;
use std::fmt::{self, Debug, Display};

/// Sources followed at most, in case a hand-written `source()` loops.
pub(crate) const MAX_SOURCES: usize = 32;

/// What the span records about an error.
#[doc(hidden)]
#[derive(Debug)]
pub struct ErrorReport {
    /// `std::any::type_name` of the error type, recorded as `error.type` and
    /// `exception.type`.
    pub type_name: &'static str,
    /// The status description: the error's `Display` (or `Debug`).
    pub description: String,
    /// `exception.message`: the description and the `source()` chain, joined by ": ".
    pub message: String,
}

impl ErrorReport {
    pub(crate) fn from_error<E>(error: &(dyn Error + '_)) -> Self {
        let description = described(format_args!("{error}"));
        let message = match error.source() {
            None => description.clone(),
            Some(_) => described_with_sources(error),
        };
        ErrorReport {
            type_name: std::any::type_name::<E>(),
            description,
            message,
        }
    }

    /// The report of a description made already ([`described`]).
    pub(crate) fn from_text<E>(description: String) -> Self {
        ErrorReport {
            type_name: std::any::type_name::<E>(),
            message: description.clone(),
            description,
        }
    }
}

/// `error`'s text with its `source()` chain, as `exception.message` says it:
/// the whole chain within one bound, as any formatted value (a `tracing` event's
/// error field is said so too).
pub(crate) fn described_with_sources(error: &(dyn Error + '_)) -> String {
    described(format_args!("{}", Chain(error)))
}

/// An error and its `source()` chain (up to [`MAX_SOURCES`] causes), joined by
/// ": ". A cause whose text the error before it says already, as words of its
/// own, is left out: the common `#[error("loading config: {0}")] Io(#[from]
/// io::Error)` gave "loading config: not found: not found". Each link is
/// formatted as the whole is (redacted and cut after).
struct Chain<'a, 'e>(&'a (dyn Error + 'e));

impl Display for Chain<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut said = part_to_describe(format_args!("{}", self.0));
        f.write_str(&said)?;
        let mut source = self.0.source();
        for _ in 0..MAX_SOURCES {
            let Some(cause) = source else { break };
            let text = part_to_describe(format_args!("{cause}"));
            // An empty one says nothing, and the next is read against the one
            // before it.
            if !text.is_empty() {
                if !says(&said, &text) {
                    write!(f, ": {text}")?;
                }
                said = text;
            }
            source = cause.source();
        }
        Ok(())
    }
}

/// Whether `text` is in `said` as words of its own: not a part of a word or a
/// number (a cause `0` under "exited with status 10" is said).
fn says(said: &str, text: &str) -> bool {
    let apart = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    said.match_indices(text).any(|(at, _)| {
        apart(said[..at].chars().next_back()) && apart(said[at + text.len()..].chars().next())
    })
}

/// A produced value whose outcome is recorded as a result: `Result` itself, named
/// through any alias. A type that is not one, under `err`, fails to compile here.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`err` records the `Err` of a `Result`, but this function produces `{Self}`",
    label = "not a `Result`",
    note = "remove `err`, or return a `Result`"
)]
pub trait ResultLike {
    type Ok;
    type Err;
    fn as_result(&self) -> Result<&Self::Ok, &Self::Err>;
}

impl<T, E> ResultLike for Result<T, E> {
    type Ok = T;
    type Err = E;
    #[inline]
    fn as_result(&self) -> Result<&T, &E> {
        self.as_ref()
    }
}

/// Wraps a produced value written as a `Result` where `err` is not given: the
/// expansion calls `__otel_result` on `&ResultProbe(&value)`, which gives the
/// outcome of `std`'s `Result` (through any alias), and for another type of that
/// name (an application's own `Result` enum) the whole value as an `Ok`, recorded
/// then as any other value instead of failing to compile. One shape for both, so
/// that only the chosen one's arms are compiled.
#[doc(hidden)]
#[derive(Debug)]
pub struct ResultProbe<'a, R: ?Sized>(pub &'a R);

/// Chosen for `std`'s `Result`.
#[doc(hidden)]
pub trait ViaResult<'a> {
    type Ok;
    type Err;
    fn __otel_result(&self) -> Result<&'a Self::Ok, &'a Self::Err>;
}

impl<'a, T, E> ViaResult<'a> for ResultProbe<'a, Result<T, E>> {
    type Ok = T;
    type Err = E;
    #[inline]
    fn __otel_result(&self) -> Result<&'a T, &'a E> {
        self.0.as_ref()
    }
}

/// Chosen for any other type named `Result`: the whole value, never an error.
#[doc(hidden)]
pub trait ViaOtherResult<'a, R: ?Sized> {
    fn __otel_result(&self) -> Result<&'a R, &'a Infallible>;
}

impl<'a, R: ?Sized> ViaOtherResult<'a, R> for &ResultProbe<'a, R> {
    #[inline]
    fn __otel_result(&self) -> Result<&'a R, &'a Infallible> {
        Ok(self.0)
    }
}

/// Probe wrapping a returned error; the expansion calls `__otel_error` on
/// `&&&&&&&&&ErrorProbe(&error)`.
#[doc(hidden)]
#[derive(Debug)]
pub struct ErrorProbe<'a, E>(pub &'a E);

/// (`for<'e>`, where given, names the lifetime of a boxed error, `Box<dyn Error + 'a>`
/// borrowing from the call: method lookup does not look at lifetimes, so a level
/// that required `'static` would be chosen, and then fail to compile.)
macro_rules! error_level {
    ($level:ident, $receiver:ty, $bound:path, $(for<$lifetime:lifetime>,)? |$error:ident| $report:expr) => {
        #[doc(hidden)]
        pub trait $level {
            fn __otel_error(&self) -> ErrorReport;
        }
        impl<$($lifetime,)? E: $bound> $level for $receiver {
            fn __otel_error(&self) -> ErrorReport {
                let $error = self.0;
                $report
            }
        }
    };
}

error_level!(ViaError, &&&&&&&&ErrorProbe<'_, E>, Error, |error| {
    ErrorReport::from_error::<E>(error)
});
error_level!(
    ViaSharedErrorRef,
    &&&&&&&ErrorProbe<'_, E>,
    AsRef<dyn Error + Send + Sync + 'e>,
    for<'e>,
    |error| ErrorReport::from_error::<E>(AsRef::<dyn Error + Send + Sync + 'e>::as_ref(error))
);
error_level!(
    ViaSendErrorRef,
    &&&&&&ErrorProbe<'_, E>,
    AsRef<dyn Error + Send + 'e>,
    for<'e>,
    |error| ErrorReport::from_error::<E>(AsRef::<dyn Error + Send + 'e>::as_ref(error))
);
error_level!(
    ViaSyncErrorRef,
    &&&&&ErrorProbe<'_, E>,
    AsRef<dyn Error + Sync + 'e>,
    for<'e>,
    |error| ErrorReport::from_error::<E>(AsRef::<dyn Error + Sync + 'e>::as_ref(error))
);
error_level!(
    ViaErrorRef,
    &&&&ErrorProbe<'_, E>,
    AsRef<dyn Error + 'e>,
    for<'e>,
    |error| ErrorReport::from_error::<E>(AsRef::<dyn Error + 'e>::as_ref(error))
);
error_level!(
    ViaPanicPayload,
    &&&ErrorProbe<'_, E>,
    AsRef<dyn Any + Send>,
    |payload| ErrorReport::from_text::<E>(crate::panic::described_panic_payload(payload.as_ref()))
);
error_level!(ViaDisplay, &&ErrorProbe<'_, E>, Display, |error| {
    ErrorReport::from_text::<E>(described(format_args!("{error}")))
});
error_level!(ViaDebug, &ErrorProbe<'_, E>, Debug, |error| {
    ErrorReport::from_text::<E>(described(format_args!("{error:?}")))
});

/// Last resort: an error type with no way to print it is described by its name.
#[doc(hidden)]
pub trait ViaTypeName {
    fn __otel_error(&self) -> ErrorReport;
}

impl<E> ViaTypeName for ErrorProbe<'_, E> {
    fn __otel_error(&self) -> ErrorReport {
        ErrorReport::from_text::<E>(std::any::type_name::<E>().to_owned())
    }
}

/// The type name of an error, for the call's outcome: known without formatting
/// the error, so it is noted also when the span does not record.
#[doc(hidden)]
#[inline]
pub fn type_name_of<E: ?Sized>(_error: &E) -> &'static str {
    std::any::type_name::<E>()
}
