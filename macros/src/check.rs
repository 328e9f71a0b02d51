//! Every user mistake becomes a diagnostic at the offending token, and all of one
//! annotation's mistakes are reported in one build. What passes is resolved into the
//! plan `expand` turns into code: which parameters are recorded, under which keys.

use crate::parse::{Errors, Param, ParamMode, TracedFn};
use proc_macro2::Span;
use syn::ext::IdentExt as _;
use syn::{Ident, LitStr};

/// The longest span name accepted, in bytes.
const MAX_NAME_BYTES: usize = 255;

/// Snake-case segments that mark a parameter as a secret (DESIGN §3).
const SECRET_SEGMENTS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "secrets",
    "token",
    "credential",
    "credentials",
    "authorization",
    "auth",
    "cookie",
];

/// Pairs of adjacent segments that mark a secret.
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("access", "key"),
    ("secret", "key"),
];

/// How a recorded parameter becomes a value (see the runtime's `value.rs`).
#[derive(Clone, Copy)]
pub(crate) enum Probe {
    /// `AsAttribute` or a scalar, otherwise not recorded.
    Default,
    /// `#[attr]`: `AsAttribute`, a scalar, then `Debug`.
    Debug,
    /// `#[attr(display)]`: `AsAttribute`, a scalar, then `Display`.
    Display,
}

pub(crate) struct Recorded {
    pub ident: Ident,
    pub key: String,
    pub probe: Probe,
}

/// Checks `traced`, adding to the errors `parse` found, and returns the recording
/// plan: which parameters are recorded, under which keys.
pub(crate) fn check(traced: &TracedFn, mut errors: Errors) -> syn::Result<Vec<Recorded>> {
    if let Some(name) = &traced.options.name {
        check_span_name(name, &mut errors);
    }
    check_skip_list(traced, &mut errors);
    let recorded = plan_recording(traced, &mut errors);
    errors.finish().map(|()| recorded)
}

fn check_span_name(name: &LitStr, errors: &mut Errors) {
    let value = name.value();
    let problem = if value.is_empty() {
        Some(
            "the span name is empty; give a name or remove `name =` to use the function's"
                .to_owned(),
        )
    } else if value.len() > MAX_NAME_BYTES {
        Some(format!(
            "the span name is {} bytes long; the limit is {MAX_NAME_BYTES}",
            value.len()
        ))
    } else if value.chars().any(char::is_control) {
        Some("the span name contains a control character".to_owned())
    } else if value.contains(['{', '}']) {
        Some("the span name contains `{` or `}`: a formatted name has unbounded cardinality; use a fixed name and record the variable part as an attribute".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        errors.push(syn::Error::new(name.span(), problem));
    }
}

/// Names in `skip(..)` must be parameters, each named once.
fn check_skip_list(traced: &TracedFn, errors: &mut Errors) {
    let names: Vec<&Ident> = traced
        .params
        .iter()
        .filter_map(|p| p.ident.as_ref())
        .collect();
    let skip = &traced.options.skip;
    for (index, skipped) in skip.iter().enumerate() {
        if skip[..index].contains(skipped) {
            errors.push(syn::Error::new(
                skipped.span(),
                format!("`{skipped}` is listed twice in `skip(..)`"),
            ));
        } else if !names.contains(&skipped) {
            let function = &traced.function.sig.ident;
            errors.push(syn::Error::new(
                skipped.span(),
                format!("`{skipped}` is not a parameter of `{function}`; `skip(..)` lists parameter names"),
            ));
        }
    }
}

/// Decides, parameter by parameter, what is recorded under which key. An explicit
/// key replaces the default recording of a parameter with the same name; two
/// explicit declarations of one key are an error.
fn plan_recording(traced: &TracedFn, errors: &mut Errors) -> Vec<Recorded> {
    let options = &traced.options;
    let mut explicit: Vec<Recorded> = Vec::new();
    let mut explicit_keys: Vec<(String, Span)> = Vec::new();
    let mut defaults: Vec<Recorded> = Vec::new();
    for param in &traced.params {
        let Some(ident) = &param.ident else { continue };
        let listed_in_skip = options.skip.contains(ident);
        match &param.mode {
            ParamMode::Skipped => {}
            ParamMode::Explicit { key, display } => {
                if listed_in_skip {
                    errors.push(syn::Error::new(
                        ident.span(),
                        format!(
                            "`{ident}` is both listed in `skip(..)` and marked `#[attr]`; keep one"
                        ),
                    ));
                    continue;
                }
                let (key, key_span) = match key {
                    Some(literal) => {
                        check_key(literal, errors);
                        (literal.value(), literal.span())
                    }
                    None => (ident.unraw().to_string(), param.span),
                };
                if explicit_keys.iter().any(|(seen, _)| *seen == key) {
                    errors.push(syn::Error::new(
                        key_span,
                        format!("attribute key `{key}` is declared twice on this function"),
                    ));
                    continue;
                }
                explicit_keys.push((key.clone(), key_span));
                let probe = if *display {
                    Probe::Display
                } else {
                    Probe::Debug
                };
                explicit.push(Recorded {
                    ident: ident.clone(),
                    key,
                    probe,
                });
            }
            ParamMode::Default => {
                if listed_in_skip || options.skip_all.is_some() || is_secret_name(param) {
                    continue;
                }
                defaults.push(Recorded {
                    ident: ident.clone(),
                    key: ident.unraw().to_string(),
                    probe: Probe::Default,
                });
            }
        }
    }
    defaults.retain(|default| !explicit_keys.iter().any(|(key, _)| *key == default.key));
    defaults.extend(explicit);
    defaults
}

/// The OpenTelemetry naming rules: lowercase `a-z0-9_` segments joined by single
/// dots, outside the reserved `otel.` namespace.
fn check_key(key: &LitStr, errors: &mut Errors) {
    let value = key.value();
    let well_formed = !value.is_empty()
        && value.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    if !well_formed {
        errors.push(syn::Error::new(
            key.span(),
            format!("`{value}` is not a valid attribute key: use lowercase `a-z`, `0-9` and `_`, in segments joined by single dots (e.g. `order.item_count`)"),
        ));
    } else if value == "otel" || value.starts_with("otel.") {
        errors.push(syn::Error::new(
            key.span(),
            format!("`{value}` is in the `otel.` namespace, which OpenTelemetry reserves; choose another key"),
        ));
    }
}

/// A parameter whose name suggests a secret is not recorded by default (DESIGN §3).
fn is_secret_name(param: &Param) -> bool {
    let Some(ident) = &param.ident else {
        return false;
    };
    let name = ident.to_string().to_ascii_lowercase();
    let segments: Vec<&str> = name.split('_').filter(|s| !s.is_empty()).collect();
    segments
        .iter()
        .any(|segment| SECRET_SEGMENTS.contains(segment))
        || segments
            .windows(2)
            .any(|pair| SECRET_PAIRS.contains(&(pair[0], pair[1])))
}
