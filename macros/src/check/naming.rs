//! The naming checks of DESIGN §5: span and event names, attribute keys against the
//! OpenTelemetry naming rules and the semantic-conventions registry, and literal
//! values against the registry's types and enum values.
//!
//! Mistakes are errors; what may be intended but is probably wrong (a deprecated
//! key, a near miss of a registry key, an unknown enum value) is a warning. Stable
//! Rust has no warning API for procedural macros, so a warning is the use of a
//! `#[deprecated]` item whose note is the message, spanned at the offending token:
//! the compiler prints it as a `deprecated` lint, which `#![deny(deprecated)]` turns
//! into an error like any other.

use crate::fields::{Field, Format, Key};
use crate::parse::Errors;
use crate::registry::{self, Deprecation, Lookup, Type};
use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::{Expr, Lit, LitStr, UnOp};

/// The longest span or event name accepted, in bytes.
pub(crate) const MAX_NAME_BYTES: usize = 255;

/// A warning, emitted by the expansion as the use of a deprecated item.
pub(crate) struct Warning {
    kind: WarningKind,
    message: String,
    span: Span,
}

#[derive(Clone, Copy)]
enum WarningKind {
    DeprecatedKey,
    InvalidKey,
    NamespaceKey,
    UnknownKey,
    UnknownValue,
}

impl Warning {
    /// The statement that makes the compiler print this warning at its token.
    pub(crate) fn to_tokens(&self) -> TokenStream {
        let item = syn::Ident::new(
            match self.kind {
                WarningKind::DeprecatedKey => "deprecated_attribute_key",
                WarningKind::InvalidKey => "invalid_attribute_key",
                WarningKind::NamespaceKey => "attribute_key_is_a_namespace",
                WarningKind::UnknownKey => "unknown_attribute_key",
                WarningKind::UnknownValue => "unknown_attribute_value",
            },
            self.span,
        );
        let message = &self.message;
        quote_spanned! {self.span=>
            {
                #[deprecated(note = #message)]
                #[allow(non_camel_case_types)]
                struct #item;
                let _ = #item;
            }
        }
    }
}

/// What checks collect: errors (the build fails) and warnings.
#[derive(Default)]
pub(crate) struct Findings {
    pub errors: Errors,
    pub warnings: Vec<Warning>,
}

impl Findings {
    fn warn(&mut self, kind: WarningKind, span: Span, message: String) {
        self.warnings.push(Warning {
            kind,
            message,
            span,
        });
    }
}

/// Which name is checked.
#[derive(Clone, Copy)]
pub(crate) enum NameKind {
    /// `name = ".."` of `#[traced]`.
    Span,
    /// The span name a boundary makes of its parts (a messaging operation and
    /// destination, a gRPC service and method), whose braces are no HTTP route's.
    BoundarySpan,
    /// The name of `event!("..")`.
    Event,
}

/// A span name (`name = ..`) or an event name (`event!("..")`): fixed, readable
/// text of bounded length, without the braces of a formatted name.
pub(crate) fn check_name(name: &LitStr, kind: NameKind, errors: &mut Errors) {
    let value = name.value();
    let what = match kind {
        NameKind::Span | NameKind::BoundarySpan => "span name",
        NameKind::Event => "event name",
    };
    let problem = if value.trim().is_empty() {
        let empty = if value.is_empty() {
            "empty"
        } else {
            "only white space"
        };
        Some(match kind {
            NameKind::Span | NameKind::BoundarySpan => format!(
                "the {what} is {empty}; give a name or remove `name =` to use the function's"
            ),
            NameKind::Event => format!("the {what} is {empty}; name the event"),
        })
    } else if value.len() > MAX_NAME_BYTES {
        Some(format!(
            "the {what} is {} bytes long; the limit is {MAX_NAME_BYTES}",
            value.len()
        ))
    } else if value
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        // A line or paragraph separator breaks a line as a newline does.
        Some(format!(
            "the {what} contains a control character or a line separator"
        ))
    } else if value.contains(['{', '}']) {
        // `GET /users/{id}`: an HTTP span's name, which `#[traced_rpc]` makes of
        // the method and the route.
        let http_route = value
            .split_once(' ')
            .filter(|(method, path)| {
                !method.is_empty()
                    && method.bytes().all(|b| b.is_ascii_uppercase())
                    && path.starts_with('/')
            })
            .map(|(_, path)| path);
        Some(match (kind, http_route) {
            (NameKind::Span, Some(route)) => format!(
                "the {what} contains `{{` or `}}`: a formatted name has unbounded cardinality; an HTTP span is named after its method and route by `#[traced_rpc(http, route = \"{route}\")]` (a client's, its URL template: `#[traced_rpc(client, http, template = \"{route}\")]`)"
            ),
            _ => format!(
                "the {what} contains `{{` or `}}`: a formatted name has unbounded cardinality; use a fixed name and record the variable part as an attribute"
            ),
        })
    } else {
        None
    };
    if let Some(problem) = problem {
        errors.push(syn::Error::new(name.span(), problem));
    }
}

