//! `key = value` lists: `attrs(..)`, `record!(..)` and the fields of `event!(..)`.
//!
//! A key is a dotted identifier path (`order.id`, `db.rows`) or a string literal
//! (`"http.request.header.x-id"`); a value is an expression, optionally behind `%`
//! (record it with `Display`) or `?` (with `Debug`).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens as _;
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token};

/// The runtime's path and the fields of a `record!`/`event!` call: the runtime's
/// macros pass their `$crate` first, then `;`, so the expansion reaches the runtime
/// from a crate that renamed it or reaches it through a re-export.
pub(crate) fn split_runtime(input: TokenStream) -> (TokenStream, TokenStream) {
    let mut tokens = input.into_iter();
    let runtime = tokens
        .by_ref()
        .take_while(|token| !matches!(token, TokenTree::Punct(punct) if punct.as_char() == ';'))
        .collect();
    (runtime, tokens.collect())
}

/// How a field's value becomes an attribute value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `AsAttribute`, then a scalar, then `Debug`.
    Typed,
    /// `%value`: `Display`.
    Display,
    /// `?value`: `Debug`.
    Debug,
}

/// An attribute key as written, with its tokens for diagnostics.
#[derive(Clone, Debug)]
pub(crate) struct Key {
    pub name: String,
    tokens: TokenStream,
}

impl Key {
    /// A key that names a parameter or the place given by `span`.
    pub(crate) fn new(name: String, span: Span) -> Self {
        Key {
            name,
            tokens: quote::quote_spanned!(span=> key),
        }
    }

    /// The span of the key's first token.
    pub(crate) fn span(&self) -> Span {
        self.segment_span(0)
    }

    /// The span of the key's segment `index` (0 for the first) where the key is
    /// written as names (`http.request.methd`), where a warning about that segment
    /// points; the span of the whole literal where it is one (`"http.method"`).
    pub(crate) fn segment_span(&self, index: usize) -> Span {
        let names: Vec<Span> = self
            .tokens
            .clone()
            .into_iter()
            .filter(|token| !matches!(token, TokenTree::Punct(_)))
            .map(|token| token.span())
            .collect();
        names
            .get(index)
            .or(names.last())
            .copied()
            .unwrap_or_else(Span::call_site)
    }

    /// An error pointing at every token of the key.
    pub(crate) fn error(&self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new_spanned(&self.tokens, message)
    }
}

pub(crate) struct Field {
    pub key: Key,
    pub format: Format,
    pub value: Expr,
}

/// A comma-separated list of fields.
pub(crate) struct Fields(pub Vec<Field>);

impl From<&LitStr> for Key {
    fn from(literal: &LitStr) -> Self {
        Key {
            name: literal.value(),
            tokens: literal.to_token_stream(),
        }
    }
}

impl Parse for Key {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return Ok(Key::from(&input.parse::<LitStr>()?));
        }
        let first = input.call(Ident::parse_any).map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected an attribute key: a dotted name such as `order.id`, or a string literal",
            )
        })?;
        let mut name = first.unraw().to_string();
        let mut tokens = first.to_token_stream();
        while input.peek(Token![.]) {
            let dot = input.parse::<Token![.]>()?;
            let segment = input.call(Ident::parse_any).map_err(|error| {
                let hint = match rest_of_key(input) {
                    Some(rest) => {
                        format!("; write this key as a string literal, `\"{name}.{rest}\"`")
                    }
                    None => String::new(),
                };
                syn::Error::new(
                    error.span(),
                    format!(
                        "expected a name after `{name}.`: the segments of a key written without quotes are names{hint}"
                    ),
                )
            })?;
            name.push('.');
            name.push_str(&segment.unraw().to_string());
            dot.to_tokens(&mut tokens);
            segment.to_tokens(&mut tokens);
        }
        Ok(Key { name, tokens })
    }
}

