//! The `OTEL_*` variables: each read with the specification's meaning and default,
//! and a bad value turned into an `InitError` that names the variable, the value and
//! what it accepts.

use crate::init::InitError;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The variables `init()` reads, snapshotted from the environment (or given).
/// Printed (`Config`'s `Debug`) with the values of the headers variables hidden
/// (they carry API keys), and of any variable named after a credential, and the
/// endpoints' user information and queries left out.
#[derive(Clone, Default)]
pub(crate) struct Vars {
    values: BTreeMap<String, String>,
    /// The `OTEL_*` variables of the environment whose values are not UTF-8
    /// (kept in `values` written lossily): an error once one is read, while one
    /// this crate does not read (another SDK's) is no concern of its own.
    not_unicode: BTreeSet<String>,
    /// The first of them read, which [`Vars::check_unicode`] reports.
    read_not_unicode: Cell<Option<&'static str>>,
    /// The variables read: only those are said to hold a reference left
    /// unexpanded ([`Vars::unexpanded_references`]), another SDK's are not.
    read: RefCell<BTreeSet<&'static str>>,
}

impl std::fmt::Debug for Vars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every `OTEL_*` variable is kept, another SDK's too: one that names a
        // credential is not shown.
        let shown = self.values.iter().map(|(name, value)| {
            let value = if name.ends_with("_HEADERS") {
                hidden(value)
            } else if name.ends_with("_ENDPOINT") {
                without_secrets(value)
            } else if names_a_secret(name) {
                "<hidden>".to_owned()
            } else {
                value.clone()
            };
            (name, value)
        });
        f.debug_struct("Vars")
            .field("values", &shown.collect::<BTreeMap<_, _>>())
            .field("not_unicode", &self.not_unicode)
            .finish_non_exhaustive()
    }
}

/// Whether the variable `name` names a credential (the Jaeger exporter's
/// `OTEL_EXPORTER_JAEGER_PASSWORD`, a vendor's token). (A key's name too:
/// `CLIENT_KEY` is a path, hidden for nothing in `Config`'s `Debug`; in an error
/// only what may be the key itself is, [`Variable::invalid`].)
fn names_a_secret(name: &str) -> bool {
    const SECRETS: [&str; 8] = [
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "SECRET",
        "CREDENTIAL",
        "AUTH",
        "API_KEY",
        "APIKEY",
    ];
    name.ends_with("KEY") || SECRETS.iter().any(|secret| name.contains(secret))
}

/// Whether any part of the variable `name`'s value may be a secret: a
/// credential's, the headers' (API keys), an endpoint's (its user information).
fn may_hold_a_secret(name: &str) -> bool {
    name.ends_with("_HEADERS") || name.ends_with("_ENDPOINT") || names_a_secret(name)
}

/// `endpoint` as it may be printed: user information and the query (where a
/// token may be) left out.
pub(crate) fn without_secrets(endpoint: &str) -> String {
    // `user:token@collector:4317` too, written without a scheme (and a `://` in a
    // query is none).
    let (scheme, rest) = match endpoint.split_once("://") {
        Some((scheme, rest)) if is_scheme(scheme) => (&endpoint[..scheme.len() + 3], rest),
        _ => ("", endpoint),
    };
    let (authority, after) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    // An `@` past the authority may end user information holding `/`, `?` or
    // `#` unescaped, or be a path's or a query's: which, the text cannot tell, and
    // a host read past it would be another host.
    if after.contains('@') {
        return format!("{scheme}<hidden>");
    }
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let path = after.split(['?', '#']).next().unwrap_or(after);
    format!("{scheme}{host}{path}")
}

