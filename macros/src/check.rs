//! Every user mistake becomes a diagnostic at the offending token, and all of one
//! annotation's mistakes are reported in one build. What passes is resolved into the
//! plan `expand` turns into code: which parameters are recorded, under which keys.

use crate::fields::{Field, Format, Key};
use crate::parse::{Errors, ParamMode, TracedFn};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens as _;
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

/// How a recorded value becomes an attribute value (see the runtime's `value.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    /// A parameter by default: `AsAttribute` or a scalar, otherwise not recorded.
    Default,
    /// `#[attr]`, `attrs(key = value)`, `ret`: `AsAttribute`, a scalar, then
    /// `Debug`, otherwise a compile error.
    Explicit,
    /// `#[attr(display)]`: `AsAttribute`, a scalar, then `Display`.
    ExplicitDisplay,
    /// `%value`: `Display`.
    Display,
    /// `?value`: `Debug`.
    Debug,
}

impl From<Format> for Probe {
    fn from(format: Format) -> Self {
        match format {
            Format::Typed => Probe::Explicit,
            Format::Display => Probe::Display,
            Format::Debug => Probe::Debug,
        }
    }
}

/// One attribute the expansion records: under `key`, the value of the expression
/// `value` (a parameter's name or a field's expression), with diagnostics at `span`.
pub(crate) struct Recorded {
    pub key: String,
    pub probe: Probe,
    pub value: TokenStream,
    pub span: Span,
}

impl Recorded {
    fn field(field: &Field) -> Self {
        Recorded {
            key: field.key.name.clone(),
            probe: field.format.into(),
            value: field.value.to_token_stream(),
            span: syn::spanned::Spanned::span(&field.value),
        }
    }
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

/// Decides what is recorded under which key: parameters, then `attrs(..)` fields.
/// An explicit key (`#[attr]`, `attrs`) replaces the default recording of a
/// parameter with the same name; two explicit declarations of one key are an error.
fn plan_recording(traced: &TracedFn, errors: &mut Errors) -> Vec<Recorded> {
    let options = &traced.options;
    let mut explicit: Vec<Recorded> = Vec::new();
    let mut explicit_keys: Vec<String> = Vec::new();
    let mut defaults: Vec<Recorded> = Vec::new();
    let mut declare = |key: &Key, recorded: Recorded, errors: &mut Errors| {
        if explicit_keys.contains(&key.name) {
            errors.push(key.error(format!(
                "attribute key `{}` is declared twice on this function",
                key.name
            )));
        } else {
            explicit_keys.push(key.name.clone());
            explicit.push(recorded);
        }
    };
    for param in &traced.params {
        let Some(ident) = &param.ident else { continue };
        let listed_in_skip = options.skip.contains(ident);
        let name = ident.unraw().to_string();
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
                let key = match key {
                    Some(literal) => {
                        let key = Key::from(literal);
                        check_key(&key, errors);
                        key
                    }
                    None => Key::new(name, param.span),
                };
                let probe = if *display {
                    Probe::ExplicitDisplay
                } else {
                    Probe::Explicit
                };
                let recorded = Recorded {
                    key: key.name.clone(),
                    probe,
                    value: ident.to_token_stream(),
                    span: ident.span(),
                };
                declare(&key, recorded, errors);
            }
            ParamMode::Default => {
                if listed_in_skip || options.skip_all.is_some() || is_secret_name(&name) {
                    continue;
                }
                defaults.push(Recorded {
                    key: name,
                    probe: Probe::Default,
                    value: ident.to_token_stream(),
                    span: ident.span(),
                });
            }
        }
    }
    for field in &options.attrs {
        check_key(&field.key, errors);
        declare(&field.key, Recorded::field(field), errors);
    }
    defaults.retain(|default| !explicit_keys.contains(&default.key));
    defaults.extend(explicit);
    defaults
}

/// The fields of `record!(..)` or `event!(..)`, checked, as recorded values.
pub(crate) fn check_fields(fields: &[Field]) -> syn::Result<Vec<Recorded>> {
    let mut errors = Errors::default();
    for field in fields {
        check_key(&field.key, &mut errors);
    }
    errors.finish()?;
    Ok(fields.iter().map(Recorded::field).collect())
}

/// The OpenTelemetry naming rules: lowercase `a-z0-9_` segments joined by single
/// dots, outside the reserved `otel.` namespace.
fn check_key(key: &Key, errors: &mut Errors) {
    let value = &key.name;
    let well_formed = !value.is_empty()
        && value.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    if !well_formed {
        errors.push(key.error(format!(
            "`{value}` is not a valid attribute key: use lowercase `a-z`, `0-9` and `_`, in segments joined by single dots (e.g. `order.item_count`)"
        )));
    } else if value == "otel" || value.starts_with("otel.") {
        errors.push(key.error(format!(
            "`{value}` is in the `otel.` namespace, which OpenTelemetry reserves; choose another key"
        )));
    }
}

/// A parameter whose name suggests a secret is not recorded by default (DESIGN §3).
fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let segments: Vec<&str> = name.split('_').filter(|s| !s.is_empty()).collect();
    segments
        .iter()
        .any(|segment| SECRET_SEGMENTS.contains(segment))
        || segments
            .windows(2)
            .any(|pair| SECRET_PAIRS.contains(&(pair[0], pair[1])))
}
