//! The values of parameters named for a URL or a connection string
//! (`database_url`, `dsn`), recorded with their credentials redacted.

use super::{redacted_urls, without_cut_authority};
use crate::value::MAX_FORMATTED_CHARS;
use opentelemetry::{Array, StringValue, Value};
use std::borrow::Cow;

/// The value of a parameter named for a URL or a connection string
/// (`database_url: &str`, `endpoints: &[&str]`), recorded with the user
/// information and signatures of the URLs in its text redacted, as `url.full`'s
/// are, and the passwords of a connection string written as pairs; unchanged
/// (not copied) when there are none.
#[doc(hidden)]
pub fn with_urls_redacted(value: Option<Value>) -> Option<Value> {
    match value? {
        Value::String(text) => Some(Value::String(url_text_redacted(text))),
        Value::Array(Array::String(texts)) => Some(Value::Array(Array::String(
            texts.into_iter().map(url_text_redacted).collect(),
        ))),
        other => Some(other),
    }
}

/// [`with_urls_redacted`] of one text, which may have been cut to the value
/// length limit or the formatting bound already: a text exactly as long as
/// either is taken for cut, and the URL whose authority the cut fell in is left
/// out, as [`super::described`] leaves it (what is there of a password has no
/// `@` left).
fn url_text_redacted(text: StringValue) -> StringValue {
    let length = text.as_str().chars().count();
    let maybe_cut =
        length == MAX_FORMATTED_CHARS || crate::value::VALUE_LENGTH_LIMIT.get() == Some(length);
    let whole = if maybe_cut {
        without_cut_authority(text.as_str())
    } else {
        text.as_str()
    };
    let redacted = match redacted_urls(whole) {
        Cow::Borrowed(kept) => connection_passwords_redacted(kept),
        Cow::Owned(urls_redacted) => match connection_passwords_redacted(&urls_redacted) {
            Cow::Borrowed(_) => Cow::Owned(urls_redacted),
            Cow::Owned(redacted) => Cow::Owned(redacted),
        },
    };
    match redacted {
        Cow::Borrowed(kept) if kept.len() == text.as_str().len() => text,
        redacted => StringValue::from(redacted.into_owned()),
    }
}

/// The keys of a connection string written as `key=value` pairs whose values are
/// passwords (libpq's `host=db password=s3cret`, ADO.NET's `Server=db;Pwd=s3cret`),
/// compared without regard to case.
const CONNECTION_PASSWORD_KEYS: [&str; 3] = ["password", "pwd", "passwd"];

/// The length of the longest of [`CONNECTION_PASSWORD_KEYS`].
const LONGEST_PASSWORD_KEY: usize = super::longest(&CONNECTION_PASSWORD_KEYS);

