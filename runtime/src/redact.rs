//! Credentials kept out of what is recorded: the user information and signed
//! query values of URLs, in `url.full` and `url.query` and in the messages of
//! errors that name a URL (reqwest's names the one it failed on, whole).

use std::borrow::Cow;

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

/// `text` with every URL in it (`scheme://..`, up to white space or a closing
/// quote or parenthesis) redacted as `url.full` is: an error's message recorded as
/// a span's status and exception must not give back what `url.full` hides.
pub(crate) fn redacted_urls(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut redacted = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        redacted.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | '`'))
            .unwrap_or(after.len());
        let (url, tail) = after.split_at(end);
        push_redacted_url(&mut redacted, url);
        rest = tail;
    }
    redacted.push_str(rest);
    Cow::Owned(redacted)
}

/// `url` after its scheme's `://`, its credentials redacted.
fn push_redacted_url(redacted: &mut String, url: &str) {
    let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
    let (authority, rest) = url.split_at(authority_end);
    push_redacted_authority(redacted, authority);
    let (before_fragment, fragment) = match rest.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (rest, None),
    };
    match before_fragment.split_once('?') {
        Some((path, query)) => {
            redacted.push_str(path);
            redacted.push('?');
            push_redacted_query(redacted, query);
        }
        None => redacted.push_str(before_fragment),
    }
    if let Some(fragment) = fragment {
        redacted.push('#');
        redacted.push_str(fragment);
    }
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
        let plain = "no URL here: a://";
        assert_eq!(redacted_urls("timed out"), "timed out");
        assert_eq!(redacted_urls(plain), plain);
    }
}
