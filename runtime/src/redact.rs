//! Credentials kept out of what is recorded: the user information and signed
//! query values of URLs, in `url.full` and `url.query`, in the messages of errors
//! that name a URL (reqwest's names the one it failed on, whole), and in the
//! values of parameters named for one ([`parameter`]).

mod parameter;

pub use parameter::with_urls_redacted;

use crate::value::{MAX_FORMATTED_CHARS, format_within, text_within};
use std::borrow::Cow;
use std::fmt;

/// Query parameters whose values are credentials, redacted in `url.full` and
/// `url.query` as the URL conventions ask, their names compared without regard
/// to case: the conventions' list (AWS's signature version 4 keys, `sig`,
/// Google's), the keys of the list before it (AWS's version 2), which still sign
/// URLs, and the tokens and keys APIs take in a query (OAuth's bearer tokens on a
/// WebSocket or a download link, Google's `key`, a client's secret, a connection
/// URL's password: libpq's and JDBC's `?password=`, its short names `pass` and `pw`, OAuth's authorization `code`
/// on a redirect). Any other key with a word of [`SECRET_QUERY_WORDS`] is one too.
pub(crate) const SECRET_QUERY_KEYS: [&str; 21] = [
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "sig",
    "X-Goog-Signature",
    "AWSAccessKeyId",
    "Signature",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "api_key",
    "apikey",
    "key",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "pass",
    "pw",
    "code",
];

/// Words that make a query parameter a credential wherever they stand in its
/// name ([`words`]: GitLab's `private_token`, Firebase's `auth`, `auth_token`,
/// `jwt`, `accessToken`, `session_id`), as the annotations' rule finds a
/// parameter's secrets by the words of its name; its shorter list, for a query's
/// names are the web's (`max_tokens` and `tokens` are counts).
const SECRET_QUERY_WORDS: [&str; 14] = [
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "auth",
    "authorization",
    "jwt",
    "credential",
    "credentials",
    "apikey",
    "signature",
    "sessionid",
];

/// Adjacent words that make a query parameter a credential (`apiKey`, `session_id`;
/// Datadog's `application_key`, 3scale's `app_key` and `user_key`, Azure API
/// Management's `subscription-key`).
const SECRET_QUERY_PAIRS: [(&str, &str); 11] = [
    ("api", "key"),
    ("access", "key"),
    ("private", "key"),
    ("secret", "key"),
    ("signing", "key"),
    ("session", "id"),
    ("session", "key"),
    ("application", "key"),
    ("app", "key"),
    ("user", "key"),
    ("subscription", "key"),
];

/// How far a query parameter's name is looked at in a text ([`redacted_query_values`]):
/// its `=` is looked for no further, so that the text is not read again from each
/// `?` or `&` to its end. Room for a nested name as a browser escapes it
/// (`account%5Bbilling%5D%5Bcard%5D%5Bpassword%5D`, three times its plain length).
const LONGEST_SECRET_QUERY_KEY: usize = 192;

/// Whether `key`, a query parameter's name, is one of [`SECRET_QUERY_KEYS`], or
/// has a word of [`SECRET_QUERY_WORDS`] or a pair of [`SECRET_QUERY_PAIRS`],
/// compared without regard to case.
fn is_secret_query_key(key: &str) -> bool {
    if is_one_of(&SECRET_QUERY_KEYS, key) {
        return true;
    }
    let mut previous: Option<&str> = None;
    words(key).any(|word| {
        let secret = is_one_of(&SECRET_QUERY_WORDS, word)
            || previous.is_some_and(|previous| {
                (SECRET_QUERY_PAIRS.iter()).any(|(first, second)| {
                    first.eq_ignore_ascii_case(previous) && second.eq_ignore_ascii_case(word)
                })
            });
        previous = Some(word);
        secret
    })
}