/// Checks a key and, when the field gives one, its value: the naming rules, the
/// reserved namespace, deprecation, near misses, and literal types and enum values.
pub(crate) fn check_key(key: &Key, field: Option<&Field>, findings: &mut Findings) {
    if !well_formed(&key.name) {
        // A key that would pass: never a template's prefix alone (`order.`
        // would make `order`, `http.request.header.` a prefix), nor a deprecated
        // one's (`container.labels.`), nor a misspelt one's
        // (`http.request.headers.`), which would pass as a key of the user's own.
        // A template's prefix in any case (`Http.Request.Header.X-Id`), what
        // follows it as written.
        // (Lowercased for the lookups, which keeps every byte's place.)
        let lowered = key.name.to_ascii_lowercase();
        let under_template = registry::template_for(&lowered)
            .map(|template| (template, template.key.len() + 1))
            .or_else(|| {
                registry::template_slip(&lowered)
                    .map(|(template, rest)| (template, lowered.len() - rest.len()))
            })
            .map(|(template, rest_start)| (template, &key.name[rest_start..]));
        let (mut template, mut suggested) = match under_template {
            Some((template, rest)) => {
                let current = current_name(template);
                (
                    Some(current),
                    normalized(&format!("{current}.{rest}"), Some(current)),
                )
            }
            None => (None, normalized(&key.name, None)),
        };
        match registry::lookup(&suggested) {
            Lookup::Known(attribute) if attribute.ty.is_template() => {
                let current = current_name(attribute);
                suggested = format!("{current}.{}", template_example(current));
                template = Some(current);
            }
            // Not a deprecated key, which would be warned of next: its replacement,
            // or none.
            Lookup::Known(attribute) => match attribute.deprecated {
                Some(Deprecation::Obsolete(_)) => suggested.clear(),
                _ => suggested = current_name(attribute).to_owned(),
            },
            Lookup::Template(_) => {}
            Lookup::Unknown => {
                // Nor a namespace or another key's extension, warned of too.
                if registry::namespace_member(&suggested).is_some()
                    || registry::extended_key(&suggested).is_some()
                {
                    suggested.clear();
                }
            }
        }
        let rule = match template {
            Some(template) if lowercase_suffix(template) => format!(
                "after the template prefix `{template}.` use lowercase `a-z`, `0-9`, `_` and `-`, as the conventions write these names"
            ),
            Some(template) => format!(
                "after the template prefix `{template}.` use letters, digits, `_`, `-` and `/`, in segments joined by single dots"
            ),
            None => {
                "use lowercase `a-z`, `0-9` and `_`, in segments joined by single dots".to_owned()
            }
        };
        // None where what is left would fail again (`OTEL.x`, nothing but dots).
        let example = if is_reserved(&suggested) {
            ", outside the `otel.` namespace, which OpenTelemetry reserves".to_owned()
        } else if well_formed(&suggested) && says_something(&suggested) {
            format!(", such as `{suggested}`")
        } else {
            String::new()
        };
        findings.errors.push(key.error(format_args!(
            "`{}` is not a valid attribute key: {rule}{example}",
            key.name,
        )));
        return;
    }
    if !says_something(&key.name) {
        findings.errors.push(key.error(format_args!(
            "`{}` is not a valid attribute key: each segment needs a letter or a digit, as in `order.id`",
            key.name
        )));
        return;
    }
    if is_reserved(&key.name) {
        // `tracing-opentelemetry`'s special fields, for code moving from it.
        let here = match key.name.as_str() {
            "otel.name" => ": the span's name is `name = \"..\"`, a literal",
            "otel.kind" => ": the span's kind is `kind = ..`",
            "otel.status_code" | "otel.status_description" => {
                ": the span's status is set with `otel_traced::set_status(..)`"
            }
            _ => "; choose another key",
        };
        findings.errors.push(key.error(format_args!(
            "`{}` is in the `otel.` namespace, which OpenTelemetry reserves{here}",
            key.name
        )));
        return;
    }
    if key.name.starts_with("otel_traced.") {
        findings.errors.push(key.error(format_args!(
            "`{}` is in the `otel_traced.` namespace, which otel-traced's own attributes (`otel_traced.cancelled`, `otel_traced.messages`) are in; choose another key",
            key.name
        )));
        return;
    }
    if is_own_key(&key.name) {
        return;
    }
    let (attribute, suffix) = match registry::lookup(&key.name) {
        Lookup::Known(attribute) if attribute.ty.is_template() => {
            // Pointing at the replacement of a deprecated one.
            let template = current_name(attribute);
            findings.errors.push(key.error(format_args!(
                "`{}` is a template in the semantic conventions: its keys are `{template}.<name>`, such as `{template}.{}`",
                key.name,
                template_example(template)
            )));
            return;
        }
        Lookup::Known(attribute) => (attribute, ""),
        Lookup::Template(attribute) => (attribute, &key.name[attribute.key.len()..]),
        Lookup::Unknown => {
            if let Some(extended) = registry::extended_key(&key.name) {
                findings.warn(
                    WarningKind::NamespaceKey,
                    key.segment_span(extended.split('.').count()),
                    format!(
                        "`{}` puts a key under `{extended}`, a key of the semantic conventions, and a key should not be a namespace of another; choose another key",
                        key.name
                    ),
                );
            } else if let Some(member) = registry::namespace_member(&key.name) {
                findings.warn(
                    WarningKind::NamespaceKey,
                    key.segment_span(last_segment(&key.name)),
                    format!(
                        "`{}` is a namespace in the semantic conventions (`{member}` is one of its keys), and a key should not coincide with a namespace; choose another key",
                        key.name
                    ),
                );
            } else if let Some((template, rest)) = registry::template_slip(&key.name) {
                let meant = format!("{}.{rest}", current_name(template));
                findings.warn(
                    WarningKind::UnknownKey,
                    key.segment_span(first_difference(&key.name, &meant)),
                    format!(
                        "`{}` is not in the semantic conventions registry; did you mean `{meant}`?",
                        key.name
                    ),
                );
            } else if let Some(candidate) = registry::suggestion(&key.name) {
                findings.warn(
                    WarningKind::UnknownKey,
                    key.segment_span(first_difference(&key.name, candidate)),
                    format!(
                        "`{}` is not in the semantic conventions registry; did you mean `{candidate}`?",
                        key.name
                    ),
                );
            }
            return;
        }
    };
    match attribute.deprecated {
        Some(Deprecation::RenamedTo(replacement)) => {
            let meant = format!("{replacement}{suffix}");
            findings.warn(
                WarningKind::DeprecatedKey,
                key.segment_span(first_difference(&key.name, &meant)),
                format!(
                    "`{}` is deprecated in the semantic conventions: use `{meant}`",
                    key.name
                ),
            );
        }
        Some(Deprecation::Obsolete(reason)) => findings.warn(
            WarningKind::DeprecatedKey,
            key.segment_span(last_segment(&key.name)),
            format!(
                "`{}` is deprecated in the semantic conventions ({reason})",
                key.name
            ),
        ),
        None => {}
    }
    if let Some(field) = field {
        check_value(&key.name, attribute, field, findings);
    }
}

