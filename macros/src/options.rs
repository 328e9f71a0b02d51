//! The arguments of `#[traced(..)]`, as typed options. Every mistake found here is
//! collected, so one build reports all of them.

use crate::fields::{BaggageEntries, BaggageEntry, Field, Fields};
use crate::parse::Errors;
use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitBool, LitStr, Token};

/// The options of `#[traced(..)]`.
#[derive(Default)]
pub(crate) struct Options {
    /// The list did not parse (a missing comma): none of its options is known,
    /// and nothing is checked, which would report what was written as missing.
    pub unreadable: bool,
    pub name: Option<LitStr>,
    pub kind: Option<Ident>,
    pub root: Option<Span>,
    pub parent: Option<Expr>,
    /// `link = ..`, in order (the one option that may be repeated).
    pub links: Vec<Expr>,
    pub code: Option<LitBool>,
    pub skip: Vec<Ident>,
    pub skip_all: Option<Span>,
    /// `ret`: record the returned value.
    pub ret: Option<Span>,
    /// `err` (true) or `err = false`: record, or not, a returned `Err`; with the
    /// option's span.
    pub err: Option<(bool, Span)>,
    /// `attrs(key = value, ..)`.
    pub attrs: Vec<Field>,
    /// `crate = path`: where the runtime crate is, when it was renamed.
    pub krate: Option<syn::Path>,
    /// `sample = always | never`.
    pub sample: Option<Ident>,
    /// `metrics`: record `otel_traced.function.duration`.
    pub metrics: Option<Span>,
    /// `baggage(..)`: baggage entries recorded as attributes.
    pub baggage: Vec<BaggageEntry>,
    /// `set_baggage(..)`: entries added to the baggage the body runs with.
    pub set_baggage: Vec<Field>,
    /// The boundary options of `#[traced_rpc]`; `None` under `#[traced]`.
    pub rpc: Option<RpcOptions>,
}

impl Options {
    /// The expressions among the options, which run before the body: `parent`,
    /// `link`, `attrs` and `set_baggage` values, a client's `server`.
    pub(crate) fn expressions(&self) -> impl Iterator<Item = &Expr> {
        let fields = self.attrs.iter().chain(&self.set_baggage);
        self.parent
            .iter()
            .chain(&self.links)
            .chain(fields.map(|field| &field.value))
            .chain(self.rpc.iter().filter_map(|rpc| rpc.server.as_ref()))
    }
}

/// The options only `#[traced_rpc]` takes (DESIGN §4), as written; `check` decides
/// what they mean together.
#[derive(Default)]
pub(crate) struct RpcOptions {
    /// The side flag: `server` or `client`, where it was written.
    pub side: Option<Ident>,
    /// The protocol flag: `grpc`, `http` or `messaging`.
    pub protocol: Option<Ident>,
    /// The messaging operation flag: `create`, `send`, `receive`, `process` or
    /// `settle`.
    pub operation: Option<Ident>,
    /// `system = "kafka"` of a messaging boundary.
    pub system: Option<LitStr>,
    /// `destination = "orders"` of a messaging boundary.
    pub destination: Option<LitStr>,
    /// `operation_name = "ack"` of a messaging boundary: the system's own name of
    /// the operation (`messaging.operation.name`), its type's by default.
    pub operation_name: Option<LitStr>,
    /// `consumer_group = "billing"` of a consumer's messaging boundary:
    /// `messaging.consumer.group.name`.
    pub consumer_group: Option<LitStr>,
    pub service: Option<LitStr>,
    pub method: Option<LitStr>,
    pub route: Option<LitStr>,
    pub template: Option<LitStr>,
    /// `server = "host:port"` (or an expression) on a client or a messaging
    /// boundary (its broker).
    pub server: Option<Expr>,
    /// `carrier = param`.
    pub carrier: Option<Ident>,
    /// `batch = param` of a messaging boundary: the messages of a batch operation.
    pub batch: Option<Ident>,
    /// `batch = return` of a messaging `receive`: the messages it returns.
    pub batch_returned: Option<Span>,
    /// `carrier = return` of a messaging `receive`: the message it returns.
    pub carrier_returned: Option<Span>,
    /// `server` and `client` were both written, or one was miswritten: the
    /// side-specific checks would only repeat that mistake.
    pub side_in_doubt: bool,
    /// Two protocols were written, or one was miswritten.
    pub protocol_in_doubt: bool,
    /// `messaging` was miswritten or written with another protocol: the messaging
    /// options are then no mistake of their own.
    pub messaging_in_doubt: bool,
    /// Two messaging operations were written, or one was miswritten.
    pub operation_in_doubt: bool,
    /// `carrier` or `batch` was miswritten (not `= parameter_name`).
    pub carrier_in_doubt: bool,
    /// `system` was miswritten (not `= "literal"`): a missing system would only
    /// repeat that mistake.
    pub system_in_doubt: bool,
    /// `service = ..` was written, even with a value that was refused.
    pub service_written: bool,
    /// An unknown option was written (perhaps a misspelled `service`).
    pub unknown_written: bool,
}

