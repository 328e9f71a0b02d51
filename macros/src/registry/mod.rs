//! The semantic-conventions attribute registry (v1.44.0), vendored into the macro
//! crate so that keys are checked while compiling: which keys exist, their types,
//! their known enum values and which are deprecated. `table.rs` is generated; see
//! `macros/registry/README.md`.

mod table;

use table::ATTRIBUTES;

/// A key's value type in the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    String,
    Int,
    Double,
    Boolean,
    /// A complex value (a map or a list of them).
    Any,
    StringArray,
    IntArray,
    /// A prefix: the keys are `prefix.<suffix>`, holding strings.
    TemplateString,
    /// A prefix: the keys are `prefix.<suffix>`, holding string arrays.
    TemplateStringArray,
    /// A string with known values (the set is open: others are allowed).
    EnumString,
    /// An integer with known values.
    EnumInt,
}

impl Type {
    /// How diagnostics name the type.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Type::String | Type::TemplateString | Type::EnumString => "a string",
            Type::Int | Type::EnumInt => "an integer",
            Type::Double => "a floating-point number",
            Type::Boolean => "a boolean",
            Type::Any => "a structured value",
            Type::StringArray | Type::TemplateStringArray => "an array of strings",
            Type::IntArray => "an array of integers",
        }
    }

    pub(crate) fn is_template(self) -> bool {
        matches!(self, Type::TemplateString | Type::TemplateStringArray)
    }
}

/// Why a key is deprecated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Deprecation {
    /// Renamed: use this key instead.
    RenamedTo(&'static str),
    /// Deprecated without a replacement; the registry's reason.
    Obsolete(&'static str),
}

/// One registry key.
#[derive(Debug)]
pub(crate) struct Attribute {
    pub key: &'static str,
    pub ty: Type,
    /// The known values of an enum type (empty otherwise).
    pub values: &'static [&'static str],
    pub deprecated: Option<Deprecation>,
}

/// What the registry says about a key.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// The key is in the registry.
    Known(&'static Attribute),
    /// The key is `template.<suffix>` of a template key; the suffix follows the
    /// template's rules (`check::naming::well_formed`).
    Template(&'static Attribute),
    /// Not in the registry (a custom key).
    Unknown,
}

/// Looks `key` up: exactly, or under a template prefix.
pub(crate) fn lookup(key: &str) -> Lookup {
    if let Ok(index) = ATTRIBUTES.binary_search_by(|attribute| attribute.key.cmp(key)) {
        return Lookup::Known(&ATTRIBUTES[index]);
    }
    template_for(key).map_or(Lookup::Unknown, Lookup::Template)
}

/// The template key whose prefix `key` extends (`http.request.header.x-id` for
/// `http.request.header`).
pub(crate) fn template_for(key: &str) -> Option<&'static Attribute> {
    ATTRIBUTES
        .iter()
        .find(|attribute| attribute.ty.is_template() && is_inside(key, attribute.key))
}

/// The template whose prefix `key` extends with a slip in it, and what follows
/// that prefix (`http.request.headers.x-id`: `http.request.header`, `x-id`): as
/// many of `key`'s segments as the prefix has, in its namespace, within
/// [`slips_allowed`] of it. `None` for a key that extends a template's prefix
/// exactly ([`template_for`]).
pub(crate) fn template_slip(key: &str) -> Option<(&'static Attribute, &str)> {
    let namespace = key.split_once('.')?.0;
    ATTRIBUTES
        .iter()
        .filter(|attribute| attribute.ty.is_template())
        .filter_map(|template| {
            let (own_namespace, _) = template.key.split_once('.')?;
            let dots = template.key.matches('.').count();
            let (end, _) = key.match_indices('.').nth(dots)?;
            let (prefix, rest) = (&key[..end], &key[end + 1..]);
            if own_namespace != namespace || prefix == template.key || rest.is_empty() {
                return None;
            }
            // Not [`slip_cost`]'s narrower rule: a prefix with more after it is no
            // word of the user's own (`k8s.node.labels.app`).
            let cost = edit_cost(prefix, template.key, slips_allowed(prefix, template.key))?;
            Some((cost, template, rest))
        })
        .min_by_key(|(cost, _, _)| *cost)
        .map(|(_, template, rest)| (template, rest))
}

