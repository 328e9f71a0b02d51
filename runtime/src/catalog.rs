//! The span catalog: every annotated function of the program, with its span's name,
//! kind, location and attribute keys, gathered at link time (feature `catalog`).
//!
//! Each expansion of `#[traced]` puts one [`Entry`] into a `linkme` distributed
//! slice: plain `static` data the linker collects from every crate of the binary, so
//! listing it costs nothing until asked and runs no code before `main` (which is why
//! `linkme` was chosen over `inventory`, whose registration runs constructors at
//! start-up).
//!
//! ```
//! for entry in otel_traced::catalog() {
//!     println!("{} ({}) at {}:{}", entry.name(), entry.function(), entry.file(), entry.line());
//! }
//! let conflicts = otel_traced::catalog::check();
//! assert!(conflicts.is_empty(), "{conflicts:?}");
//! ```

use crate::callsite::SpanMeta;
pub use crate::value::ValueKind;
use opentelemetry::trace::SpanKind;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// One annotated function, as the catalog lists it.
#[derive(Debug)]
pub struct Entry {
    #[doc(hidden)]
    pub meta: &'static SpanMeta,
    /// `None` for a parameter that the type system does not record by default.
    #[doc(hidden)]
    pub attributes: &'static [(&'static str, Option<ValueKind>)],
    /// Whether the function is a `#[traced_rpc]` boundary.
    #[doc(hidden)]
    pub boundary: bool,
    /// Whether the boundary is HTTP's, listed under its route or template: its
    /// spans are named `{method} {route}`, which no other span's name is.
    #[doc(hidden)]
    pub http: bool,
}

impl Entry {
    /// The span name; of an HTTP boundary, its route or template (`/orders/{sku}`,
    /// its spans named `POST /orders/{sku}` by the request's method), or `HTTP`
    /// without one (its spans named by the method alone).
    pub fn name(&self) -> &'static str {
        self.meta.name
    }

    /// The span kind.
    pub fn kind(&self) -> SpanKind {
        self.meta.kind.clone()
    }

    /// The function: `module::path::name`, a method's with its type or trait
    /// (`shop::Cart<_>::add`, `<shop::Cart<_> as shop::Pay>::pay`).
    pub fn function(&self) -> &'static str {
        self.meta.function.get()
    }

    /// The source file of the function.
    pub fn file(&self) -> &'static str {
        self.meta.file
    }

    /// The line of the function's name in its file.
    pub fn line(&self) -> u32 {
        self.meta.line
    }

    /// The attribute keys the function records besides the code attributes, with
    /// the kind of value each holds.
    pub fn attributes(&self) -> Vec<(&'static str, ValueKind)> {
        self.attributes
            .iter()
            .filter_map(|&(key, kind)| Some((key, kind?)))
            .collect()
    }
}

/// Where expansions put their entries. Named with the crate's major version
/// (0.1): linkme names the link section after the static, and two versions of the
/// crate in one binary must not share one, which linkme refuses at run time.
#[doc(hidden)]
#[linkme::distributed_slice]
pub static OTEL_TRACED_CATALOG_0_1: [Entry];

/// Every entry, sorted by function path, file, line, span name, then kind and
/// attributes: one order whatever the linker's (two `impl`s' `handle`, written by
/// one macro on one line, share all but the last).
pub(crate) fn entries() -> Vec<&'static Entry> {
    let mut entries: Vec<&'static Entry> = OTEL_TRACED_CATALOG_0_1.iter().collect();
    entries.sort_by_cached_key(|entry| {
        (
            entry.function(),
            entry.file(),
            entry.line(),
            entry.name(),
            format!("{:?} {:?}", entry.kind(), entry.attributes()),
        )
    });
    entries
}

