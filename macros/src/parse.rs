//! Syntax to typed options: the attribute's arguments and the annotated function,
//! with our parameter attributes (`#[skip]`, `#[attr]`) read and removed.
//!
//! Every mistake found here is collected, so one build reports all of them.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, ItemFn, LitBool, LitStr, Pat, Token, Type};

/// The options of `#[traced(..)]`.
#[derive(Default)]
pub(crate) struct Options {
    pub name: Option<LitStr>,
    pub kind: Option<Ident>,
    pub root: Option<Span>,
    pub parent: Option<Expr>,
    pub code: Option<LitBool>,
    pub skip: Vec<Ident>,
    pub skip_all: Option<Span>,
}

/// The option names, in the order the error for an unknown one lists them.
const OPTIONS: &[&str] = &["name", "kind", "root", "parent", "code", "skip", "skip_all"];

/// The span kinds `kind = ..` accepts.
pub(crate) const KINDS: &[&str] = &["internal", "server", "client", "producer", "consumer"];

/// How a parameter is recorded, as its own attributes say.
pub(crate) enum ParamMode {
    /// Recorded if its type is a scalar or implements `AsAttribute`.
    Default,
    /// `#[skip]`.
    Skipped,
    /// `#[attr]`, `#[attr("key")]`, `#[attr(display)]`, `#[attr("key", display)]`.
    Explicit { key: Option<LitStr>, display: bool },
}

pub(crate) struct Param {
    /// The binding name; `None` for a pattern (`(a, b): (u8, u8)`) or `_`.
    pub ident: Option<Ident>,
    pub mode: ParamMode,
    /// Where diagnostics about this parameter point.
    pub span: Span,
}

pub(crate) struct TracedFn {
    pub options: Options,
    /// The function, with our parameter attributes removed.
    pub function: ItemFn,
    /// The typed parameters (the receiver, `self`, is never recorded).
    pub params: Vec<Param>,
    /// Whether the return type is written as a `Result` (its last path segment).
    pub returns_result: bool,
}

/// Parses the attribute's arguments and the function it is on, returning the
/// function with the mistakes found so far (so that `check` adds its own and the
/// user sees every mistake in one build). An item that is not a function is an
/// error on its own.
pub(crate) fn parse(
    args: TokenStream,
    item: TokenStream,
) -> Result<(TracedFn, Errors), syn::Error> {
    let Ok(mut function) = syn::parse2::<ItemFn>(item.clone()) else {
        return Err(not_a_function(item));
    };
    let mut errors = Errors::default();
    let options = match syn::parse2::<OptionList>(args) {
        Ok(list) => list.into_options(&mut errors),
        Err(error) => {
            errors.push(error);
            Options::default()
        }
    };
    if let Some(constness) = &function.sig.constness {
        errors.push(syn::Error::new(
            constness.span(),
            "`#[traced]` cannot instrument a `const fn`: a span cannot be opened at compile time; remove `const` or `#[traced]`",
        ));
    }
    let params = take_params(&mut function, &mut errors);
    let returns_result = returns_result(&function.sig.output);
    let traced = TracedFn {
        options,
        function,
        params,
        returns_result,
    };
    Ok((traced, errors))
}

/// Collects errors so that all of them are reported in one build.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

fn not_a_function(item: TokenStream) -> syn::Error {
    let what = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Struct(_)) => "a struct",
        Ok(syn::Item::Enum(_)) => "an enum",
        Ok(syn::Item::Union(_)) => "a union",
        Ok(syn::Item::Trait(_)) => "a trait",
        Ok(syn::Item::Impl(_)) => "an impl block",
        Ok(syn::Item::Mod(_)) => "a module",
        Ok(syn::Item::Const(_)) => "a constant",
        Ok(syn::Item::Static(_)) => "a static",
        Ok(syn::Item::Type(_)) => "a type alias",
        _ if syn::parse2::<syn::TraitItemFn>(item.clone()).is_ok() => {
            return syn::Error::new_spanned(
                item,
                "`#[traced]` needs a function body: put it on the implementations of this trait method, or give the method a default body",
            );
        }
        _ => "this item",
    };
    syn::Error::new_spanned(
        item,
        format!("`#[traced]` can only instrument a function, not {what}"),
    )
}