/// The option names, in the order the error for an unknown one lists them.
const OPTIONS: &[&str] = &[
    "name",
    "kind",
    "root",
    "parent",
    "link",
    "code",
    "skip",
    "skip_all",
    "ret",
    "err",
    "attrs",
    "sample",
    "metrics",
    "baggage",
    "set_baggage",
    "crate",
];

/// The options `#[traced_rpc]` adds.
const RPC_OPTIONS: &[&str] = &[
    "server",
    "client",
    "grpc",
    "http",
    "messaging",
    "service",
    "method",
    "route",
    "template",
    "create",
    "send",
    "receive",
    "process",
    "settle",
    "system",
    "destination",
    "operation_name",
    "consumer_group",
    "carrier",
    "batch",
];

/// The options `#[traced_rpc]` does not take, because the boundary decides them.
const NOT_RPC_OPTIONS: &[(&str, &str)] = &[
    (
        "name",
        "`#[traced_rpc]` names its span by the conventions: from `service`/`method` (gRPC), the request method and `route`/`template` (HTTP), or `operation_name` and `destination` (messaging); remove `name =`",
    ),
    (
        "kind",
        "the span kind of `#[traced_rpc]` follows from the boundary: its side for HTTP and gRPC (write `client` for a client; `server` is the default), its operation for messaging (`send` a PRODUCER, `process` a CONSUMER, ..); remove `kind =`",
    ),
    (
        "metrics",
        "a boundary always records the duration histogram of its conventions (`http.server.request.duration`, `rpc.client.call.duration`, `messaging.process.duration`, ..) when metrics are exported; remove `metrics`",
    ),
];

/// The span kinds `kind = ..` accepts.
const KINDS: &[&str] = &["internal", "server", "client", "producer", "consumer"];

/// Which attribute the options are of.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Macro {
    Traced,
    TracedRpc,
}

impl Macro {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Macro::Traced => "#[traced]",
            Macro::TracedRpc => "#[traced_rpc]",
        }
    }
}

