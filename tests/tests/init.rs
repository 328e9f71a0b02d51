//! `init()` and its guard, in a binary of their own: they install a process-wide
//! provider, so the steps run in order inside one test.

use otel_traced::opentelemetry::Context;
use otel_traced::opentelemetry::trace::TraceContextExt;
use otel_traced::{InitError, traced};

#[traced]
fn has_span() -> bool {
    Context::current().has_active_span()
}

fn set_disabled(value: Option<&str>) {
    // SAFETY: this binary runs a single test, so no other thread reads the
    // environment while it changes.
    unsafe {
        match value {
            Some(value) => std::env::set_var("OTEL_SDK_DISABLED", value),
            None => std::env::remove_var("OTEL_SDK_DISABLED"),
        }
    }
}

#[test]
fn init_installs_once_per_guard_and_honours_sdk_disabled() {
    assert!(!has_span(), "nothing installed yet");

    let guard = otel_traced::init().expect("first init");
    assert!(has_span(), "spans open once a provider is installed");
    assert_eq!(
        otel_traced::init().err(),
        Some(InitError::AlreadyInitialized)
    );
    guard.shutdown().expect("a clean shutdown");
    assert!(!has_span(), "the guard's shutdown uninstalls the provider");

    let guard = otel_traced::init().expect("init again after the guard is gone");
    assert!(has_span());
    drop(guard);
    assert!(
        !has_span(),
        "dropping the guard uninstalls the provider too"
    );

    set_disabled(Some("true"));
    let guard = otel_traced::init().expect("a disabled SDK still initialises");
    assert!(!has_span(), "OTEL_SDK_DISABLED=true opens no span");
    drop(guard);

    set_disabled(Some("maybe"));
    let error = otel_traced::init().expect_err("an invalid value is an error");
    assert_eq!(
        error.to_string(),
        "OTEL_SDK_DISABLED=\"maybe\" is not valid: it accepts true or false"
    );
    set_disabled(None);

    // SAFETY: as for `set_disabled`.
    unsafe { std::env::set_var("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "ten") };
    assert_eq!(
        otel_traced::init()
            .expect_err("a limit that is not a number")
            .to_string(),
        "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=\"ten\" is not valid: it accepts a whole number of characters (0 or more)"
    );
    // SAFETY: as for `set_disabled`.
    unsafe { std::env::remove_var("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT") };
}
