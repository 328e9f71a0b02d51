//! Credentials kept out of what is recorded: the user information and signed
//! query values of URLs, in `url.full` and `url.query` and in the messages of
//! errors that name a URL (reqwest's names the one it failed on, whole).

use crate::value::{MAX_FORMATTED_CHARS, format_within, text_within};
use std::borrow::Cow;
use std::fmt;

/// Query parameters whose values are credentials, redacted in `url.full` and
/// `url.query` as the URL conventions ask: their list (AWS's signature version 4
/// keys, `sig`, Google's), and the keys of the list before it (AWS's version 2),
/// which still sign URLs.
pub(crate) const SECRET_QUERY_KEYS: [&str; 7] = [
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "sig",
    "X-Goog-Signature",
    "AWSAccessKeyId",
    "Signature",
];

/// `authority` with its user information, if any, written `REDACTED:REDACTED@`, as
/// the conventions ask of `url.full`.
pub(crate) fn push_redacted_authority(url: &mut String, authority: &str) {
    match authority.rsplit_once('@') {
        Some((_, host)) => {
            url.push_str("REDACTED:REDACTED@");
            url.push_str(host);
        }
        None => url.push_str(authority),
    }
}

/// `query` with the values of credential parameters replaced by `REDACTED`.
pub(crate) fn push_redacted_query(url: &mut String, query: &str) {
    for (index, pair) in query.split('&').enumerate() {
        if index > 0 {
            url.push('&');
        }
        match pair.split_once('=') {
            Some((key, _)) if SECRET_QUERY_KEYS.contains(&key) => {
                url.push_str(key);
                url.push_str("=REDACTED");
            }
            _ => url.push_str(pair),
        }
    }
}

/// An error's or a status's text as it is recorded (the status description,
/// `exception.message`): formatted, its credentials redacted
/// ([`redacted_urls`]), then cut at [`MAX_FORMATTED_CHARS`] characters. Redacted
/// before the cut: a cut inside a URL's user information leaves no `@` to find
/// the password by.
pub(crate) fn described(args: fmt::Arguments<'_>) -> String {
    redacted_within(&format_within(args, 2 * MAX_FORMATTED_CHARS))
}

/// [`described`] of a text made already (a panic's message, a gRPC status's).
pub(crate) fn described_text(text: &str) -> String {
    redacted_within(text_within(text, 2 * MAX_FORMATTED_CHARS))
}

fn redacted_within(text: &str) -> String {
    text_within(&redacted_urls(text), MAX_FORMATTED_CHARS).to_owned()
}

/// `text` with the credentials it may hold redacted as `url.full` redacts them:
/// the user information of every URL (`scheme://user:password@host`), and the
/// value of every credential query parameter (`X-Amz-Signature=..` after a `?`
/// or `&`), wherever they stand: a URL in parentheses, one whose path holds a `)`
/// (`report (1).pdf`), one in another's query. An error's message recorded as a
/// span's status and exception must not give back what `url.full` hides.
pub(crate) fn redacted_urls(text: &str) -> Cow<'_, str> {
    let users = redacted_user_information(text);
    match redacted_query_values(&users) {
        Cow::Borrowed(_) => users,
        Cow::Owned(redacted) => Cow::Owned(redacted),
    }
}

/// `text` with the user information of every `scheme://` authority redacted.
fn redacted_user_information(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut redacted = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        redacted.push_str(before);
        // The authority runs to its path, query or fragment, or to what ends a
        // URL in prose.
        let end = after
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '<' | '>' | '`')
            })
            .unwrap_or(after.len());
        let (authority, tail) = after.split_at(end);
        push_redacted_authority(&mut redacted, authority);
        rest = tail;
    }
    redacted.push_str(rest);
    Cow::Owned(redacted)
}

/// `text` with the value of every credential query parameter redacted: a key of
/// [`SECRET_QUERY_KEYS`] after a `?` or `&`, its value up to what ends one.
fn redacted_query_values(text: &str) -> Cow<'_, str> {
    let secret_at = |rest: &str| {
        SECRET_QUERY_KEYS
            .iter()
            .filter_map(|key| {
                let mut from = 0;
                while let Some(found) = rest[from..].find(key) {
                    let at = from + found;
                    let after = at + key.len();
                    let parameter =
                        rest[..at].ends_with(['?', '&']) && rest[after..].starts_with('=');
                    if parameter {
                        return Some((at, after + 1));
                    }
                    from = after;
                }
                None
            })
            .min()
    };
    if secret_at(text).is_none() {
        return Cow::Borrowed(text);
    }
    let mut redacted = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((_, value_start)) = secret_at(rest) {
        redacted.push_str(&rest[..value_start]);
        redacted.push_str("REDACTED");
        let value = &rest[value_start..];
        let end = value
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '&' | '#' | '"' | '\'' | '<' | '>' | '`' | ')' | ',' | ';'
                    )
            })
            .unwrap_or(value.len());
        rest = &value[end..];
    }
    redacted.push_str(rest);
    Cow::Owned(redacted)
}

#[cfg(test)]
mod tests {
    use super::redacted_urls;

    #[test]
    fn the_urls_an_error_names_are_redacted_and_the_rest_kept() {
        assert_eq!(
            redacted_urls(
                "error sending request for url (https://ada:pw@api.example.com/u?X-Amz-Signature=abc&page=2#top): connection refused"
            ),
            "error sending request for url (https://REDACTED:REDACTED@api.example.com/u?X-Amz-Signature=REDACTED&page=2#top): connection refused"
        );
        assert_eq!(
            redacted_urls("two: http://[::1]:8080/a?sig=x and ftp://u@h"),
            "two: http://[::1]:8080/a?sig=REDACTED and ftp://REDACTED:REDACTED@h"
        );
        // A path with a parenthesis, a URL in another's query, a value ending a
        // sentence.
        assert_eq!(
            redacted_urls(
                "for url (https://s3.example.com/report%20(1).pdf?X-Amz-Signature=abc): refused"
            ),
            "for url (https://s3.example.com/report%20(1).pdf?X-Amz-Signature=REDACTED): refused"
        );
        assert_eq!(
            redacted_urls("tried https://a/?next=https://u:p@b/x&sig=s, then none"),
            "tried https://a/?next=https://REDACTED:REDACTED@b/x&sig=REDACTED, then none"
        );
        assert_eq!(
            redacted_urls("no parameter: Signature=abc, mysig=1"),
            "no parameter: Signature=abc, mysig=1"
        );
        let plain = "no URL here: a://";
        assert_eq!(redacted_urls("timed out"), "timed out");
        assert_eq!(redacted_urls(plain), plain);
    }
}