/// One `key`, `key = value` or `key(..)` argument, before it is interpreted.
struct OptionList(Punctuated<RawOption, Token![,]>);

struct RawOption {
    key: Ident,
    value: RawValue,
}

enum RawValue {
    Flag,
    Assigned(Expr),
    List(TokenStream),
}

impl Parse for OptionList {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Punctuated::parse_terminated(input).map(OptionList)
    }
}

impl Parse for RawOption {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            RawValue::Assigned(input.parse()?)
        } else if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            RawValue::List(content.parse()?)
        } else {
            RawValue::Flag
        };
        Ok(RawOption { key, value })
    }
}

impl OptionList {
    fn into_options(self, errors: &mut Errors) -> Options {
        let mut options = Options::default();
        let mut seen: Vec<String> = Vec::new();
        for raw in self.0 {
            let key = raw.key.to_string();
            if seen.contains(&key) {
                errors.push(syn::Error::new(
                    raw.key.span(),
                    format!("option `{key}` is given twice; keep one"),
                ));
                continue;
            }
            seen.push(key.clone());
            if let Err(error) = options.apply(&key, raw) {
                errors.push(error);
            }
        }
        if let (Some(root), Some(_)) = (options.root, &options.parent) {
            errors.push(syn::Error::new(
                root,
                "`root` and `parent` exclude each other: a root span has no parent",
            ));
        }
        if let (Some(skip_all), false) = (options.skip_all, options.skip.is_empty()) {
            errors.push(syn::Error::new(
                skip_all,
                "`skip_all` already skips every parameter; remove `skip(..)` or `skip_all`",
            ));
        }
        options
    }
}

impl Options {
    fn apply(&mut self, key: &str, raw: RawOption) -> syn::Result<()> {
        let RawOption { key: ident, value } = raw;
        match (key, value) {
            ("name", RawValue::Assigned(expr)) => self.name = Some(string_literal(expr)?),
            ("kind", RawValue::Assigned(expr)) => self.kind = Some(kind(expr)?),
            ("root", RawValue::Flag) => self.root = Some(ident.span()),
            ("parent", RawValue::Assigned(expr)) => self.parent = Some(expr),
            ("code", RawValue::Assigned(expr)) => self.code = Some(bool_literal(expr)?),
            ("skip", RawValue::List(tokens)) => {
                let names = syn::parse::Parser::parse2(
                    Punctuated::<Ident, Token![,]>::parse_terminated,
                    tokens,
                )?;
                self.skip = names.into_iter().collect();
            }
            ("skip_all", RawValue::Flag) => self.skip_all = Some(ident.span()),
            (known, _) if OPTIONS.contains(&known) => {
                return Err(syn::Error::new(ident.span(), usage(known)));
            }
            (unknown, _) => {
                return Err(syn::Error::new(
                    ident.span(),
                    format!(
                        "unknown option `{unknown}`; `#[traced]` accepts: {}",
                        OPTIONS.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// How a known option is written, for an option written the wrong way.
fn usage(option: &str) -> String {
    let form = match option {
        "name" => "name = \"span name\"",
        "kind" => "kind = server (or internal, client, producer, consumer)",
        "root" => "root",
        "parent" => "parent = <a &Context or a SpanContext>",
        "code" => "code = false",
        "skip" => "skip(param, ..)",
        _ => "skip_all",
    };
    format!("`{option}` is written `{form}`")
}

fn string_literal(expr: Expr) -> syn::Result<LitStr> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(literal),
            ..
        }) => Ok(literal),
        other => Err(syn::Error::new_spanned(
            other,
            "expected a string literal: the span name must be known at compile time",
        )),
    }
}

fn bool_literal(expr: Expr) -> syn::Result<LitBool> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(literal),
            ..
        }) => Ok(literal),
        other => Err(syn::Error::new_spanned(other, "expected `true` or `false`")),
    }
}