/// The words of a name: split at `_`, `-` and `.`, at the brackets of a nested
/// parameter (`user[password]`) and at a percent escape (`user%5Bpassword%5D`, as
/// a browser sends it), where a capital follows a lowercase letter or a digit
/// (`accessToken`, `X-Amz-Security-Token`), and before the last capital of an
/// acronym of two or more followed by a lowercase letter (`APIToken`,
/// `userJWTToken`; `OAuth` is one word).
fn words(name: &str) -> impl Iterator<Item = &str> {
    let unescaped = name.split('%').enumerate().map(|(index, piece)| {
        let escaped = index > 0
            && piece.len() >= 2
            && piece.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit);
        if escaped { &piece[2..] } else { piece }
    });
    unescaped
        .flat_map(|piece| piece.split(['_', '-', '.', '[', ']']))
        .flat_map(|part| {
            let bytes = part.as_bytes();
            // Only ASCII bytes are looked at: each cut is at a character's boundary.
            let starts = (1..bytes.len()).filter(move |&at| {
                let before = bytes[at - 1];
                let after_an_acronym = before.is_ascii_uppercase()
                    && at >= 2
                    && bytes[at - 2].is_ascii_uppercase()
                    && bytes.get(at + 1).is_some_and(u8::is_ascii_lowercase);
                bytes[at].is_ascii_uppercase()
                    && (before.is_ascii_lowercase() || before.is_ascii_digit() || after_an_acronym)
            });
            let mut from = 0;
            starts.chain([part.len()]).map(move |end| {
                let word = &part[from..end];
                from = end;
                word
            })
        })
}

/// The length of the longest of `keys`: how far a key is looked for.
const fn longest(keys: &[&str]) -> usize {
    let mut longest = 0;
    let mut index = 0;
    while index < keys.len() {
        if keys[index].len() > longest {
            longest = keys[index].len();
        }
        index += 1;
    }
    longest
}

/// Whether `key` is one of `keys`, compared without regard to case.
fn is_one_of(keys: &[&str], key: &str) -> bool {
    keys.iter().any(|known| known.eq_ignore_ascii_case(key))
}

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
            Some((key, _)) if is_secret_query_key(key) => {
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
/// before the cut, on twice as much text, whose last URL is left out where the
/// formatting was cut inside it: a cut inside a URL's user information leaves no
/// `@` to find the password by.
pub(crate) fn described(args: fmt::Arguments<'_>) -> String {
    redacted_within(&format_within(args, FORMATTED + 1))
}

/// A part of a text to describe, formatted as [`described`] formats the whole
/// (not redacted yet): cut, if at all, past where the whole is.
pub(crate) fn part_to_describe(args: fmt::Arguments<'_>) -> String {
    format_within(args, FORMATTED + 1)
}

/// [`described`] of a text made already (a panic's message, a gRPC status's).
pub(crate) fn described_text(text: &str) -> String {
    redacted_within(text_within(text, FORMATTED + 1))
}

/// What is redacted of a text to describe: twice what is kept. (One character
/// more is formatted, to tell a text cut from one of this length.)
const FORMATTED: usize = 2 * MAX_FORMATTED_CHARS;

fn redacted_within(text: &str) -> String {
    let cut = text.chars().count() > FORMATTED;
    let text = if cut {
        without_cut_authority(text_within(text, FORMATTED))
    } else {
        text
    };
    text_within(&redacted_urls(text), MAX_FORMATTED_CHARS).to_owned()
}

/// A text cut at its end without the URL the cut fell in the authority of (its
/// `scheme://` followed by no end of an authority): what is there of its user
/// information has no `@` to be found by. A cut further in (a query's value)
/// leaves the URL, redacted as any other.
fn without_cut_authority(text: &str) -> &str {
    match text.rfind("://") {
        Some(at) if authority_end(&text[at + 3..]).is_none() => &text[..scheme_start(text, at)],
        _ => text,
    }
}

/// Where the authority of a URL ends in `after`, the text after its `://`: at its
/// path, query or fragment, or what ends a URL in prose; or, where what comes
/// before reads as a user and a password (a port is digits), at the end of the
/// host after the next `@` in the same word, as in a connection string whose
/// password holds a `/`, `?` or `#` unencoded (`postgres://app:a/b@db/x`). None
/// where the text may end inside it.
fn authority_end(after: &str) -> Option<usize> {
    let end = after.find(ends_authority);
    let authority = &after[..end.unwrap_or(after.len())];
    // An empty port reads as a password starting with what ends the authority
    // (`redis://:#secret@cache`): URLs written with an empty port are rare.
    let reads_as_password = !authority.contains('@')
        && !authority.starts_with('[')
        && authority
            .split_once(':')
            .is_some_and(|(_, port)| port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()));
    let end = end?;
    if !reads_as_password {
        return Some(end);
    }
    // The word, up to another URL's `://` too, found first: each URL's part of
    // the text is looked at once (a peer's gRPC message may be one word of them).
    let word = &after[end..];
    let word = &word[..word.find("://").unwrap_or(word.len())];
    let word = &word[..word.find(ends_word).unwrap_or(word.len())];
    match word.find('@') {
        Some(at) => {
            let host = end + at + 1;
            Some(
                host + after[host..]
                    .find(ends_authority)
                    .unwrap_or(after.len() - host),
            )
        }
        None if end + word.len() == after.len() => None,
        None => Some(end),
    }
}