/// `text` with the values of [`CONNECTION_PASSWORD_KEYS`] replaced by
/// `REDACTED`: a key starting the text or following white space or a `;`, then
/// `=` (white space around it allowed), its value quoted ([`quoted_length`]) or
/// up to the next pair ([`unquoted_length`]); an empty one left so. (In a URL's query they are
/// among the credential query keys.)
pub(super) fn connection_passwords_redacted(text: &str) -> Cow<'_, str> {
    let mut redacted = super::Redacting::new(text);
    let mut at = 0;
    while at < text.len() {
        let starts_pair = at == 0
            || text[..at]
                .chars()
                .next_back()
                .is_some_and(|before| before.is_whitespace() || before == ';');
        let value = starts_pair.then(|| password_value(&text[at..])).flatten();
        let Some((start, end)) = value else {
            at += text[at..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        redacted.replace(at + start..at + end);
        at += end;
    }
    redacted.finish()
}

/// Where the value of a password pair starting `pair` starts and ends in it, if
/// it is one.
fn password_value(pair: &str) -> Option<(usize, usize)> {
    // Within the longest key's length: the text is not read again from each
    // pair's start to its end.
    let key_end = (pair.bytes().take(LONGEST_PASSWORD_KEY + 1))
        .position(|byte| byte == b'=' || byte.is_ascii_whitespace())?;
    if !super::is_one_of(&CONNECTION_PASSWORD_KEYS, &pair[..key_end]) {
        return None;
    }
    let after_key = &pair[key_end..];
    let equals = after_key.len() - after_key.trim_start().len();
    let after_equals = after_key.trim_start().strip_prefix('=')?;
    let value = after_equals.trim_start();
    let start = key_end + equals + 1 + (after_equals.len() - value.len());
    let length = match value.chars().next() {
        Some(quote @ ('\'' | '"')) => quoted_length(value, quote),
        Some('{') => quoted_length(value, '}'),
        _ => unquoted_length(value),
    };
    (length > 0).then_some((start, start + length))
}

/// The length of a value written without quotes: up to white space or a `;`
/// followed by another pair (`key=`) or by nothing, a character after a `\`
/// (libpq's escape) the value's own. A separator followed by anything else is the
/// value's: libpq's values may hold a `;` (`password=ab;cd host=db`), ADO.NET's a
/// space (`Password=my pass;Database=shop`). (A word after the value that is no
/// pair's key is taken as the value's too: redacted with it.)
fn unquoted_length(value: &str) -> usize {
    let mut at = 0;
    while let Some(c) = value[at..].chars().next() {
        if c == '\\' {
            at += c.len_utf8();
            at += value[at..].chars().next().map_or(0, char::len_utf8);
        } else if is_pair_separator(c) {
            let after = value[at..]
                .find(|c| !is_pair_separator(c))
                .map_or(value.len(), |run| at + run);
            if starts_pair_or_ends(&value[after..]) {
                return at;
            }
            at = after;
        } else {
            at += c.len_utf8();
        }
    }
    value.len()
}

fn is_pair_separator(c: char) -> bool {
    c.is_whitespace() || c == ';'
}

/// Whether `next`, what follows a value's separators, is empty or starts another
/// pair: a key (no separator or `=` in it), then `=` (white space before it
/// allowed).
fn starts_pair_or_ends(next: &str) -> bool {
    let key_end = next
        .find(|c| is_pair_separator(c) || c == '=')
        .unwrap_or(next.len());
    next.is_empty() || (key_end > 0 && next[key_end..].trim_start().starts_with('='))
}

/// The length of a value opening with a quote (libpq's and ADO.NET's `'..'`,
/// `".."`, ODBC's `{..}`), up to and with the `close` that ends it: one escaped
/// with a `\` (libpq's) or doubled (ADO.NET's and ODBC's) is the value's own;
/// without one, the rest of the text.
fn quoted_length(value: &str, close: char) -> usize {
    let mut chars = value.char_indices().skip(1).peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\\' && close != '}' {
            chars.next();
        } else if c == close && chars.next_if(|&(_, next)| next == close).is_none() {
            return at + c.len_utf8();
        }
    }
    value.len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_connection_strings_passwords_are_redacted() {
        use super::connection_passwords_redacted as redacted;
        assert_eq!(
            redacted("host=db user=app password=s3cret dbname=shop"),
            "host=db user=app password=REDACTED dbname=shop"
        );
        assert_eq!(
            redacted("Server=db;User Id=app;Pwd=s3cret;Database=shop"),
            "Server=db;User Id=app;Pwd=REDACTED;Database=shop"
        );
        // Quotes escaped in a value, doubled or after a `\`; ODBC's braces.
        assert_eq!(
            redacted("password='a\\'b c' x=1;Password='d''e f';Pwd={g;h}}i};y=2"),
            "password=REDACTED x=1;Password=REDACTED;Pwd=REDACTED;y=2"
        );
        // libpq's escape of a space in a value written without quotes.
        assert_eq!(
            redacted("password=pa\\ ss host=db"),
            "password=REDACTED host=db"
        );
        // An empty one stays empty.
        assert_eq!(
            redacted("Pwd=;user=app;password="),
            "Pwd=;user=app;password="
        );
        assert_eq!(
            redacted("PASSWORD = 'a b'; passwd=\"c d\" port=5432"),
            "PASSWORD = REDACTED; passwd=REDACTED port=5432"
        );
        assert_eq!(redacted("password='unclosed"), "password=REDACTED");
        // Not a pair's key: a word that ends in one, a value that names one.
        assert_eq!(
            redacted("mypassword=1 note=password=2 pwd"),
            "mypassword=1 note=password=2 pwd"
        );
        assert_eq!(redacted("主 password=秘密 x=1"), "主 password=REDACTED x=1");
        // A separator that starts no pair is the value's: libpq's `;`, ADO.NET's
        // space; a word after the value that is no key goes with it.
        assert_eq!(
            redacted("password=ab;cd host=db"),
            "password=REDACTED host=db"
        );
        assert_eq!(
            redacted("Server=db;Password=my pass;User Id=app"),
            "Server=db;Password=REDACTED Id=app"
        );
        assert_eq!(redacted("password=s3 cret"), "password=REDACTED");
        assert_eq!(
            redacted("Pwd=a ;  Database=x"),
            "Pwd=REDACTED ;  Database=x"
        );
    }
}