/// Whether `text` is a URL scheme (RFC 3986: a letter, then letters, digits, `+`,
/// `-` and `.`).
fn is_scheme(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// `key=value` pairs as they may be printed: the keys, each value `<hidden>`. A
/// key that is no token (RFC 9110, as header names are) is hidden too: it may hold
/// the value, written the way curl takes a header (`Authorization: Basic ..`).
fn hidden(pairs: &str) -> String {
    pairs
        .split(',')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if crate::propagation::is_token(key.trim()) => {
                format!("{}=<hidden>", key.trim())
            }
            _ => "<hidden>".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl Vars {
    /// The `OTEL_*` variables of the process. `std::env::vars` would panic on a
    /// value that is not UTF-8; such a variable is noted, and reported if read (a
    /// name that is not UTF-8 is none this crate reads).
    pub(crate) fn from_env() -> Self {
        let mut vars = Vars::default();
        for (name, value) in std::env::vars_os() {
            let Ok(name) = name.into_string() else {
                continue;
            };
            if !name.starts_with("OTEL_") {
                continue;
            }
            let value = value.into_string().unwrap_or_else(|value| {
                vars.not_unicode.insert(name.clone());
                value.to_string_lossy().into_owned()
            });
            vars.values.insert(name, value);
        }
        vars
    }

    pub(crate) fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Vars {
            values: pairs
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
            ..Vars::default()
        }
    }

    /// An error if a variable read so far could not be read as text.
    pub(crate) fn check_unicode(&self) -> Result<(), InitError> {
        match self.read_not_unicode.get() {
            Some(name) => Err(InitError::NotUnicode {
                name: name.to_owned(),
            }),
            None => Ok(()),
        }
    }

    /// The value of `name`, trimmed; an empty value counts as unset, as the
    /// specification says.
    pub(crate) fn get(&self, name: &'static str) -> Option<Variable<'_>> {
        if self.read_not_unicode.get().is_none() && self.not_unicode.contains(name) {
            self.read_not_unicode.set(Some(name));
        }
        self.read.borrow_mut().insert(name);
        let value = self.values.get(name)?.trim();
        (!value.is_empty()).then_some(Variable { name, value })
    }

    /// The variables read holding a `$(NAME)`, each with the first where the
    /// value may be shown (not a header's, an endpoint's or a credential's: the
    /// characters may be a secret's own): a Kubernetes reference to a variable
    /// not defined before this one in the container's `env` (or not at all),
    /// which Kubernetes leaves as written, so that `k8s.pod.name=$(POD_NAME)`
    /// reaches every span as those characters.
    pub(crate) fn unexpanded_references(&self) -> Vec<(&'static str, Option<&str>)> {
        self.read
            .borrow()
            .iter()
            .filter_map(|&name| {
                let reference = reference(self.values.get(name)?)?;
                Some((name, (!may_hold_a_secret(name)).then_some(reference)))
            })
            .collect()
    }

    /// The first of `names` that is set (a signal-specific variable before the
    /// general one).
    pub(crate) fn first(&self, names: &[&'static str]) -> Option<Variable<'_>> {
        names.iter().find_map(|name| self.get(name))
    }
}

/// The first `$(NAME)` in `value`, a name as Kubernetes takes one (letters,
/// digits, `_`, `-`, `.`).
fn reference(value: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(at) = value[from..].find("$(") {
        let start = from + at;
        let name_start = start + 2;
        let name_length = value[name_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .unwrap_or(value.len() - name_start);
        let end = name_start + name_length;
        if name_length > 0 && value[end..].starts_with(')') {
            return Some(&value[start..=end]);
        }
        from = name_start;
    }
    None
}

/// One set variable, for parsing with errors that name it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Variable<'a> {
    pub name: &'static str,
    pub value: &'a str,
}

impl Variable<'_> {
    /// The error for this value, saying what is accepted (an endpoint's user
    /// information and query left out, as they may hold a token; a header's
    /// values; a variable named for a secret whose value may be one rather than
    /// a path, as a client key's holding the key itself, mounted as a variable).
    pub(crate) fn invalid(&self, accepted: &'static str) -> InitError {
        // Shown where it reads as a path: short, on one line, without a PEM
        // block's dashes, starting as a path or holding a `.` or a backslash, and none
        // of base64's `+` or `=`. A key on one line (base64 DER, 64 to 200
        // characters for an EC or Ed25519 key) has no `.`, and seldom starts
        // with `/`.
        let may_be_a_secret = |value: &str| {
            let reads_as_a_path = value.len() <= 256
                && !value.contains(['\n', '\r', '+', '='])
                && !value.contains("-----")
                && (value.starts_with(['/', '.', '~']) || value.contains(['.', '\\']));
            !reads_as_a_path
        };
        InitError::InvalidVariable {
            name: self.name,
            value: if self.name.ends_with("_ENDPOINT") {
                without_secrets(self.value)
            } else if self.name.ends_with("_HEADERS") {
                hidden(self.value)
            } else if names_a_secret(self.name) && may_be_a_secret(self.value) {
                "<hidden>".to_owned()
            } else {
                self.value.to_owned()
            },
            accepted,
        }
    }

    pub(crate) fn boolean(&self) -> Result<bool, InitError> {
        match self.value.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self.invalid("true or false")),
        }
    }

    /// A whole number of milliseconds.
    pub(crate) fn millis(&self) -> Result<Duration, InitError> {
        self.value
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| self.invalid("a whole number of milliseconds"))
    }

    /// A timeout: a whole number of milliseconds, 0 for none, as the specification
    /// says ("no limit"; [`super::NO_LIMIT`]).
    pub(crate) fn timeout_millis(&self) -> Result<Duration, InitError> {
        match self.millis()? {
            Duration::ZERO => Ok(super::NO_LIMIT),
            timeout => Ok(timeout),
        }
    }

    /// A whole number of milliseconds above 0: a delay or an interval of 0 would
    /// make its thread wake without end (1 ms, a thousand times a second, where
    /// nothing is queued).
    pub(crate) fn positive_millis(&self) -> Result<Duration, InitError> {
        const ACCEPTED: &str = "a whole number of milliseconds above 0";
        match self.value.parse::<u64>() {
            Ok(0) | Err(_) => Err(self.invalid(ACCEPTED)),
            Ok(millis) => Ok(Duration::from_millis(millis)),
        }
    }

    pub(crate) fn count(&self, accepted: &'static str) -> Result<usize, InitError> {
        self.value
            .parse::<usize>()
            .map_err(|_| self.invalid(accepted))
    }

    /// One of `choices`, in any case.
    pub(crate) fn choice<T: Copy>(
        &self,
        choices: &[(&str, T)],
        accepted: &'static str,
    ) -> Result<T, InitError> {
        let lower = self.value.to_ascii_lowercase();
        choices
            .iter()
            .find(|(name, _)| *name == lower)
            .map(|(_, choice)| *choice)
            .ok_or_else(|| self.invalid(accepted))
    }

    /// An exporter variable (`OTEL_{TRACES,METRICS,LOGS}_EXPORTER`): a
    /// comma-separated list in the specification, here of one item (one exporter a
    /// signal), which is one of `choices`: `otlp` and `otlp,` alike.
    pub(crate) fn exporter_choice<T: Copy>(
        &self,
        choices: &[(&str, T)],
        accepted: &'static str,
    ) -> Result<T, InitError> {
        let [item] = self.list()[..] else {
            return Err(self.invalid(accepted));
        };
        let item = Variable {
            name: self.name,
            value: item,
        };
        item.choice(choices, accepted)
            .map_err(|_| self.invalid(accepted))
    }

    /// A comma-separated list of trimmed, non-empty items.
    pub(crate) fn list(&self) -> Vec<&str> {
        self.value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .collect()
    }

    /// `key=value` pairs separated by commas, keys and values percent-decoded (the
    /// W3C Baggage format `OTEL_RESOURCE_ATTRIBUTES` and
    /// `OTEL_EXPORTER_OTLP_HEADERS` use; the resource's `,` and `=` are encoded
    /// in keys too).
    pub(crate) fn pairs(&self) -> Result<Vec<(String, String)>, InitError> {
        self.list()
            .into_iter()
            .map(|pair| {
                let (key, value) = pair.split_once('=').ok_or_else(|| self.invalid(PAIRS))?;
                let key = percent_decode(key.trim())
                    .filter(|key| !key.is_empty())
                    .ok_or_else(|| self.invalid(PAIRS))?;
                let value = percent_decode(value.trim()).ok_or_else(|| self.invalid(PAIRS))?;
                Ok((key, value))
            })
            .collect()
    }

    /// [`Variable::pairs`] of a variable whose values are secrets (the headers of
    /// OTLP exports carry API keys), each key a header name: its error shows the
    /// keys only ([`hidden`]), and errors are printed and logged.
    pub(crate) fn secret_pairs(&self) -> Result<Vec<(String, String)>, InitError> {
        self.pairs()
            .ok()
            .filter(|pairs| {
                pairs.iter().all(|(key, value)| {
                    crate::propagation::is_token(key) && value.bytes().all(sendable_in_a_header)
                })
            })
            .ok_or_else(|| InitError::InvalidVariable {
                name: self.name,
                value: hidden(self.value),
                accepted: HEADER_PAIRS,
            })
    }
}