/// Parses the arguments of `#[traced(..)]` or `#[traced_rpc(..)]`, adding what is
/// wrong to `errors`; a list that is not one (a missing comma) is
/// [`Options::unreadable`].
pub(crate) fn parse_options(args: TokenStream, which: Macro, errors: &mut Errors) -> Options {
    let mut options = Options {
        rpc: (which == Macro::TracedRpc).then(RpcOptions::default),
        ..Options::default()
    };
    match syn::parse2::<OptionList>(args) {
        Ok(list) => list.apply_to(&mut options, errors),
        Err(error) => {
            errors.push(error);
            options.unreadable = true;
        }
    }
    options
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
            RawValue::Assigned(ungrouped(input.parse()?))
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
    fn apply_to(self, options: &mut Options, errors: &mut Errors) {
        let mut seen: Vec<String> = Vec::new();
        for raw in self.0 {
            let key = raw.key.to_string();
            // Under `#[traced_rpc]`, the side flag `server` and a client's `server =
            // ".."` are two options that share a name.
            let seen_as = match (&raw.value, options.rpc.is_some()) {
                (RawValue::Assigned(_), true) if key == "server" => "server =".to_owned(),
                _ => key.clone(),
            };
            if seen.contains(&seen_as) && key != "link" {
                let keep = match &raw.value {
                    RawValue::List(_) => format!("merge them into one `{key}(..)`"),
                    _ => "keep one".to_owned(),
                };
                errors.push(syn::Error::new(
                    raw.key.span(),
                    format!("option `{key}` is given twice; {keep}"),
                ));
                continue;
            }
            seen.push(seen_as);
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
    }
}

impl Options {
    fn apply(&mut self, key: &str, raw: RawOption) -> syn::Result<()> {
        if let Some(rpc) = &mut self.rpc {
            if let Some((_, why)) = NOT_RPC_OPTIONS.iter().find(|(name, _)| *name == key) {
                return Err(syn::Error::new(raw.key.span(), why));
            }
            if RPC_OPTIONS.contains(&key) {
                return rpc.apply(key, raw);
            }
        }
        let RawOption { key: ident, value } = raw;
        match (key, value) {
            ("name", RawValue::Assigned(expr)) => self.name = Some(string_literal(expr)?),
            ("kind", RawValue::Assigned(expr)) => self.kind = Some(kind(expr)?),
            ("root", RawValue::Flag) => self.root = Some(ident.span()),
            ("parent", RawValue::Assigned(expr)) if names_none(&expr) => {
                return Err(syn::Error::new_spanned(
                    expr,
                    "a span without a parent is written `root` here (`parent = None` is `#[tracing::instrument]`'s)",
                ));
            }
            ("parent", RawValue::Assigned(expr)) => self.parent = Some(expr),
            ("link", RawValue::Assigned(expr)) => self.links.push(expr),
            ("code", RawValue::Assigned(expr)) => self.code = Some(bool_literal(expr)?),
            ("skip", RawValue::List(tokens)) => {
                // `self` too, as `tracing` users write it: never recorded anyway.
                let names = syn::parse::Parser::parse2(
                    |input: ParseStream<'_>| {
                        Punctuated::<Ident, Token![,]>::parse_terminated_with(
                            input,
                            Ident::parse_any,
                        )
                    },
                    tokens,
                )?;
                // Compared without `r#`: `skip(type)` and `skip(r#type)` both
                // name a parameter `r#type`.
                self.skip = names.into_iter().map(|name| name.unraw()).collect();
            }
            ("skip_all", RawValue::Flag) => self.skip_all = Some(ident.span()),
            ("ret", RawValue::Flag) => self.ret = Some(ident.span()),
            ("err", RawValue::Flag) => self.err = Some((true, ident.span())),
            ("err", RawValue::Assigned(expr)) => {
                self.err = Some((bool_literal(expr)?.value, ident.span()));
            }
            ("attrs", RawValue::List(tokens)) => self.attrs = syn::parse2::<Fields>(tokens)?.0,
            ("crate", RawValue::Assigned(expr)) => self.krate = Some(path(expr)?),
            ("sample", RawValue::Assigned(expr)) => self.sample = Some(sample(expr)?),
            ("metrics", RawValue::Flag) => self.metrics = Some(ident.span()),
            ("baggage", RawValue::List(tokens)) => {
                self.baggage = syn::parse2::<BaggageEntries>(tokens)?.0;
            }
            ("set_baggage", RawValue::List(tokens)) => {
                self.set_baggage = syn::parse2::<Fields>(tokens)?.0;
            }
            // `err(Debug)`, `ret(Display)`, `err(level = "warn")`.
            (outcome @ ("err" | "ret"), RawValue::List(_)) => {
                let here = if outcome == "err" {
                    "`err` (or `err = false`): an error is recorded by its `Display` (its `Debug` where it has none) with its `source()` chain"
                } else {
                    "`ret`: the value is recorded by its type, as `#[attr]` records a parameter"
                };
                return Err(syn::Error::new(
                    ident.span(),
                    format!("`{outcome}(..)` is `#[tracing::instrument]`'s; here it is {here}"),
                ));
            }
            (known, _) if OPTIONS.contains(&known) => {
                return Err(syn::Error::new(ident.span(), usage(known)));
            }
            (unknown, _) => {
                let accepted = match &mut self.rpc {
                    Some(rpc) => {
                        rpc.unknown_written = true;
                        let traced = OPTIONS.iter().filter(|option| {
                            !NOT_RPC_OPTIONS.iter().any(|(name, _)| name == *option)
                        });
                        let all: Vec<&str> = RPC_OPTIONS.iter().chain(traced).copied().collect();
                        format!("`#[traced_rpc]` accepts: {}", all.join(", "))
                    }
                    None => format!("`#[traced]` accepts: {}", OPTIONS.join(", ")),
                };
                let message = match instrument_spelling(unknown) {
                    Some(here) => format!("`{unknown}` is `#[tracing::instrument]`'s; {here}"),
                    None if self.rpc.is_none() && RPC_OPTIONS.contains(&unknown) => format!(
                        "`{unknown}` is an option of `#[traced_rpc]`, which marks a gRPC, HTTP or messaging boundary: write `#[traced_rpc(..)]` in place of `#[traced(..)]`"
                    ),
                    None => format!("unknown option `{unknown}`; {accepted}"),
                };
                return Err(syn::Error::new(ident.span(), message));
            }
        }
        Ok(())
    }
}