/// The index of `key`'s first segment that differs from `meant`'s (its last when
/// none does), where a warning that names `meant` points.
fn first_difference(key: &str, meant: &str) -> usize {
    key.split('.')
        .zip(meant.split('.'))
        .position(|(written, meant)| written != meant)
        .unwrap_or_else(|| last_segment(key))
}

/// The index of `key`'s last segment, the attribute's own name in its namespace.
fn last_segment(key: &str) -> usize {
    key.split('.').count() - 1
}

/// Whether `key` is in the `otel.` namespace, which OpenTelemetry reserves.
fn is_reserved(key: &str) -> bool {
    key == "otel" || key.starts_with("otel.")
}

/// The name to use for `attribute`: its replacement when it was renamed.
fn current_name(attribute: &registry::Attribute) -> &'static str {
    match attribute.deprecated {
        Some(Deprecation::RenamedTo(replacement)) => replacement,
        _ => attribute.key,
    }
}

/// Whether `key` is the application's own whatever the registry holds under that
/// name: a key without a dot (`state`, deprecated there).
fn is_own_key(key: &str) -> bool {
    !key.contains('.')
}

/// A name to show after a template prefix: a header's for headers and metadata,
/// a label's otherwise.
fn template_example(template: &str) -> &'static str {
    if template.ends_with(".header") || template.ends_with(".metadata") {
        "x-request-id"
    } else {
        "app"
    }
}