/// Whether `key` is `namespace.<something>`.
fn is_inside(key: &str, namespace: &str) -> bool {
    key.len() > namespace.len() + 1
        && key.starts_with(namespace)
        && key.as_bytes()[namespace.len()] == b'.'
}

/// A registry key inside the namespace `key` names (`http.request.method` for
/// `http.request`), a current one where there is one; `None` when `key` is no
/// namespace of the registry. A key should not coincide with a namespace.
pub(crate) fn namespace_member(key: &str) -> Option<&'static str> {
    let members = || {
        ATTRIBUTES
            .iter()
            .filter(|attribute| is_inside(attribute.key, key))
    };
    // A key before a template's prefix (`db.query.text`, not `db.query.parameter`).
    members()
        .find(|attribute| attribute.deprecated.is_none() && !attribute.ty.is_template())
        .or_else(|| members().find(|attribute| attribute.deprecated.is_none()))
        .or_else(|| members().next())
        .map(|attribute| attribute.key)
}

/// The current registry key that `key` puts keys under (`http.route` for
/// `http.route.name`), if any: a key should not be a namespace of another.
pub(crate) fn extended_key(key: &str) -> Option<&'static str> {
    key.rmatch_indices('.')
        .find_map(|(dot, _)| match lookup(&key[..dot]) {
            Lookup::Known(attribute)
                if attribute.deprecated.is_none() && !attribute.ty.is_template() =>
            {
                Some(attribute.key)
            }
            _ => None,
        })
}

/// The registry key closest to `key` for "did you mean"; `None` when there is
/// none, or when `key` has no namespace (a plain name such as `rows` is clearly a
/// key of the user's own). A slip is a letter missing, added, changed, or two
/// swapped. In its namespace, the slips of [`slips_allowed`]: `http.request.methd`,
/// but not `server.host` for `server.port`, nor `process.gid` for `process.pid`,
/// words of their own. In another namespace, one slip in the namespace alone
/// (`htp.request.method`, `htpp.request.method`), and one changed letter only
/// where more than a word follows: `post.id` is no slip for `host.id`; none in a
/// namespace of the registry's own (`ios.version` is no slip for `os.version`).
/// A warning on a key that is no slip fails a build that denies warnings.
pub(crate) fn suggestion(key: &str) -> Option<&'static str> {
    let (namespace, rest) = key.split_once('.')?;
    let a_registry_namespace = || {
        ATTRIBUTES.iter().any(|attribute| {
            attribute
                .key
                .split_once('.')
                .is_some_and(|(own, _)| own == namespace)
        })
    };
    ATTRIBUTES
        .iter()
        .filter(|attribute| !attribute.ty.is_template() && attribute.deprecated.is_none())
        .filter_map(|attribute| {
            let (own_namespace, own_rest) = attribute.key.split_once('.')?;
            let cost = if own_namespace == namespace {
                slip_cost(key, attribute.key)
            } else if own_rest == rest
                && (own_namespace.len() != namespace.len() || rest.contains('.'))
                && !a_registry_namespace()
            {
                edit_cost(key, attribute.key, CHANGE)
            } else {
                None
            };
            cost.map(|cost| (cost, attribute.key))
        })
        .min()
        .map(|(_, candidate)| candidate)
}

/// What a letter inserted or deleted, or two neighbours swapped, costs
/// ([`edit_cost`]).
const SLIP: usize = 2;

/// What a letter changed costs: more than a slip of the hand, as it more often
/// makes another word (`gid` for `pid`, `ip` for `uid`).
const CHANGE: usize = 3;