/// What [`Variable::pairs`] accepts.
const PAIRS: &str = "comma-separated key=value pairs, percent-encoded";

/// What [`Variable::secret_pairs`] accepts.
const HEADER_PAIRS: &str = "comma-separated name=value pairs, percent-encoded, names as HTTP headers have them, values with no control character once decoded";

/// Whether a header value may hold `byte`, as HTTP and gRPC metadata take them
/// (the `http` crate's rule): no control character but a tab (a line break would
/// split the header).
fn sendable_in_a_header(byte: u8) -> bool {
    byte == b'\t' || (byte >= b' ' && byte != 0x7f)
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            // Two hex digits: `from_str_radix` alone would take `%+A`.
            let hex = text
                .get(index + 1..index + 3)
                .filter(|hex| hex.bytes().all(|byte| byte.is_ascii_hexdigit()))?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_kubernetes_reference_left_as_written_is_found() {
        assert_eq!(
            super::reference("k8s.pod.name=$(POD_NAME),team=a"),
            Some("$(POD_NAME)")
        );
        assert_eq!(
            super::reference("http://$(HOST_IP):4317"),
            Some("$(HOST_IP)")
        );
        for value in ["price=$(", "a=$()", "cost=$(1 + 2)", "plain", "$ (X)"] {
            assert_eq!(super::reference(value), None, "{value}");
        }
        let vars = super::Vars::from_pairs([
            ("OTEL_SERVICE_NAME", "shop"),
            ("OTEL_RESOURCE_ATTRIBUTES", "k8s.node.name=$(NODE)"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=ab$(cd)ef"),
            ("OTEL_DOTNET_AUTO_HOME", "$(HOME)"),
        ]);
        // Only variables read, and none read yet.
        assert_eq!(vars.unexpanded_references(), []);
        for name in [
            "OTEL_SERVICE_NAME",
            "OTEL_RESOURCE_ATTRIBUTES",
            "OTEL_EXPORTER_OTLP_HEADERS",
        ] {
            let _ = vars.get(name);
        }
        assert_eq!(
            vars.unexpanded_references(),
            [
                // The headers' characters may be a key's: not shown.
                ("OTEL_EXPORTER_OTLP_HEADERS", None),
                ("OTEL_RESOURCE_ATTRIBUTES", Some("$(NODE)"))
            ]
        );
    }

    use super::*;

    #[test]
    fn percent_decoding_accepts_escapes_and_rejects_broken_ones() {
        assert_eq!(percent_decode("a%20b%2Cc").as_deref(), Some("a b,c"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("bad%2"), None);
        assert_eq!(percent_decode("bad%zz"), None);
        assert_eq!(percent_decode("bad%+A"), None, "a sign is no digit");
        assert_eq!(percent_decode("%ff"), None, "not UTF-8");
    }

    #[test]
    fn a_value_that_is_not_text_is_an_error_once_read() {
        let mut vars = Vars::from_pairs([
            ("OTEL_SERVICE_NAME", "shop\u{FFFD}"),
            ("OTEL_PYTHON_LOG_LEVEL", "\u{FFFD}"),
        ]);
        vars.not_unicode
            .extend(["OTEL_SERVICE_NAME", "OTEL_PYTHON_LOG_LEVEL"].map(str::to_owned));
        assert!(vars.check_unicode().is_ok(), "nothing read yet");
        assert!(vars.get("OTEL_TRACES_SAMPLER").is_none());
        assert!(vars.check_unicode().is_ok(), "another SDK's is no concern");
        vars.get("OTEL_SERVICE_NAME");
        assert_eq!(
            vars.check_unicode().map_err(|error| error.to_string()),
            Err(InitError::NotUnicode {
                name: "OTEL_SERVICE_NAME".to_owned()
            }
            .to_string())
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        let vars = Vars::from_pairs([("OTEL_SERVICE_NAME", "  ")]);
        assert!(vars.get("OTEL_SERVICE_NAME").is_none());
    }
}