/// A disagreement between annotated functions that a dashboard would suffer from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Conflict {
    /// One span name used by functions with different span kinds.
    SpanKind {
        /// The span name.
        name: &'static str,
        /// Each function using it, with its kind.
        uses: Vec<(&'static str, SpanKind)>,
    },
    /// One attribute key recorded with different kinds of value.
    ValueKind {
        /// The attribute key.
        key: &'static str,
        /// Each function recording it, with the kind it records.
        uses: Vec<(&'static str, ValueKind)>,
    },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::SpanKind { name, uses } => {
                write!(f, "span `{name}` has different kinds:")?;
                for (function, kind) in uses {
                    write!(f, " {function} ({kind:?})")?;
                }
            }
            Conflict::ValueKind { key, uses } => {
                write!(f, "attribute `{key}` holds different kinds of value:")?;
                for (function, kind) in uses {
                    write!(f, " {function} ({kind})")?;
                }
            }
        }
        Ok(())
    }
}

/// Reports one span name used with different kinds, and one key recorded with
/// conflicting value kinds (values whose kind is decided at run time do not
/// conflict). The client and server of one `#[traced_rpc]` boundary share its name
/// (a gRPC method, an HTTP route and the template that calls it): a binary holding
/// both sides is not a conflict. An HTTP boundary's spans are named after the
/// request's method too (`GET /health`), as no other span is: it shares its name
/// with none. Run it in a test to keep a service's telemetry consistent.
pub fn check() -> Vec<Conflict> {
    let entries = entries();
    let mut span_kinds: BTreeMap<&'static str, Vec<(&'static str, SpanKind)>> = BTreeMap::new();
    let mut not_boundaries: Vec<&'static str> = Vec::new();
    let mut value_kinds: BTreeMap<&'static str, Vec<(&'static str, ValueKind)>> = BTreeMap::new();
    for entry in &entries {
        if !entry.http {
            span_kinds
                .entry(entry.name())
                .or_default()
                .push((entry.function(), entry.kind()));
        }
        if !entry.boundary {
            not_boundaries.push(entry.name());
        }
        for (key, kind) in entry.attributes() {
            if kind != ValueKind::Unknown {
                value_kinds
                    .entry(key)
                    .or_default()
                    .push((entry.function(), kind));
            }
        }
    }
    let mut conflicts = Vec::new();
    for (name, uses) in span_kinds {
        let sides_of_boundaries = !not_boundaries.contains(&name)
            && uses
                .iter()
                .all(|(_, kind)| matches!(kind, SpanKind::Client | SpanKind::Server));
        if !sides_of_boundaries && uses.iter().any(|(_, kind)| *kind != uses[0].1) {
            conflicts.push(Conflict::SpanKind { name, uses });
        }
    }
    for (key, uses) in value_kinds {
        if uses.iter().any(|(_, kind)| *kind != uses[0].1) {
            conflicts.push(Conflict::ValueKind { key, uses });
        }
    }
    conflicts
}

/// `text` as a code span in a table cell, as it is: a `|` escaped (it would end the
/// cell), and fenced by one backtick more than the longest run of them in it.
fn code_cell(text: &str) -> String {
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let padding = if longest_run > 0 { " " } else { "" };
    format!(
        "{fence}{padding}{}{padding}{fence}",
        text.replace('|', "\\|")
    )
}

/// The catalog as a Markdown table: span, kind, function, location, attributes.
pub fn markdown() -> String {
    let mut out = String::from(
        "| span | kind | function | location | attributes |\n| --- | --- | --- | --- | --- |\n",
    );
    for entry in entries() {
        let attributes: Vec<String> = entry
            .attributes()
            .iter()
            .map(|(key, kind)| format!("{}: {kind}", code_cell(key)))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {:?} | {} | {} | {} |",
            code_cell(entry.name()),
            entry.kind(),
            code_cell(entry.function()),
            code_cell(&format!("{}:{}", entry.file(), entry.line())),
            attributes.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::code_cell;

    #[test]
    fn a_name_cannot_break_its_table_cell_and_reads_as_it_is() {
        assert_eq!(code_cell("cache|miss"), "`cache\\|miss`");
        assert_eq!(code_cell("say `x`"), "`` say `x` ``");
        assert_eq!(code_cell("a``b"), "``` a``b ```");
        assert_eq!(
            code_cell(r"src\_x.rs:3"),
            r"`src\_x.rs:3`",
            "a path as it is"
        );
    }
}