/// Whether `expr` is `None` as written, `#[tracing::instrument]`'s `parent = None`.
fn names_none(expr: &Expr) -> bool {
    matches!(expr, Expr::Path(path) if path.qself.is_none() && path.path.is_ident("None"))
}

/// What an option of `#[tracing::instrument]` that `#[traced]` does not have is
/// here, for code moving from one to the other.
fn instrument_spelling(option: &str) -> Option<&'static str> {
    Some(match option {
        "fields" => {
            "here it is `attrs(key = value, ..)`, with the same `%display` and `?debug` forms"
        }
        "level" => {
            "an OpenTelemetry span has no level: remove it (the sampler decides which calls are recorded; `sample = never` leaves this one out, with all it calls)"
        }
        "target" => {
            "an OpenTelemetry span has no target: remove it (the span's `code.*` attributes say where the function is)"
        }
        "follows_from" => {
            "here it is `link = ..`, a `SpanContext` or a `&Context`, once for each span linked"
        }
        _ => return None,
    })
}

impl RpcOptions {
    fn apply(&mut self, key: &str, raw: RawOption) -> syn::Result<()> {
        let RawOption { key: ident, value } = raw;
        let flag = |slot: &mut Option<Ident>, conflict: &mut bool, what: &str| match slot {
            Some(first) => {
                *conflict = true;
                Err(syn::Error::new(
                    ident.span(),
                    format!(
                        "`{first}` and `{ident}` exclude each other: a boundary has one {what}; keep `{first}` or `{ident}`"
                    ),
                ))
            }
            None => {
                *slot = Some(ident.clone());
                Ok(())
            }
        };
        match (key, value) {
            ("server" | "client", RawValue::Flag) => {
                flag(&mut self.side, &mut self.side_in_doubt, "side")?;
            }
            ("grpc" | "http" | "messaging", RawValue::Flag) => {
                let messaging_among = key == "messaging"
                    || self
                        .protocol
                        .as_ref()
                        .is_some_and(|first| first == "messaging");
                if let Err(conflict) =
                    flag(&mut self.protocol, &mut self.protocol_in_doubt, "protocol")
                {
                    self.messaging_in_doubt |= messaging_among;
                    return Err(conflict);
                }
            }
            ("create" | "send" | "receive" | "process" | "settle", RawValue::Flag) => {
                flag(
                    &mut self.operation,
                    &mut self.operation_in_doubt,
                    "messaging operation",
                )?;
            }
            ("system", RawValue::Assigned(expr)) => match literal(expr, key) {
                Ok(system) => self.system = Some(system),
                Err(not_literal) => {
                    self.system_in_doubt = true;
                    return Err(not_literal);
                }
            },
            ("destination", RawValue::Assigned(expr)) => {
                self.destination = Some(literal(expr, key)?);
            }
            ("operation_name", RawValue::Assigned(expr)) => {
                self.operation_name = Some(literal(expr, key)?);
            }
            ("consumer_group", RawValue::Assigned(expr)) => {
                self.consumer_group = Some(literal(expr, key)?);
            }
            ("service", value) => {
                self.service_written = true;
                match value {
                    RawValue::Assigned(expr) => self.service = Some(literal(expr, key)?),
                    _ => return Err(syn::Error::new(ident.span(), rpc_usage(key))),
                }
            }
            ("method", RawValue::Assigned(expr)) => self.method = Some(literal(expr, key)?),
            ("route", RawValue::Assigned(expr)) => self.route = Some(literal(expr, key)?),
            ("template", RawValue::Assigned(expr)) => self.template = Some(literal(expr, key)?),
            ("server", RawValue::Assigned(expr)) => self.server = Some(expr),
            ("carrier", RawValue::Assigned(Expr::Path(path)))
                if path.path.get_ident().is_some() =>
            {
                self.carrier = path.path.get_ident().cloned();
            }
            ("batch", RawValue::Assigned(Expr::Path(path))) if path.path.get_ident().is_some() => {
                self.batch = path.path.get_ident().cloned();
            }
            ("batch", RawValue::Assigned(Expr::Return(returned))) if returned.expr.is_none() => {
                self.batch_returned = Some(returned.return_token.span);
            }
            ("carrier", RawValue::Assigned(Expr::Return(returned))) if returned.expr.is_none() => {
                self.carrier_returned = Some(returned.return_token.span);
            }
            (known, _) => {
                match known {
                    "server" | "client" => self.side_in_doubt = true,
                    "grpc" | "http" => self.protocol_in_doubt = true,
                    "messaging" => {
                        self.protocol_in_doubt = true;
                        self.messaging_in_doubt = true;
                    }
                    "create" | "send" | "receive" | "process" | "settle" => {
                        self.operation_in_doubt = true;
                    }
                    "carrier" | "batch" => self.carrier_in_doubt = true,
                    "system" => self.system_in_doubt = true,
                    _ => {}
                }
                return Err(syn::Error::new(ident.span(), rpc_usage(known)));
            }
        }
        Ok(())
    }
}