/// Whether `key` follows the naming rules.
pub(crate) fn is_valid_key(key: &str) -> bool {
    well_formed(key)
}

/// The key `name` suggests, as an annotation writes it (quoted where a segment
/// starts with a digit: `"2fa"`, no path); `None` where what is left would fail
/// again (nothing but separators, the reserved `otel.` namespace).
pub(crate) fn suggested_key(name: &str) -> Option<String> {
    let key = normalized(name, None);
    if !well_formed(&key) || !says_something(&key) || is_reserved(&key) {
        return None;
    }
    Some(written_key(&key))
}

/// `key` as an annotation writes it: a path where its segments are identifiers
/// (`user.id`), else quoted (`"2fa"`, `"k8s.pod.label.app-tier"`).
pub(crate) fn written_key(key: &str) -> String {
    let a_path = key.split('.').all(|segment| {
        segment.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    if a_path {
        key.to_owned()
    } else {
        format!("\"{key}\"")
    }
}

/// A key taken from a parameter's name. The name is valid Rust but may not be a
/// valid key (a `#[allow(non_snake_case)]` or non-ASCII name): a warning, since the
/// code compiled before and the fix is one attribute.
pub(crate) fn check_parameter_key(key: &Key, findings: &mut Findings) {
    if is_reserved(&key.name) {
        findings.warn(
            WarningKind::InvalidKey,
            key.span(),
            format!(
                "parameter `{name}` is recorded under the key `{name}`, in the `otel.` namespace, which OpenTelemetry reserves: name its key with `#[attr(\"..\")]`, or `#[skip]` it",
                name = key.name
            ),
        );
        return;
    }
    if well_formed(&key.name) {
        return;
    }
    // Its words in snake case: `userID` is `user_id`.
    let normalized = normalized(&super::words(&key.name).join("_"), None);
    let example = if says_something(&normalized) {
        normalized
    } else {
        "..".to_owned()
    };
    findings.warn(
        WarningKind::InvalidKey,
        key.span(),
        format!(
            "parameter `{name}` is recorded under the key `{name}`, which is not a valid attribute key (lowercase `a-z`, `0-9` and `_`): name its key with `#[attr(\"{example}\")]`, or `#[skip]` it",
            name = key.name,
        ),
    );
}

/// Whether a key brought within the rules ([`normalized`]) still says something:
/// a letter or digit in every segment (`订单.编号` becomes `__.__`, no key to show).
fn says_something(key: &str) -> bool {
    key.split('.')
        .all(|segment| segment.bytes().any(|b| b.is_ascii_alphanumeric()))
}

/// Lowercase `a-z0-9_` segments joined by single dots. Under a template prefix
/// the suffix names what the template's brief says: a header (`http.request.header.`,
/// also gRPC metadata), lowercase as the conventions normalise them, with `-`; a
/// Kubernetes label or annotation (`mycompany.io/arch`) or an environment variable
/// (`USER`) as it is written, with letters of either case, `-` and `/`.
fn well_formed(key: &str) -> bool {
    let segments_ok = |text: &str, allowed: &dyn Fn(u8) -> bool| {
        text.split('.')
            .all(|segment| !segment.is_empty() && segment.bytes().all(allowed))
    };
    let lowercase = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
    let Some(template) = registry::template_for(key) else {
        return segments_ok(key, &lowercase);
    };
    let (fixed, suffix) = (&key[..template.key.len()], &key[template.key.len() + 1..]);
    let suffix_ok = if lowercase_suffix(template.key) {
        segments_ok(suffix, &|b| lowercase(b) || b == b'-')
    } else {
        segments_ok(suffix, &|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/')
        })
    };
    segments_ok(fixed, &lowercase) && suffix_ok
}

/// Whether a template's keys name what the conventions write in lowercase:
/// headers (HTTP's, gRPC's metadata, normalised so) and GCE labels (lowercase only
/// there). Other templates name what is written as it is: a Kubernetes label
/// (`mycompany.io/arch`), an environment variable (`USER`), a query parameter.
fn lowercase_suffix(template: &str) -> bool {
    template.ends_with(".header")
        || template.ends_with(".metadata")
        || template == "gcp.gce.instance.labels"
}

/// `key` brought within the rules, to show the user a key that would pass:
/// lowercase, other characters replaced by `_` (by `-` after a template prefix,
/// where `-` may stay), empty segments dropped.
pub(crate) fn normalized(key: &str, template: Option<&str>) -> String {
    // Under a template whose names are written as they are, their case and `/`
    // stay: `Arch` is another label than `arch`.
    let as_written = template.is_some_and(|template| !lowercase_suffix(template));
    let key = if as_written {
        key.to_owned()
    } else {
        key.to_lowercase()
    };
    key.split('.')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            segment
                .chars()
                .map(|c| match c {
                    'a'..='z' | '0'..='9' | '_' => c,
                    '-' if template.is_some() => c,
                    'A'..='Z' | '/' if as_written => c,
                    _ => '_',
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The kind of value the catalog lists for a field: what its literal or format
/// says; `None` when only the compiler knows (an expression's type, whatever the
/// registry holds for its key: a conflict the catalog looks for may be just that).
pub(crate) fn written_kind(field: &Field) -> Option<&'static str> {
    let (written, _) = written(field)?;
    Some(match written {
        Written::Str | Written::Char | Written::Formatted => "String",
        Written::Int => "Int",
        Written::Float => "Double",
        Written::Bool => "Bool",
        Written::Array(Element::Str) => "StringArray",
        Written::Array(Element::Int) => "IntArray",
        Written::Array(Element::Float) => "DoubleArray",
        Written::Array(Element::Bool) => "BoolArray",
    })
}

/// A baggage entry recorded under `key`: its value is a string, an error where
/// the registry holds another type for the key.
pub(crate) fn check_string_recorded(key: &Key, findings: &mut Findings) {
    if is_own_key(&key.name) {
        return;
    }
    if let Lookup::Known(attribute) | Lookup::Template(attribute) = registry::lookup(&key.name)
        && !Written::Str.fits(attribute.ty)
    {
        findings.errors.push(key.error(format_args!(
            "`{}` is {} in the semantic conventions, but a baggage entry is a string; record it under a key of your own",
            key.name,
            attribute.ty.describe(),
        )));
    }
}

/// A parameter recorded under `key` (`#[attr("key")]`, `attrs(key = param)`), of
/// type `ty` as written: an error at `at` where the type is one the syntax tells
/// (a primitive, `str`, `String`, a slice, array or `Vec` of them, through
/// references) and the registry holds another for the key; `as_text` says how to
/// record it formatted, which a string key takes. Such a type is recorded as it is
/// also under `#[attr(.., display)]`, which formats only a value of no other kind.
/// Other types are the compiler's to know.
pub(crate) fn check_parameter_recorded(
    key: &Key,
    parameter: &syn::Ident,
    ty: &syn::Type,
    as_text: &str,
    at: &dyn quote::ToTokens,
    findings: &mut Findings,
) {
    if is_own_key(&key.name) {
        return;
    }
    let (Lookup::Known(attribute) | Lookup::Template(attribute)) = registry::lookup(&key.name)
    else {
        return;
    };
    let Some(written) = written_type(ty) else {
        return;
    };
    if written.fits(attribute.ty) {
        return;
    }
    let this = format!("`{parameter}` is `{}`", written_out(ty));
    // (A collection has no `Display` to record.)
    let hint = if Written::Formatted.fits(attribute.ty) && !matches!(written, Written::Array(_)) {
        format!(" ({as_text})")
    } else {
        String::new()
    };
    findings.errors.push(syn::Error::new_spanned(
        at,
        format!(
            "`{}` is {} in the semantic conventions, but {this}; record {} instead{hint}",
            key.name,
            attribute.ty.describe(),
            attribute.ty.describe(),
        ),
    ));
}

/// `ty` as it is written (`Vec<&str>`, where its tokens print `Vec < & str >`).
fn written_out(ty: &syn::Type) -> String {
    let mut text = quote::ToTokens::to_token_stream(ty).to_string();
    for (spaced, tight) in [
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        (" :: ", "::"),
        ("& ", "&"),
        ("[ ", "["),
        (" ]", "]"),
        (" ;", ";"),
    ] {
        text = text.replace(spaced, tight);
    }
    text
}

/// What a value of type `ty` is recorded as, where its name tells.
fn written_type(ty: &syn::Type) -> Option<Written> {
    let element = |ty: &syn::Type| match written_type(ty)? {
        Written::Str | Written::Char => Some(Element::Str),
        Written::Int => Some(Element::Int),
        Written::Float => Some(Element::Float),
        Written::Bool => Some(Element::Bool),
        Written::Array(_) | Written::Formatted => None,
    };
    match ty {
        syn::Type::Reference(reference) => written_type(&reference.elem),
        syn::Type::Paren(paren) => written_type(&paren.elem),
        syn::Type::Group(group) => written_type(&group.elem),
        syn::Type::Slice(slice) => element(&slice.elem).map(Written::Array),
        syn::Type::Array(array) => element(&array.elem).map(Written::Array),
        syn::Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            let alone = path.path.segments.len() == 1;
            match (last.ident.to_string().as_str(), &last.arguments) {
                ("String", syn::PathArguments::None) => Some(Written::Str),
                ("Vec", syn::PathArguments::AngleBracketed(arguments)) => {
                    match arguments.args.first()? {
                        syn::GenericArgument::Type(inner) => element(inner).map(Written::Array),
                        _ => None,
                    }
                }
                ("str", _) if alone => Some(Written::Str),
                ("char", _) if alone => Some(Written::Char),
                ("bool", _) if alone => Some(Written::Bool),
                ("f32" | "f64", _) if alone => Some(Written::Float),
                (
                    "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64"
                    | "u128" | "usize",
                    _,
                ) if alone => Some(Written::Int),
                _ => None,
            }
        }
        _ => None,
    }
}

/// What a field's value is, as far as the syntax tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Written {
    Str,
    /// Recorded as a string.
    Char,
    Int,
    Float,
    Bool,
    Array(Element),
    /// `%value` or `?value`: text.
    Formatted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Element {
    Str,
    Int,
    Float,
    Bool,
}

impl Written {
    fn describe(self) -> &'static str {
        match self {
            Written::Str => "a string literal",
            Written::Char => "a character literal (a string when recorded)",
            Written::Int => "an integer literal",
            Written::Float => "a floating-point literal",
            Written::Bool => "a boolean literal",
            Written::Array(_) => "an array literal of another element type",
            Written::Formatted => "text (`%` and `?` record their value formatted)",
        }
    }

    fn fits(self, ty: Type) -> bool {
        match ty {
            Type::Any => true,
            Type::String | Type::TemplateString | Type::EnumString => {
                matches!(self, Written::Str | Written::Char | Written::Formatted)
            }
            Type::Int | Type::EnumInt => self == Written::Int,
            Type::Double => self == Written::Float,
            Type::Boolean => self == Written::Bool,
            Type::StringArray | Type::TemplateStringArray => self == Written::Array(Element::Str),
            Type::IntArray => self == Written::Array(Element::Int),
        }
    }
}

/// The written type of a field, and its literal text for enum checks; `None` for
/// an expression whose type only the compiler knows.
fn written(field: &Field) -> Option<(Written, Option<String>)> {
    if field.format != Format::Typed {
        return Some((Written::Formatted, None));
    }
    literal(&field.value)
}

fn literal(expr: &Expr) -> Option<(Written, Option<String>)> {
    match expr {
        Expr::Lit(literal) => match &literal.lit {
            Lit::Str(text) => Some((Written::Str, Some(text.value()))),
            Lit::Char(text) => Some((Written::Char, Some(text.value().to_string()))),
            // A `u8`.
            Lit::Byte(byte) => Some((Written::Int, Some(byte.value().to_string()))),
            // A whole number suffixed `f32` or `f64` (`1f64`) is a float to the
            // compiler, though the lexer calls it an integer literal.
            Lit::Int(number) if matches!(number.suffix(), "f32" | "f64") => {
                Some((Written::Float, None))
            }
            Lit::Int(number) => Some((Written::Int, Some(number.base10_digits().to_owned()))),
            Lit::Float(_) => Some((Written::Float, None)),
            Lit::Bool(_) => Some((Written::Bool, None)),
            _ => None,
        },
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => match literal(&unary.expr)? {
            (Written::Int, Some(digits)) => Some((Written::Int, Some(format!("-{digits}")))),
            (Written::Float, _) => Some((Written::Float, None)),
            _ => None,
        },
        Expr::Array(array) => {
            let mut elements = array.elems.iter().map(literal);
            let (first, _) = elements.next()??;
            let element = match first {
                Written::Str => Element::Str,
                Written::Int => Element::Int,
                Written::Float => Element::Float,
                Written::Bool => Element::Bool,
                _ => return None,
            };
            elements
                .all(|other| other.is_some_and(|(written, _)| written == first))
                .then_some((Written::Array(element), None))
        }
        Expr::Group(group) => literal(&group.expr),
        Expr::Paren(paren) => literal(&paren.expr),
        _ => None,
    }
}

/// A literal whose type contradicts the registry is an error; a literal outside an
/// enum's known values is a warning (the spec keeps enums open).
fn check_value(key: &str, attribute: &registry::Attribute, field: &Field, findings: &mut Findings) {
    let Some((written, text)) = written(field) else {
        return;
    };
    if !written.fits(attribute.ty) {
        let an_array_key = matches!(
            attribute.ty,
            Type::StringArray | Type::TemplateStringArray | Type::IntArray
        );
        let this = match written {
            Written::Array(_) if !an_array_key => "an array literal",
            _ => written.describe(),
        };
        findings.errors.push(syn::Error::new_spanned(
            &field.value,
            format!(
                "`{key}` is {} in the semantic conventions, but this is {this}; record {} instead",
                attribute.ty.describe(),
                attribute.ty.describe(),
            ),
        ));
        return;
    }
    if let Some(text) = text {
        warn_unknown_value(
            key,
            attribute,
            &text,
            syn::spanned::Spanned::span(&field.value),
            findings,
        );
    }
}

/// `literal` as a value of the registry's enum `key` (a messaging boundary's
/// `system`): a warning when it is a known one in other case (`RabbitMQ`) or a
/// near miss of one (`kafak`, [`registry::near_miss`]). Values beyond the list
/// are common there (an in-process queue, NATS), and the conventions keep it open.
pub(crate) fn check_known_value(key: &str, literal: &LitStr, findings: &mut Findings) {
    let value = literal.value();
    if let Lookup::Known(attribute) = registry::lookup(key)
        && !attribute.values.contains(&value.as_str())
        && (attribute
            .values
            .iter()
            .any(|known| known.eq_ignore_ascii_case(&value))
            || registry::near_miss(&value, attribute.values).is_some())
    {
        warn_unknown_value(key, attribute, &value, literal.span(), findings);
    }
}

/// A literal outside an enum's known values is a warning (the spec keeps enums
/// open), with the nearest known one.
fn warn_unknown_value(
    key: &str,
    attribute: &registry::Attribute,
    text: &str,
    span: Span,
    findings: &mut Findings,
) {
    // An enum whose only known value is `_OTHER` (`error.type`) lists no values
    // to hold a literal to: its values are the application's.
    if matches!(attribute.values, [] | ["_OTHER"]) || attribute.values.contains(&text) {
        return;
    }
    // A known value in other case first (`get`); none for a number, whose
    // neighbours are no likelier than any other (`7` is one edit from `0`).
    let hint = if text.parse::<i64>().is_ok() {
        None
    } else {
        attribute
            .values
            .iter()
            .find(|value| value.eq_ignore_ascii_case(text))
            .copied()
            .or_else(|| registry::near_miss(text, attribute.values))
    }
    .map(|value| format!("; did you mean `{value}`?"))
    .unwrap_or_default();
    findings.warn(
        WarningKind::UnknownValue,
        span,
        format!(
            "`{text}` is not a known value of `{key}` (known: {}){hint}",
            attribute.values.join(", ")
        ),
    );
}