/// What the slips that make `key` a likely misspelling of `candidate`, a key of its
/// namespace, may cost ([`edit_cost`]): two slips, or one changed letter, where
/// the word of `candidate` they start in has six letters or more; else one slip
/// (a letter missing, added or swapped: a changed letter in a short word, or two
/// slips, make another word: `gid` for `pid`, `host` for `port`, `time` for
/// `type`).
fn slips_allowed(key: &str, candidate: &str) -> usize {
    let first_difference = key
        .bytes()
        .zip(candidate.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let start = candidate[..first_difference]
        .rfind('.')
        .map_or(0, |dot| dot + 1);
    let end = candidate[first_difference..]
        .find('.')
        .map_or(candidate.len(), |dot| first_difference + dot);
    if end - start >= 6 { 2 * SLIP } else { SLIP }
}

/// What the slips from `key` to `candidate`, a key of its namespace, cost, if they
/// are within [`slips_allowed`]. In a short word, a letter added or missing is a
/// slip only where it doubles its neighbour (`hosst`, `ful`): another letter added
/// or missing there more often makes another word (`model` for `mode`, `url` for
/// `purl`, `group` for `cgroup`).
fn slip_cost(key: &str, candidate: &str) -> Option<usize> {
    let limit = slips_allowed(key, candidate);
    let cost = edit_cost(key, candidate, limit)?;
    let short_word = limit == SLIP;
    let added_or_missing = key.len() != candidate.len();
    if short_word
        && added_or_missing
        && !(doubles_a_letter(key, candidate) || doubles_a_letter(candidate, key))
    {
        return None;
    }
    Some(cost)
}

/// Whether `longer` is `shorter` with one of its letters doubled.
fn doubles_a_letter(longer: &str, shorter: &str) -> bool {
    let (longer, shorter) = (longer.as_bytes(), shorter.as_bytes());
    if longer.len() != shorter.len() + 1 {
        return false;
    }
    let at = longer
        .iter()
        .zip(shorter)
        .take_while(|(a, b)| a == b)
        .count();
    let added = longer[at];
    longer[at + 1..] == shorter[at..]
        && ((at > 0 && longer[at - 1] == added) || longer.get(at + 1) == Some(&added))
}

/// The value of `candidates` that `value` is a near miss of ([`edit_cost`]): one
/// slip in a value of three characters or fewer (`GET` for `GTE`, but `sqs` and
/// `ems` are no slips of `jms`), one slip or changed letter in one of four, two
/// slips or one changed letter in a longer one (`kafka` for `kafak`).
pub(crate) fn near_miss(value: &str, candidates: &[&'static str]) -> Option<&'static str> {
    let limit = match value.chars().count() {
        0..=3 => SLIP,
        4 => CHANGE,
        _ => 2 * SLIP,
    };
    candidates
        .iter()
        .filter_map(|candidate| edit_cost(value, candidate, limit).map(|cost| (cost, *candidate)))
        .min()
        .map(|(_, candidate)| candidate)
}

/// The cost of the edits from `a` to `b` (a letter inserted or deleted, or two
/// neighbours swapped: [`SLIP`]; a letter changed: [`CHANGE`]), if at most
/// `limit`.
fn edit_cost(a: &str, b: &str, limit: usize) -> Option<usize> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) * SLIP > limit {
        return None;
    }
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).map(|j| j * SLIP).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut current = vec![(i + 1) * SLIP; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + if ca == cb { 0 } else { CHANGE };
            current[j + 1] = substitution
                .min(previous[j + 1] + SLIP)
                .min(current[j] + SLIP);
            if i > 0 && j > 0 && ca == b[j - 1] && a[i - 1] == cb {
                current[j + 1] = current[j + 1].min(before[j - 1] + SLIP);
            }
        }
        // A swap reaches back two rows: past the limit only when both are.
        let past = |row: &[usize]| row.iter().min().is_some_and(|&best| best > limit);
        if past(&current) && past(&previous) {
            return None;
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous.last().copied().filter(|&cost| cost <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated table holds exactly the vendored TSV: every key, its type,
    /// enum values and deprecation.
    #[test]
    fn the_table_holds_every_key_of_the_vendored_registry() {
        let source = include_str!("../../registry/attributes.tsv");
        let rows: Vec<&str> = source.lines().skip(1).collect();
        assert_eq!(rows.len(), 940);
        assert_eq!(ATTRIBUTES.len(), rows.len());
        for (row, attribute) in rows.iter().zip(ATTRIBUTES) {
            let columns: Vec<&str> = row.split('\t').collect();
            let [key, ty, _stability, replacement, values, brief] = columns[..] else {
                panic!("malformed row {row}");
            };
            assert_eq!(attribute.key, key);
            let expected_type = match ty {
                "string" => Type::String,
                "int" => Type::Int,
                "double" => Type::Double,
                "boolean" => Type::Boolean,
                "any" => Type::Any,
                "string[]" => Type::StringArray,
                "int[]" => Type::IntArray,
                "template_string" => Type::TemplateString,
                "template_string[]" => Type::TemplateStringArray,
                "enum:string" => Type::EnumString,
                "enum:int" => Type::EnumInt,
                other => panic!("unknown type {other}"),
            };
            assert_eq!(attribute.ty, expected_type, "{key}");
            let expected_values: Vec<&str> = if values.is_empty() {
                Vec::new()
            } else {
                values.split(',').collect()
            };
            assert_eq!(attribute.values, expected_values, "{key}");
            let expected_deprecation = match replacement {
                "" => None,
                // Moved to another repository (the GenAI conventions): current.
                "-" if brief.starts_with("Deprecated: Moved to ") => None,
                "-" => Some(Deprecation::Obsolete(brief)),
                renamed => Some(Deprecation::RenamedTo(renamed)),
            };
            assert_eq!(attribute.deprecated, expected_deprecation, "{key}");
        }
        let deprecated = ATTRIBUTES.iter().filter(|a| a.deprecated.is_some()).count();
        assert_eq!(deprecated, 206 - 58);
    }

    #[test]
    fn lookups_find_keys_templates_and_nothing_else() {
        assert!(
            matches!(lookup("http.request.method"), Lookup::Known(a) if a.ty == Type::EnumString)
        );
        assert!(matches!(
            lookup("http.request.header.x-request-id"),
            Lookup::Template(a) if a.key == "http.request.header"
        ));
        assert!(matches!(lookup("http.request.header"), Lookup::Known(_)));
        assert!(matches!(lookup("order.id"), Lookup::Unknown));
        assert!(matches!(
            lookup("code.filepath"),
            Lookup::Known(Attribute {
                deprecated: Some(Deprecation::RenamedTo("code.file.path")),
                ..
            })
        ));
    }

    #[test]
    fn a_namespace_names_a_current_member_and_a_key_or_a_partial_segment_none() {
        assert_eq!(
            namespace_member("http.request"),
            Some("http.request.body.size")
        );
        assert_eq!(namespace_member("http.request.method"), None);
        assert_eq!(namespace_member("http.req"), None);
        assert_eq!(namespace_member("order"), None);
        // Only deprecated keys left in it: one of them.
        assert_eq!(
            namespace_member("db.cassandra"),
            Some("db.cassandra.consistency_level")
        );
        assert_eq!(namespace_member("code"), Some("code.column.number"));
    }

    #[test]
    fn suggestions_are_slips_of_a_current_key() {
        assert_eq!(
            suggestion("http.request.methd"),
            Some("http.request.method")
        );
        assert_eq!(
            suggestion("http.request.mehtod"),
            Some("http.request.method"),
            "two letters swapped"
        );
        assert_eq!(
            suggestion("http.response.satus_cod"),
            Some("http.response.status_code"),
            "two slips in a long word"
        );
        assert_eq!(suggestion("error.tpye"), Some("error.type"));
        assert_eq!(suggestion("http.response.status"), None, "five edits away");
        assert_eq!(suggestion("url.ful"), Some("url.full"));
        assert_eq!(
            suggestion("htp.request.method"),
            Some("http.request.method"),
            "one edit away in another namespace"
        );
        assert_eq!(
            suggestion("htpp.request.method"),
            Some("http.request.method"),
            "one letter changed in the namespace of a longer key"
        );
        // Words of their own, two letters from a registry key's.
        for custom in [
            "server.host",
            "url.host",
            "error.time",
            "user.kind",
            "process.status",
            "http.request.time",
        ] {
            assert_eq!(suggestion(custom), None, "{custom}");
        }
        assert_eq!(suggestion("job.name"), None, "two from `os.name`: no slip");
        assert_eq!(suggestion("post.id"), None, "one swapped from `host.id`");
        assert_eq!(suggestion("gpu.mode"), None);
        assert_eq!(suggestion("test.id"), None);
        assert_eq!(suggestion("order.id"), None);
        assert_eq!(suggestion("rows"), None, "no namespace: a custom key");
        // A changed letter in a short word makes another word.
        for custom in [
            "process.gid",
            "cloud.reason",
            "deployment.state",
            "oracle.db.device",
        ] {
            assert_eq!(suggestion(custom), None, "{custom}");
        }
        // A letter added or missing in a short word makes another word too, unless
        // it doubles its neighbour.
        for custom in [
            "k8s.pod.id",
            "cpu.model",
            "file.model",
            "hw.mode",
            "artifact.url",
        ] {
            assert_eq!(suggestion(custom), None, "{custom}");
        }
        assert_eq!(suggestion("error.typpe"), Some("error.type"));
        assert_eq!(
            suggestion("http.request.mothod"),
            Some("http.request.method")
        );
        // A namespace of the registry's own is no slip of another.
        for custom in ["ios.version", "zos.name", "gcp.session.id"] {
            assert_eq!(suggestion(custom), None, "{custom}");
        }
    }

    #[test]
    fn a_template_prefix_with_a_slip_is_found_with_what_follows() {
        let slip = |key| template_slip(key).map(|(template, rest)| (template.key, rest));
        assert_eq!(
            slip("http.request.headers.x-request-id"),
            Some(("http.request.header", "x-request-id"))
        );
        assert_eq!(slip("k8s.pod.lable.app"), Some(("k8s.pod.label", "app")));
        assert_eq!(
            slip("k8s.node.labels.app"),
            Some(("k8s.node.label", "app")),
            "a letter added to a short word of a prefix"
        );
        assert_eq!(
            slip("process.environment_variables.HOME"),
            Some(("process.environment_variable", "HOME"))
        );
        assert_eq!(
            slip("db.query.parameters.id"),
            Some(("db.query.parameter", "id"))
        );
        assert_eq!(slip("http.request.header.x-id"), None, "the prefix itself");
        assert_eq!(slip("http.request.body.size"), None);
        assert_eq!(slip("http.request.headers"), None, "nothing after it");
        assert_eq!(slip("order.request.header.x"), None, "another namespace");
    }

    #[test]
    fn edit_cost_counts_insertions_deletions_and_swaps_as_slips_and_changes_above() {
        // Two changed letters and one inserted.
        assert_eq!(edit_cost("kitten", "sitting", 8), Some(8));
        assert_eq!(edit_cost("kitten", "sitting", 7), None);
        assert_eq!(edit_cost("same", "same", 2), Some(0));
        assert_eq!(edit_cost("ab", "ba", 2), Some(2));
        assert_eq!(edit_cost("abcd", "badc", 4), Some(4));
        assert_eq!(edit_cost("abcd", "badc", 3), None);
        assert_eq!(edit_cost("gid", "pid", 3), Some(3));
        assert_eq!(edit_cost("gid", "pid", 2), None);
    }
}