fn kind(expr: Expr) -> syn::Result<Ident> {
    let ident = match &expr {
        Expr::Path(path) => path.path.get_ident().cloned(),
        _ => None,
    };
    match ident {
        Some(ident) if KINDS.contains(&ident.to_string().as_str()) => Ok(ident),
        _ => Err(syn::Error::new_spanned(
            expr,
            format!("unknown span kind; expected one of: {}", KINDS.join(", ")),
        )),
    }
}

/// Reads and removes `#[skip]` and `#[attr(..)]` from every parameter.
fn take_params(function: &mut ItemFn, errors: &mut Errors) -> Vec<Param> {
    let mut params = Vec::new();
    for input in &mut function.sig.inputs {
        let FnArg::Typed(typed) = input else {
            continue;
        };
        let ident = match &*typed.pat {
            Pat::Ident(binding) if binding.subpat.is_none() => Some(binding.ident.clone()),
            _ => None,
        };
        let span = typed.pat.span();
        let mut mode = ParamMode::Default;
        let mut kept = Vec::new();
        for attribute in std::mem::take(&mut typed.attrs) {
            let parsed = if attribute.path().is_ident("skip") {
                match attribute.meta {
                    syn::Meta::Path(_) => Ok(ParamMode::Skipped),
                    _ => Err(syn::Error::new_spanned(
                        &attribute.meta,
                        "`#[skip]` takes no arguments",
                    )),
                }
            } else if attribute.path().is_ident("attr") {
                explicit_mode(&attribute)
            } else {
                kept.push(attribute);
                continue;
            };
            match parsed {
                Ok(_) if !matches!(mode, ParamMode::Default) => errors.push(syn::Error::new_spanned(
                    &attribute,
                    "a parameter takes one of `#[skip]` or `#[attr]`, once",
                )),
                Ok(_) if ident.is_none() => errors.push(syn::Error::new(
                    span,
                    "only a parameter bound to a plain name can be skipped or recorded; a pattern or `_` is never recorded",
                )),
                Ok(parsed) => mode = parsed,
                Err(error) => errors.push(error),
            }
        }
        typed.attrs = kept;
        params.push(Param { ident, mode, span });
    }
    params
}

/// `#[attr]`, `#[attr("key")]`, `#[attr(display)]` or `#[attr("key", display)]`.
fn explicit_mode(attribute: &syn::Attribute) -> syn::Result<ParamMode> {
    if matches!(attribute.meta, syn::Meta::Path(_)) {
        return Ok(ParamMode::Explicit {
            key: None,
            display: false,
        });
    }
    attribute.parse_args_with(|input: ParseStream<'_>| {
        let mut key = None;
        let mut display = false;
        if input.peek(LitStr) {
            key = Some(input.parse::<LitStr>()?);
            if input.is_empty() {
                return Ok(ParamMode::Explicit { key, display });
            }
            input.parse::<Token![,]>()?;
        }
        let word: Ident = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "`#[attr]` takes a key and/or `display`: `#[attr(\"key.name\")]`, `#[attr(display)]`, `#[attr(\"key.name\", display)]`",
            )
        })?;
        if word != "display" {
            return Err(syn::Error::new(
                word.span(),
                format!("unknown `#[attr]` argument `{word}`; the only flag is `display`"),
            ));
        }
        display = true;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after `display`"));
        }
        Ok(ParamMode::Explicit { key, display })
    })
}

fn returns_result(output: &syn::ReturnType) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    match &**ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Result"),
        _ => false,
    }
}