/// How a `#[traced_rpc]` option is written, for one written the wrong way.
fn rpc_usage(option: &str) -> String {
    let form = match option {
        "server" => {
            "server` (the side), or on a client or messaging boundary `server = \"host:port\""
        }
        "client" => "client",
        "grpc" => "grpc",
        "http" => "http",
        "service" => "service = \"package.Service\"",
        "method" => "method = \"Method\"",
        "route" => "route = \"/users/{id}\"",
        "template" => "template = \"/users/{id}\"",
        "messaging" => "messaging",
        "create" | "send" | "receive" | "process" | "settle" => option,
        "system" => "system = \"kafka\"",
        "destination" => "destination = \"orders\"",
        "operation_name" => "operation_name = \"ack\"",
        "consumer_group" => "consumer_group = \"billing\"",
        "batch" => "batch = parameter_name` or, on a `receive`, `batch = return",
        _ => "carrier = parameter_name` or, on a `receive`, `carrier = return",
    };
    format!("`{option}` is written `{form}`")
}

/// A string literal option of `#[traced_rpc]`: known at compile time, so checked.
fn literal(expr: Expr, option: &str) -> syn::Result<LitStr> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(literal),
            ..
        }) => Ok(literal),
        other => {
            let why = match option {
                "system" => "a boundary's system is known when compiling and checked then",
                "consumer_group" => {
                    "the consumer group is fixed where the consumer joins it, known when compiling and checked then"
                }
                "route" | "template" => {
                    "it names the span, whose name is of low cardinality and checked at compile time; record a value of the request's with `attrs(..)`"
                }
                "destination" => {
                    "it names the span, whose name is of low cardinality and checked at compile time; for a destination known only at run time, leave `destination` out and record it with `attrs(messaging.destination.name = ..)`"
                }
                _ => "it names the operation and is checked at compile time",
            };
            Err(syn::Error::new_spanned(
                other,
                format!("`{option}` takes a string literal: {why}"),
            ))
        }
    }
}