/// Whether `c` ends a word of prose a URL stands in.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '<' | '>' | '`')
}

/// Whether `c` ends a URL's authority: its path, query or fragment, or what ends
/// a URL in prose.
fn ends_authority(c: char) -> bool {
    ends_word(c) || matches!(c, '/' | '?' | '#')
}

/// Where the scheme ending at `at` (its `://`) starts.
fn scheme_start(text: &str, at: usize) -> usize {
    text[..at]
        .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        .len()
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
        // URL in prose, or to the scheme of another URL in a list
        // (`nats://a:4222,nats://user:pass@b:4222`).
        let mut end = authority_end(after).unwrap_or(after.len());
        if let Some(next) = after.find("://")
            && scheme_start(after, next) < end
        {
            end = scheme_start(after, next);
        }
        let (authority, tail) = after.split_at(end);
        push_redacted_authority(&mut redacted, authority);
        rest = tail;
    }
    redacted.push_str(rest);
    Cow::Owned(redacted)
}

/// `text` with the value of every credential query parameter redacted: a key
/// [`is_secret_query_key`] finds, of [`LONGEST_SECRET_QUERY_KEY`] bytes at most, starting the text or after a `?` or `&` (or a `#`: a
/// fragment's, as OAuth's implicit flow returns its token), its value up to what
/// ends one. One
/// pass over the text (which an attacker may fill with `&sig=`).
fn redacted_query_values(text: &str) -> Cow<'_, str> {
    // Where the value of the parameter starting at `from` (after a `?` or `&`)
    // starts, if it is a credential.
    let secret_value = |from: usize| {
        let parameter = &text[from..];
        let key_end = parameter
            .bytes()
            .take(LONGEST_SECRET_QUERY_KEY + 1)
            .position(|byte| byte == b'=')?;
        is_secret_query_key(&parameter[..key_end]).then_some(from + key_end + 1)
    };
    let mut redacted = Redacting::new(text);
    let mut from = 0;
    // The text's own start too: a query recorded alone (`url.query` set by hand).
    let mut next = Some(0);
    while let Some(start) = next.take().or_else(|| {
        let found = text[from..].find(['?', '&', '#'])?;
        Some(from + found + 1)
    }) {
        from = start;
        let Some(value_start) = secret_value(start) else {
            continue;
        };
        let value = &text[value_start..];
        let end = value_start
            + value
                .find(|c: char| {
                    c.is_whitespace()
                        || matches!(
                            c,
                            '&' | '#' | '"' | '\'' | '<' | '>' | '`' | ')' | ',' | ';'
                        )
                })
                .unwrap_or(value.len());
        redacted.replace(value_start..end);
        from = end;
    }
    redacted.finish()
}

/// A text with parts of it replaced by `REDACTED`, in order: copied only once a
/// part is, else borrowed as it is.
struct Redacting<'a> {
    text: &'a str,
    out: Option<String>,
    /// Where the text is copied up to.
    copied: usize,
}

impl<'a> Redacting<'a> {
    fn new(text: &'a str) -> Self {
        Redacting {
            text,
            out: None,
            copied: 0,
        }
    }