/// What follows a key's dot when it is no name but a number (`order.2fa`: an
/// integer with a suffix), with the segments after it (`order.2fa.code`); `None`
/// when it is anything else (`=`, a string), which no key can take in.
fn rest_of_key(input: ParseStream<'_>) -> Option<String> {
    let fork = input.fork();
    let mut rest = match fork.parse::<proc_macro2::TokenTree>().ok()? {
        proc_macro2::TokenTree::Literal(literal) if is_number(&literal) => literal.to_string(),
        _ => return None,
    };
    while fork.peek(Token![.]) {
        fork.parse::<Token![.]>().ok()?;
        match fork.parse::<proc_macro2::TokenTree>().ok()? {
            proc_macro2::TokenTree::Ident(ident) => rest.push_str(&format!(".{ident}")),
            proc_macro2::TokenTree::Literal(literal) if is_number(&literal) => {
                rest.push_str(&format!(".{literal}"));
            }
            _ => return None,
        }
    }
    Some(rest)
}

fn is_number(literal: &proc_macro2::Literal) -> bool {
    literal
        .to_string()
        .starts_with(|c: char| c.is_ascii_digit())
}

impl Parse for Field {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: Key = input.parse()?;
        if input.peek(Token![-]) {
            return Err(key.error(format_args!(
                "a key holding `-` is written as a string: `\"{}-..\" = value`",
                key.name
            )));
        }
        input.parse::<Token![=]>().map_err(|_| {
            key.error(format_args!(
                "expected `=` after `{}`: fields are written `key = value`",
                key.name
            ))
        })?;
        let format = if input.peek(Token![%]) {
            input.parse::<Token![%]>()?;
            Format::Display
        } else if input.peek(Token![?]) {
            input.parse::<Token![?]>()?;
            Format::Debug
        } else {
            Format::Typed
        };
        let value = input.parse()?;
        Ok(Field { key, format, value })
    }
}

impl Parse for Fields {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let fields = Punctuated::<Field, Token![,]>::parse_terminated(input)?;
        Ok(Fields(fields.into_iter().collect()))
    }
}

/// One entry of `baggage(..)`: a baggage key, recorded under itself or, after
/// `=>`, under an attribute key.
pub(crate) struct BaggageEntry {
    pub source: Key,
    pub key: Key,
    /// Whether the attribute key was given with `=>`.
    pub renamed: bool,
}

impl Parse for BaggageEntry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let source: Key = input.parse()?;
        if input.peek(Token![-]) {
            return Err(source.error(format_args!(
                "a baggage key holding `-` is written as a string: `\"{}-..\"`",
                source.name
            )));
        }
        if input.peek(Token![=]) && !input.peek(Token![=>]) {
            return Err(source.error(format_args!(
                "`baggage(..)` records entries of the baggage; to add `{}` to it, write `set_baggage({} = ..)`",
                source.name, source.name
            )));
        }
        if input.peek(Token![=>]) {
            input.parse::<Token![=>]>()?;
            let key = input.parse()?;
            return Ok(BaggageEntry {
                source,
                key,
                renamed: true,
            });
        }
        Ok(BaggageEntry {
            key: source.clone(),
            source,
            renamed: false,
        })
    }
}

/// The entries of `baggage(..)`.
pub(crate) struct BaggageEntries(pub Vec<BaggageEntry>);

impl Parse for BaggageEntries {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let entries = Punctuated::<BaggageEntry, Token![,]>::parse_terminated(input)?;
        Ok(BaggageEntries(entries.into_iter().collect()))
    }
}

/// `event!("name", key = value, ..)`.
pub(crate) struct EventInput {
    pub name: LitStr,
    pub fields: Fields,
}

impl Parse for EventInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "`event!` starts with the event name as a string literal: `event!(\"retry\", attempt = n)`",
            )
        })?;
        let fields = if input.is_empty() {
            Fields(Vec::new())
        } else {
            input.parse::<Token![,]>()?;
            input.parse()?
        };
        Ok(EventInput { name, fields })
    }
}