/// How a known option is written, for an option written the wrong way.
fn usage(option: &str) -> String {
    let form = match option {
        "name" => "name = \"span name\"",
        "kind" => "kind = server (or internal, client, producer, consumer)",
        "root" => "root",
        "parent" => "parent = <a &Context or a SpanContext>",
        "link" => "link = <a SpanContext or a &Context>",
        "code" => "code = false",
        "skip" => "skip(param, ..)",
        "skip_all" => "skip_all",
        "ret" => "ret",
        "err" => "err` or `err = false",
        "attrs" => "attrs(key.name = value, other = %display, debugged = ?value)",
        "sample" => "sample = always` or `sample = never",
        "metrics" => "metrics",
        "baggage" => "baggage(user.id, \"user-id\" => user.id)",
        "set_baggage" => "set_baggage(user.id = id)",
        _ => "crate = path::to::otel_traced",
    };
    format!("`{option}` is written `{form}`")
}

/// `expr` without the invisible groups `macro_rules!` wraps its fragments in
/// (`name = $name` where `$name:literal` or `$name:expr`): the literal or path the
/// user wrote, as the matchers below take it.
pub(crate) fn ungrouped(expr: Expr) -> Expr {
    match expr {
        Expr::Group(group) => ungrouped(*group.expr),
        other => other,
    }
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
        _ if quoted_word(&expr).is_some_and(|word| KINDS.contains(&word.as_str())) => {
            Err(syn::Error::new_spanned(
                expr,
                "a span kind is written without quotes: `kind = server`",
            ))
        }
        _ => Err(syn::Error::new_spanned(
            expr,
            format!("unknown span kind; expected one of: {}", KINDS.join(", ")),
        )),
    }
}

/// The text of a string literal, for an option that takes a word
/// (`kind = "server"` for `kind = server`).
fn quoted_word(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(literal),
            ..
        }) => Some(literal.value()),
        _ => None,
    }
}

fn sample(expr: Expr) -> syn::Result<Ident> {
    if let Expr::Path(path) = &expr
        && let Some(ident) = path.path.get_ident()
        && (ident == "always" || ident == "never")
    {
        return Ok(ident.clone());
    }
    let unquote = match quoted_word(&expr).as_deref() {
        Some("always" | "never") => ", written without quotes",
        _ => "",
    };
    Err(syn::Error::new_spanned(
        expr,
        format!(
            "`sample` is `always` (record this span whatever the sampler says) or `never`{unquote}"
        ),
    ))
}

fn path(expr: Expr) -> syn::Result<syn::Path> {
    match expr {
        Expr::Path(path) if path.qself.is_none() => Ok(path.path),
        other => Err(syn::Error::new_spanned(
            other,
            "expected the path of the renamed `otel-traced` crate, such as `crate = tracing_support::otel`",
        )),
    }
}