    /// Replaces `part`, which starts at or after the end of the one before.
    fn replace(&mut self, part: std::ops::Range<usize>) {
        let out = (self.out).get_or_insert_with(|| String::with_capacity(self.text.len()));
        out.push_str(&self.text[self.copied..part.start]);
        out.push_str("REDACTED");
        self.copied = part.end;
    }

    fn finish(self) -> Cow<'a, str> {
        match self.out {
            None => Cow::Borrowed(self.text),
            Some(mut out) => {
                out.push_str(&self.text[self.copied..]);
                Cow::Owned(out)
            }
        }
    }
}

/// `text` with every word that looks like a key or a token hidden, and whatever
/// follows `Bearer` or `Basic` up to a space: a refusal echoing the request's
/// credentials (`invalid key 9f8e..`) goes to stderr. A key is a word of 20
/// characters or more of letters and digits, both, and `-_+=` (hex, base64,
/// UUIDs), with no `-` or with 8 digits or more; words end at `.`, `:` and `/`
/// too, so that a host's and a URL's parts stay, to be acted on (a pod's name,
/// `otel-collector-7d9f8b6c5-x2k4p`, too).
#[cfg(feature = "otlp")]
pub(crate) fn without_keys(text: &str) -> String {
    const SHORTEST_KEY: usize = 20;
    const DIGITS_OF_A_DASHED_KEY: usize = 8;
    let is_key_character =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '=');
    let looks_like_a_key = |word: &str| {
        let digits = word.chars().filter(char::is_ascii_digit).count();
        word.len() >= SHORTEST_KEY
            && digits > 0
            && word.contains(|c: char| c.is_ascii_alphabetic())
            && (!word.contains('-') || digits >= DIGITS_OF_A_DASHED_KEY)
    };
    let mut kept = String::with_capacity(text.len());
    let mut after_a_scheme = false;
    for (index, token) in text.split(' ').enumerate() {
        if index > 0 {
            kept.push(' ');
        }
        if after_a_scheme && !token.is_empty() {
            kept.push_str("<hidden>");
            after_a_scheme = false;
            continue;
        }
        let mut rest = token;
        while !rest.is_empty() {
            let word_end = rest.find(|c| !is_key_character(c)).unwrap_or(rest.len());
            let (word, after) = rest.split_at(word_end);
            kept.push_str(if looks_like_a_key(word) {
                "<hidden>"
            } else {
                word
            });
            let other_end = after.find(is_key_character).unwrap_or(after.len());
            kept.push_str(&after[..other_end]);
            rest = &after[other_end..];
        }
        if !token.is_empty() {
            after_a_scheme =
                token.eq_ignore_ascii_case("bearer") || token.eq_ignore_ascii_case("basic");
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "otlp")]
    use super::without_keys;
    use super::{described, redacted_urls};
    use crate::value::MAX_FORMATTED_CHARS;

    #[test]
    fn a_query_parameter_is_a_credential_by_its_name_or_a_word_of_it() {
        for secret in [
            "X-Amz-Signature",
            "sig",
            "KEY",
            "code",
            "private_token",
            "auth",
            "auth_token",
            "X-Auth-Token",
            "jwt",
            "accessToken",
            "apiKey",
            "api-key",
            "session_id",
            "sessionId",
            "client.secret",
            "oauth2Token",
            "APIToken",
            "userJWTToken",
            "SASToken",
            "authorization",
            "Ü_token_ß",
            "user[password]",
            "user%5Bpassword%5D",
            "filter%5bapi_key%5d",
            "auth[token]",
            "credentials[0][secret]",
            "application_key",
            "app_key",
            "user_key",
            "subscription-key",
            "pass",
            "PW",
        ] {
            assert!(super::is_secret_query_key(secret), "{secret}");
        }
        for kept in [
            "page",
            "tokens",
            "max_tokens",
            "author",
            "oauth_callback",
            "OAuthCallback",
            "OAuth",
            "keyword",
            "sort_key",
            "partition_key",
            "user_id",
            "country_code",
            "APIVersion",
            "URLs",
            "id",
            "",
            "_",
            "Übermaß",
            "filter[page]",
            "items[]",
            "user%5Bname%5D",
            "%",
            "%5",
            "%zztoken",
            "%5Ü",
            "keyword%5B%5D",
        ] {
            assert!(!super::is_secret_query_key(kept), "{kept}");
        }
        let mut url = String::new();
        super::push_redacted_query(&mut url, "private_token=glpat-1&page=2&code=4/0AX&state=x");
        assert_eq!(url, "private_token=REDACTED&page=2&code=REDACTED&state=x");
        let mut url = String::new();
        super::push_redacted_query(&mut url, "user%5Bname%5D=ada&user%5Bpassword%5D=hunter2");
        assert_eq!(url, "user%5Bname%5D=ada&user%5Bpassword%5D=REDACTED");
        // In a text, as far as an escaped nested name goes.
        let key = "account%5Bbilling_details%5D%5Bpayment_method%5D%5Bcard%5D%5Bpassword%5D";
        assert_eq!(
            redacted_urls(&format!(
                "GET https://shop.example/pay?{key}=hunter2 failed"
            )),
            format!("GET https://shop.example/pay?{key}=REDACTED failed")
        );
        assert_eq!(
            redacted_urls("for url (https://api.example.com/x.json?accessToken=abc&n=1)"),
            "for url (https://api.example.com/x.json?accessToken=REDACTED&n=1)"
        );
    }

    #[test]
    fn any_text_is_redacted_without_a_panic() {
        // Texts made of the pieces the scans look for, with characters of one to
        // four bytes between them, cut anywhere: recording an error must not panic.
        const PIECES: [&str; 19] = [
            "://",
            "?",
            "&",
            "=",
            "@",
            "sig",
            "X-Amz-Signature",
            "/",
            " ",
            "→",
            "主",
            "😀",
            "a",
            ":",
            "#",
            ";",
            "password",
            "'",
            "\"",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut longest = 0;
        for round in 0..20_000 {
            // Short texts, and every 500th one longer than what is formatted, so
            // that the cut is made too.
            let pieces = if round % 500 == 0 {
                2 * MAX_FORMATTED_CHARS
            } else {
                (next() % 24) as usize
            };
            let mut text = String::new();
            for _ in 0..pieces {
                text.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            longest = longest.max(text.chars().count());
            let _ = redacted_urls(&text);
            let _ = super::described_text(&text);
            let _ = super::without_cut_authority(&text);
            let _ = super::parameter::connection_passwords_redacted(&text);
        }
        assert!(longest > 2 * MAX_FORMATTED_CHARS, "{longest}");
    }

    #[test]
    fn a_url_the_formatting_cut_in_its_user_information_is_left_out() {
        // Past what is formatted, the user information has no `@` left; the
        // redacted URLs before it make the text short enough to keep it.
        let signed = format!("https://h/x?sig={} ", "s".repeat(3000));
        let cut_at = 2 * MAX_FORMATTED_CHARS - 2 * signed.len() - "https://user:pass".len();
        let text = format!(
            "{signed}{signed}{}https://user:password@host/",
            " ".repeat(cut_at)
        );
        let recorded = described(format_args!("{text}"));
        assert!(!recorded.contains("user:pass"), "{recorded}");
        assert!(recorded.starts_with("https://h/x?sig=REDACTED "));
        // One cut in its query keeps it; a text just long enough is no cut one.
        let in_query = format!(
            "x→https://h/long?sig={}",
            "s".repeat(2 * MAX_FORMATTED_CHARS)
        );
        assert_eq!(
            described(format_args!("{in_query}")),
            "x→https://h/long?sig=REDACTED"
        );
        let exact = format!(
            "{signed}{signed}{} https://api.example.com",
            "y".repeat(2 * MAX_FORMATTED_CHARS - 2 * signed.len() - 24)
        );
        assert_eq!(exact.chars().count(), 2 * MAX_FORMATTED_CHARS);
        assert!(described(format_args!("{exact}")).ends_with(" https://api.example.com"));
        // A cut after a password's `/` may be inside it too; a path's is not.
        assert_eq!(super::without_cut_authority("x postgres://app:ab/c"), "x ");
        assert_eq!(
            super::without_cut_authority("x https://h:80/c"),
            "x https://h:80/c"
        );
    }

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
        // A password holding a `/`, `?` or `#` unencoded, as connection strings
        // are written; a path holding an `@` after a port, or after no password.
        assert_eq!(
            redacted_urls(
                "bad DATABASE_URL postgres://app:ab/cd@db:5432/x, redis://:p#ss@cache:6379 or amqp://u:p?q@rabbit/vh"
            ),
            "bad DATABASE_URL postgres://REDACTED:REDACTED@db:5432/x, redis://REDACTED:REDACTED@cache:6379 or amqp://REDACTED:REDACTED@rabbit/vh"
        );
        assert_eq!(
            redacted_urls("redis://:#s3cret@cache:6379 http://h:/a"),
            "redis://REDACTED:REDACTED@cache:6379 http://h:/a"
        );
        assert_eq!(
            redacted_urls(
                "https://h:8080/users/@bob https://h/@ada nats://a:4222,nats://u:p/w@b:4222 ws://a:b/c"
            ),
            "https://h:8080/users/@bob https://h/@ada nats://a:4222,nats://REDACTED:REDACTED@b:4222 ws://a:b/c"
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
        // Tokens and keys an API takes in its query, whatever their case.
        assert_eq!(
            redacted_urls(
                "for url (wss://h/hub?Access_Token=eyJ.a.b&page=2), (https://maps.example/json?address=x&key=AIza1), ?tokens=3&mykey=4"
            ),
            "for url (wss://h/hub?Access_Token=REDACTED&page=2), (https://maps.example/json?address=x&key=REDACTED), ?tokens=3&mykey=4"
        );
        assert_eq!(
            redacted_urls("token=abc&page=2"),
            "token=REDACTED&page=2",
            "a query alone"
        );
        assert_eq!(
            redacted_urls("redirected to https://app/cb#access_token=eyJ.a.b&token_type=bearer"),
            "redirected to https://app/cb#access_token=REDACTED&token_type=REDACTED",
            "a word of a credential's name redacts the value, whatever else it names"
        );
        assert_eq!(
            redacted_urls("connect failed: nats://a:4222,nats://user:pass@b:4222"),
            "connect failed: nats://a:4222,nats://REDACTED:REDACTED@b:4222"
        );
        // Around characters of more than one byte.
        assert_eq!(
            redacted_urls("主：nats://a，备：nats://u:p@b"),
            "主：nats://a，备：nats://REDACTED:REDACTED@b"
        );
        assert_eq!(
            redacted_urls("redirected http://a→https://u:p@b/"),
            "redirected http://a→https://REDACTED:REDACTED@b/"
        );
        let plain = "no URL here: a://";
        assert_eq!(redacted_urls("timed out"), "timed out");
        assert_eq!(redacted_urls(plain), plain);
    }

    #[cfg(feature = "otlp")]
    #[test]
    fn key_like_words_are_hidden_and_hosts_kept() {
        assert_eq!(
            without_keys("Authorization: Basic dXNlcjpwYXNz rejected; bearer abc.def"),
            "Authorization: Basic <hidden> rejected; bearer <hidden>"
        );
        // Hosts and paths stay, to be acted on; UUIDs and hex keys do not.
        assert_eq!(
            without_keys(
                "no route to otlp-gateway-prod-us-east-0.grafana.net:443 or otel-collector-7d9f8b6c5-x2k4p.observability.svc:4318 (https://otlp.example.com/otlp/v1/traces/tenant-42); key 123e4567-e89b-12d3-a456-426614174000"
            ),
            "no route to otlp-gateway-prod-us-east-0.grafana.net:443 or otel-collector-7d9f8b6c5-x2k4p.observability.svc:4318 (https://otlp.example.com/otlp/v1/traces/tenant-42); key <hidden>"
        );
        assert_eq!(
            without_keys(
                "404 page not found: https://otel.eu1.example.com/v1/traces, no healthy upstream for otel-collector-0.otel-collector-headless.observability:4318"
            ),
            "404 page not found: https://otel.eu1.example.com/v1/traces, no healthy upstream for otel-collector-0.otel-collector-headless.observability:4318"
        );
    }
}
