//! The boundary of `#[traced_rpc]` (DESIGN §4): side, protocol, the names the
//! conventions build from `service`/`method` or `route`/`template`, and the
//! carrier parameter. Every mistake is reported at its token.

use super::messaging::{Operation, check_messaging, messaging_name};
use super::naming::{MAX_NAME_BYTES, NameKind, check_name};
use crate::options::RpcOptions;
use crate::parse::{Errors, Param, TracedFn};
use proc_macro2::Span;
use syn::{Expr, Ident, LitStr, Type};

/// Which end of the boundary the function is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Server,
    Client,
}

/// The protocol and the names the span is given.
pub(crate) enum Protocol {
    /// `pkg.Service/Method`: the span name and `rpc.method`.
    Grpc { method: String },
    Http {
        route: Option<String>,
        template: Option<String>,
    },
    /// `{operation_name} {destination}`: the span name; the system, the
    /// operation's name and the destination become attributes.
    Messaging {
        operation: Operation,
        /// `messaging.operation.name`: the option's, or the operation type's.
        operation_name: String,
        system: String,
        destination: Option<String>,
        /// `messaging.consumer.group.name`, of a consumer's operation.
        consumer_group: Option<String>,
    },
}

/// How the expansion reaches the carrier parameter.
pub(crate) enum Access {
    /// `&T`: read only, enough for a server.
    Shared,
    /// `&mut T`.
    Exclusive,
    /// Owned (bound again `mut` to be written into).
    Owned,
}

/// The carrier parameter.
pub(crate) struct Carrier {
    pub ident: Ident,
    pub access: Access,
    /// `batch = ..`: the parameter holds the messages of a batch, each with its
    /// headers, rather than one message's headers.
    pub batch: bool,
}

/// What a messaging `receive` takes from what it returns.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returned {
    /// `batch = return`: the messages of a batch.
    Messages,
    /// `carrier = return`: one message.
    Message,
}

/// What `#[traced_rpc]` expands to, beside what `#[traced]` does.
pub(crate) struct Boundary {
    pub side: Side,
    pub protocol: Protocol,
    /// Always there for gRPC and HTTP; optional for a messaging `receive` or
    /// `settle`, which only link to the message's creation context.
    pub carrier: Option<Carrier>,
    /// `server = ..`: the server a client calls, or a messaging boundary's broker.
    pub server: Option<Expr>,
    /// `batch = return` or `carrier = return`: a messaging `receive` links to
    /// the messages it returns.
    pub returns: Option<Returned>,
}

impl Boundary {
    /// The span kind: the side, or for messaging what the operation does (a `send`
    /// whose message already has a creation context is CLIENT instead, decided at
    /// the call).
    pub(crate) fn span_kind(&self) -> &'static str {
        match (&self.protocol, self.side) {
            (Protocol::Messaging { operation, .. }, _) if operation.produces() => "Producer",
            (Protocol::Messaging { operation, .. }, _) if *operation == Operation::Process => {
                "Consumer"
            }
            (_, Side::Server) => "Server",
            (_, Side::Client) => "Client",
        }
    }

    /// The span name the call site records (a gRPC span's name; an HTTP span's is
    /// completed with the method at run time).
    pub(crate) fn static_name(&self) -> String {
        match &self.protocol {
            Protocol::Grpc { method } => method.clone(),
            Protocol::Http { route, template } => route
                .as_ref()
                .or(template.as_ref())
                .cloned()
                .unwrap_or_else(|| "HTTP".to_owned()),
            Protocol::Messaging {
                operation_name,
                destination,
                ..
            } => messaging_name(operation_name, destination.as_deref()),
        }
    }
}

/// The messaging options written on a gRPC or HTTP boundary, each an error.
fn messaging_options_elsewhere(rpc: &RpcOptions, errors: &mut Errors) {
    if let Some(operation) = &rpc.operation {
        errors.push(syn::Error::new(
            operation.span(),
            format!("`{operation}` is a messaging operation: add `messaging` (and `system = \"..\"`) for a messaging boundary, or remove it"),
        ));
    }
    for (literal, option) in [
        (&rpc.system, "system"),
        (&rpc.destination, "destination"),
        (&rpc.operation_name, "operation_name"),
        (&rpc.consumer_group, "consumer_group"),
    ] {
        if let Some(literal) = literal {
            errors.push(syn::Error::new(
                literal.span(),
                format!("`{option}` is only for messaging boundaries (`messaging`)"),
            ));
        }
    }
    if let Some(batch) = rpc.batch.as_ref().map(Ident::span).or(rpc.batch_returned) {
        errors.push(syn::Error::new(
            batch,
            "`batch = ..` is only for messaging boundaries; a gRPC or HTTP request is named with `carrier = ..`",
        ));
    }
    if let Some(returned) = rpc.carrier_returned {
        errors.push(syn::Error::new(
            returned,
            "`carrier = return` is only for a messaging `receive`; a gRPC or HTTP request is named with `carrier = parameter_name`",
        ));
    }
}

/// Checks the boundary options; `None` when a mistake leaves no boundary to expand
/// (the errors say why).
pub(crate) fn check_boundary(
    traced: &TracedFn,
    rpc: &RpcOptions,
    errors: &mut Errors,
) -> Option<Boundary> {
    if !rpc.protocol_in_doubt
        && let Some(messaging) = rpc.protocol.as_ref().filter(|flag| *flag == "messaging")
    {
        return check_messaging(traced, rpc, messaging, errors);
    }
    // A messaging boundary written beside a protocol in doubt: its options are
    // no mistake of their own.
    let messaging_written = rpc.messaging_in_doubt
        || rpc
            .protocol
            .as_ref()
            .is_some_and(|flag| flag == "messaging");
    if !messaging_written {
        messaging_options_elsewhere(rpc, errors);
    }
    let side = match &rpc.side {
        Some(flag) if flag == "client" => Side::Client,
        _ => Side::Server,
    };
    let http = rpc.protocol.as_ref().is_some_and(|flag| flag == "http");
    let misplaced = |literal: &Option<LitStr>, option: &str, only: &str, errors: &mut Errors| {
        if let Some(literal) = literal {
            errors.push(syn::Error::new(
                literal.span(),
                format!("`{option}` is only for {only}"),
            ));
        }
    };
    // After `grpc, http` (or `server, client`), or a miswritten flag, the checks
    // that depend on the protocol (or the side) would only repeat that mistake.
    let protocol_known = !rpc.protocol_in_doubt;
    let side_known = !rpc.side_in_doubt;
    if protocol_known && http {
        misplaced(
            &rpc.service,
            "service",
            "gRPC: HTTP spans are named by `route` (server) or `template` (client)",
            errors,
        );
        misplaced(
            &rpc.method,
            "method",
            "gRPC: an HTTP method comes from the request",
            errors,
        );
    } else if protocol_known {
        misplaced(&rpc.route, "route", "HTTP servers (`http`)", errors);
        misplaced(
            &rpc.template,
            "template",
            "HTTP clients (`client, http`)",
            errors,
        );
    }
    match side {
        _ if !side_known => {}
        Side::Server => {
            if http && protocol_known {
                misplaced(
                    &rpc.template,
                    "template",
                    "HTTP clients (`client, http`); a server names its route with `route`",
                    errors,
                );
            }
            if let Some(server) = &rpc.server {
                errors.push(syn::Error::new_spanned(
                    server,
                    "`server = ..` names the server a client calls; it is only for `client`",
                ));
            }
            let options = &traced.options;
            if let Some(parent) = &options.parent {
                errors.push(syn::Error::new_spanned(
                    parent,
                    "a server's parent is the context extracted from its request; `parent` is only for clients",
                ));
            }
        }
        Side::Client => {
            if http && protocol_known {
                misplaced(
                    &rpc.route,
                    "route",
                    "HTTP servers; a client names its URL template with `template`",
                    errors,
                );
            }
        }
    }
    check_server(rpc, Server::Called, errors);
    let protocol = if !protocol_known {
        None
    } else if http {
        if let Some(route) = &rpc.route {
            check_path_template(route, Template::Route, errors);
        }
        if let Some(template) = &rpc.template {
            check_path_template(template, Template::Url, errors);
        }
        Some(Protocol::Http {
            route: rpc.route.as_ref().map(LitStr::value),
            template: rpc.template.as_ref().map(LitStr::value),
        })
    } else {
        grpc_method(traced, rpc, errors)
    };
    // `carrier = return`, refused already, names no carrier to look for; nor does
    // a `carrier` written wrong (said already), nor a messaging boundary in doubt
    // (it would be looked for as a request).
    if rpc.carrier_returned.is_some() || rpc.carrier_in_doubt || rpc.messaging_in_doubt {
        return None;
    }
    let carrier = carrier(
        traced,
        rpc.carrier.as_ref(),
        side_known.then_some(side),
        false,
        errors,
    )?;
    Some(Boundary {
        side,
        protocol: protocol?,
        carrier: Some(carrier),
        server: rpc.server.clone(),
        returns: None,
    })
}

/// `service/method`, checked: the service is required, dotted identifiers; the
/// method an identifier, by default the function's name in UpperCamelCase.
fn grpc_method(traced: &TracedFn, rpc: &RpcOptions, errors: &mut Errors) -> Option<Protocol> {
    let Some(service) = &rpc.service else {
        // A refused `service = ..` or an unknown (perhaps misspelled) option was
        // reported already.
        // Nor is it missing when messaging options say the boundary was meant
        // to be one (reported too).
        let meant_messaging = rpc.operation.is_some() || rpc.system.is_some();
        if !rpc.service_written && !rpc.unknown_written && !meant_messaging {
            let at = rpc
                .protocol
                .as_ref()
                .map_or_else(Span::call_site, Ident::span);
            errors.push(syn::Error::new(
                at,
                "a gRPC boundary needs its service: add `service = \"package.Service\"` (as in the .proto file), or `http` for an HTTP boundary",
            ));
        }
        return None;
    };
    let name = service.value();
    if name.is_empty() {
        errors.push(syn::Error::new(
            service.span(),
            "the gRPC service name is empty: write the package then the service, as in the .proto file, such as `shop.v1.Inventory`",
        ));
        return None;
    }
    if !name.split('.').all(is_identifier) {
        errors.push(syn::Error::new(
            service.span(),
            format!("`{name}` is not a gRPC service name: dot-separated identifiers, the package then the service, such as `shop.v1.Inventory`"),
        ));
        return None;
    }
    let method = match &rpc.method {
        Some(method) => {
            let value = method.value();
            if value.is_empty() {
                errors.push(syn::Error::new(
                    method.span(),
                    "the gRPC method name is empty: write it as in the .proto file, such as `Reserve`, or remove `method =` to use the function's name in UpperCamelCase",
                ));
                return None;
            }
            if !is_identifier(&value) {
                errors.push(syn::Error::new(
                    method.span(),
                    format!("`{value}` is not a gRPC method name: an identifier such as `Reserve`, as in the .proto file"),
                ));
                return None;
            }
            value
        }
        None => {
            let function = &traced.function.sig.ident;
            let method = upper_camel_case(function);
            // A function named in other letters (`réserver`) or of underscores
            // alone names no method a .proto file can declare.
            if !is_identifier(&method) {
                let made = if method.is_empty() {
                    "an empty gRPC method name".to_owned()
                } else {
                    format!(
                        "the gRPC method name `{method}`, which is no identifier a .proto file declares"
                    )
                };
                errors.push(syn::Error::new(
                    function.span(),
                    format!("the function's name makes {made}: name the method with `method = \"..\"`, as in the .proto file"),
                ));
                return None;
            }
            method
        }
    };
    let full = format!("{name}/{method}");
    // Service and method are identifiers, so the span name can only break the
    // span-name rules by its length: pointed at the longer of the two names (the
    // function's, when it names the method).
    if full.len() > MAX_NAME_BYTES {
        let (at, which) = if method.len() <= name.len() {
            (service.span(), "service")
        } else if let Some(written) = &rpc.method {
            (written.span(), "method")
        } else {
            (traced.function.sig.ident.span(), "method (the function's)")
        };
        errors.push(syn::Error::new(
            at,
            format!(
                "the span name `{full}` is {} bytes long; the limit is {MAX_NAME_BYTES}: shorten the {which} name",
                full.len()
            ),
        ));
        return None;
    }
    check_name(
        &LitStr::new(&full, service.span()),
        NameKind::BoundarySpan,
        errors,
    );
    Some(Protocol::Grpc { method: full })
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `reserve_stock` → `ReserveStock`, the usual .proto spelling of a method.
fn upper_camel_case(ident: &Ident) -> String {
    let name = syn::ext::IdentExt::unraw(ident).to_string();
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// What a path template is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Template {
    /// A server's route (`http.route`): a path.
    Route,
    /// A client's URL template (`url.template`): an absolute path reference, a
    /// query in it too (`/users?id={id}`, the registry's own example).
    Url,
}

/// A route or URL template: an absolute path whose variable parts are `{name}`
/// (or `{*name}` for the rest of the path, `{name:pattern}` with the pattern it
/// matches, as Actix writes them), no fragment, a query only in a URL template,
/// low cardinality by construction, short enough to name a span after its method.
fn check_path_template(path: &LitStr, template: Template, errors: &mut Errors) {
    // `CONNECT ` and `OPTIONS `, the longest of HTTP's methods, before it.
    const LONGEST_METHOD: usize = "CONNECT ".len();
    let value = path.value();
    let problem = if value.len() + LONGEST_METHOD > MAX_NAME_BYTES {
        Some(format!(
            "it is {} bytes long, and after its method it names the span: the limit is {} bytes",
            value.len(),
            MAX_NAME_BYTES - LONGEST_METHOD
        ))
    } else if !value.starts_with('/') {
        Some("it must start with `/`".to_owned())
    } else {
        // What the variables' patterns hold is theirs (`{ver:v?\d+}`).
        match outside_variables(&value) {
            Err(problem) => Some(problem),
            Ok(outside) if template == Template::Route && outside.contains('?') => {
                Some("a query (`?..`) is not part of a route".to_owned())
            }
            Ok(outside) if outside.contains('#') => {
                Some("a fragment (`#..`) is not part of it".to_owned())
            }
            Ok(outside)
                if outside.chars().any(char::is_whitespace)
                    || value.chars().any(char::is_control) =>
            {
                Some("it contains whitespace or a control character".to_owned())
            }
            Ok(_) => None,
        }
    };
    if let Some(problem) = problem {
        errors.push(syn::Error::new(
            path.span(),
            format!("`{value}` is not a path template: {problem} (a template is an absolute path whose variable parts are `{{name}}`, such as `/users/{{id}}`, `/files/{{*path}}` or `/users/{{id:\\d+}}`)"),
        ));
    }
}

/// The template with each `{..}` variable written `{}`, or what is wrong with one.
/// A `{{` or `}}` is a brace of the path itself, as axum's router (matchit) reads it.
fn outside_variables(template: &str) -> Result<String, String> {
    let mut outside = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        outside.push_str(&rest[..open]);
        if let Some(escaped) = ["{{", "}}"]
            .into_iter()
            .find(|brace| rest[open..].starts_with(brace))
        {
            outside.push_str(&escaped[1..]);
            rest = &rest[open + 2..];
            continue;
        }
        if rest[open..].starts_with('}') {
            return Err("a `}` closes nothing".to_owned());
        }
        outside.push_str("{}");
        let after = &rest[open + 1..];
        // The variable's own `}`, past those of its pattern (`{id:\d{3}}`).
        let mut depth = 0_usize;
        let close = after.char_indices().find_map(|(at, c)| match c {
            '{' => {
                depth += 1;
                None
            }
            '}' if depth == 0 => Some(at),
            '}' => {
                depth -= 1;
                None
            }
            _ => None,
        });
        let Some(close) = close else {
            return Err("a `{` is not closed".to_owned());
        };
        let variable = &after[..close];
        let name = match variable.split_once(':') {
            Some((name, pattern)) if !pattern.is_empty() => name,
            Some(_) => variable,
            None => (variable.strip_prefix("**"))
                .or_else(|| variable.strip_prefix('*'))
                .unwrap_or(variable),
        };
        // Any name a router takes (`{user-id}`, `{item.id}`, as OpenAPI writes
        // them too; salvo's rest of the path `{**path}`, and its unnamed `{*}` and
        // `{**}`), but none, or one holding what ends a path segment or a
        // variable.
        let unnamed_wildcard = matches!(variable, "*" | "**");
        let names_a_variable = unnamed_wildcard
            || (!name.is_empty()
                && !name.contains(['/', '{', '}', '*', ':'])
                && !name.contains(char::is_whitespace));
        if !names_a_variable {
            return Err(format!("`{{{variable}}}` does not name a variable"));
        }
        rest = &after[close + 1..];
    }
    outside.push_str(rest);
    Ok(outside)
}

/// What a `server = ..` names.
#[derive(Clone, Copy)]
pub(super) enum Server {
    /// The server a gRPC or HTTP client calls.
    Called,
    /// The broker a messaging call talks to.
    Broker,
}

/// `server = ..` written as a literal must name a server as the runtime reads it
/// (`rpc/open.rs`). A server a client calls: `host:port`, a URL naming it
/// (`http://inventory:50051`, as tonic endpoints are written; its scheme implies
/// the port when none is written), or a gRPC target name naming one
/// (`dns:///inventory:50051`, `unix:///run/inventory.sock`). A broker:
/// `host:port` or a URL of any scheme (`amqp://rabbit/orders`), or a list of them
/// (Kafka's `bootstrap.servers`), of which the first is recorded.
pub(super) fn check_server(rpc: &RpcOptions, named: Server, errors: &mut Errors) {
    let Some(Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(server),
        ..
    })) = &rpc.server
    else {
        return;
    };
    let value = server.value();
    let valid = match named {
        Server::Called => match grpc_target_name(&value) {
            Some(TargetName::Socket(path)) => {
                if path.is_empty() {
                    errors.push(syn::Error::new(
                        server.span(),
                        format!("`{value}` names no socket: write its path, such as `unix:///run/inventory.sock`"),
                    ));
                }
                return;
            }
            // Its host and port as any server's, the port left to the resolver; an
            // IPv6 address without one may go without brackets (`ipv6:::1`), as
            // gRPC's naming has it and the runtime reads it.
            Some(TargetName::Host(name)) => {
                is_host_port(name, true) || name.parse::<std::net::Ipv6Addr>().is_ok()
            }
            None => match value.split_once("://") {
                Some((scheme, rest))
                    if scheme.eq_ignore_ascii_case("http")
                        || scheme.eq_ignore_ascii_case("https") =>
                {
                    is_host_port(url_authority(rest), true)
                }
                _ => is_host_port(&value, false),
            },
        },
        // The first of a list, which the runtime records, read as it reads it: a
        // URL starting the text before its list (a password may hold a comma),
        // else each member a URL or not, empty members skipped.
        Server::Broker => {
            let written = value.trim();
            let url_first = match (written.find("://"), written.find(',')) {
                (Some(scheme_end), Some(comma)) => scheme_end < comma,
                (scheme_end, None) => scheme_end.is_some(),
                (None, Some(_)) => false,
            };
            let hosts = match written.split_once("://") {
                Some((_, rest)) if url_first => url_authority(rest),
                _ => written,
            };
            // A port where the broker's client implies it may go unwritten
            // (`nats`, an SQS endpoint), as the runtime reads it: `server.port`
            // is then not recorded.
            hosts
                .split(',')
                .map(str::trim)
                .find(|member| !member.is_empty())
                .is_some_and(|first| match first.split_once("://") {
                    Some((_, rest)) => is_host_port(url_authority(rest), true),
                    None => is_host_port(without_user(first), true),
                })
        }
    };
    if !valid {
        let examples = match named {
            Server::Called => {
                "the server a client calls, such as `inventory:50051`, `[::1]:50051`, `https://inventory` or `dns:///inventory:50051`"
            }
            Server::Broker => {
                "the broker a messaging call talks to, such as `kafka-1:9092`, `kafka-1:9092,kafka-2:9092` or `amqp://rabbit/orders`"
            }
        };
        errors.push(syn::Error::new(
            server.span(),
            format!("`{value}` is not `host:port`: {examples}"),
        ));
    }
}

/// The authority of a URL after its `scheme://`, without user information.
fn url_authority(rest: &str) -> &str {
    without_user(rest.split(['/', '?', '#']).next().unwrap_or(rest))
}

fn without_user(authority: &str) -> &str {
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

/// Whether `authority` is `host:port`, `[v6]:port`, or without the port when
/// `port_optional` (a URL's scheme implies one, an empty one too: RFC 3986
/// §6.2.3, as the runtime reads it).
fn is_host_port(authority: &str, port_optional: bool) -> bool {
    let (host, port, bracketed) = match authority.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((host, "")) => (host, None, true),
            // `[::1]50051` has no port: `]` is followed by `:` or nothing.
            Some((host, after)) => match after.strip_prefix(':') {
                Some(port) => (host, Some(port), true),
                None => return false,
            },
            None => return false,
        },
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port), false),
            None => (authority, None, false),
        },
    };
    let port = port.filter(|port| !(port_optional && port.is_empty()));
    // Out of brackets, a host holding `:` is an IPv6 address: `fe80::1:50051`
    // reads as well as the address `fe80::1:50051` as `fe80::1` port 50051.
    !host.is_empty()
        && !host.contains(|c: char| c.is_whitespace() || c == '/' || (c == ':' && !bracketed))
        && port.map_or(port_optional, |port| {
            // Digits only, as the runtime reads a port (`u16`'s parser takes a `+`).
            port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok()
        })
}

/// What a gRPC target name names.
enum TargetName<'a> {
    /// `host[:port]`.
    Host(&'a str),
    /// A socket's path or name.
    Socket(&'a str),
}

/// What the gRPC target name `value` names (gRPC's naming document), read as the
/// runtime reads it (`rpc/open.rs`, `grpc_target`): `dns:[//resolver/]host[:port]`,
/// as `passthrough:` and `xds:` name theirs; the first address of `ipv4:` and
/// `ipv6:`; the socket of `unix:path`, `unix:///path` and `unix-abstract:name`.
/// `None` when `value` is none: a host named like a scheme with its port
/// (`dns:53`) is `host:port`.
fn grpc_target_name(value: &str) -> Option<TargetName<'_>> {
    let (scheme, rest) = value.split_once(':')?;
    if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let is = |known: &str| scheme.eq_ignore_ascii_case(known);
    Some(if is("dns") || is("passthrough") || is("xds") {
        TargetName::Host(match rest.strip_prefix("//") {
            Some(with_resolver) => with_resolver.split_once('/').map_or("", |(_, name)| name),
            None => rest,
        })
    } else if is("ipv4") || is("ipv6") {
        TargetName::Host(rest.split(',').next().unwrap_or(rest))
    } else if is("unix") || is("unix-abstract") {
        TargetName::Socket(rest.strip_prefix("//").unwrap_or(rest))
    } else {
        return None;
    })
}

/// The carrier: `carrier = param`, or the one parameter whose type is written as
/// a request, a request's head (`Parts`, a server's only), a header map or gRPC
/// metadata. `side` is `None` when it is in doubt (`server, client`, or a
/// miswritten flag), which was reported.
pub(super) fn carrier(
    traced: &TracedFn,
    named: Option<&Ident>,
    side: Option<Side>,
    batch: bool,
    errors: &mut Errors,
) -> Option<Carrier> {
    let param = match named {
        Some(name) => {
            let found = traced
                .params
                .iter()
                .find(|param| param.ident.as_ref() == Some(name));
            if found.is_none() {
                let (option, holds) = if batch {
                    ("batch", "the messages")
                } else {
                    ("carrier", "the request's headers")
                };
                let destructured = (traced.params.iter())
                    .any(|param| param.pattern_names.iter().any(|bound| bound == name));
                let message = if name == "self" {
                    format!(
                        "the receiver cannot be named by `{option} = ..`: it names a parameter that holds {holds}; take them as a parameter of `{}` and name it",
                        traced.function.sig.ident
                    )
                } else if destructured {
                    format!(
                        "`{name}` is bound by a parameter's pattern: `{option} = ..` names a whole parameter, read when the call starts; take it by a name (`message: Message`), name that, and destructure it in the body"
                    )
                } else {
                    format!(
                        "`{name}` is not a parameter of `{}`; `{option} = ..` names the parameter that holds {holds}",
                        traced.function.sig.ident
                    )
                };
                errors.push(syn::Error::new(name.span(), message));
            }
            found?
        }
        None => {
            // A request's head is only read: a client sends a request.
            let server = side != Some(Side::Client);
            let candidates_among = |readable: &dyn Fn(&Param) -> bool| -> Vec<&Param> {
                let named = |carrier: &dyn Fn(&Type) -> bool| -> Vec<&Param> {
                    (traced.params.iter())
                        .filter(|param| readable(param) && carrier(&param.ty))
                        .collect()
                };
                let written = named(&|ty| is_carrier_type(ty, server));
                // An alias that names its body (axum's `Request`, `reqwest::Request`),
                // or a request's `Parts` imported: the carrier where no other is one.
                // On a server, one beside an HTTP header map is a choice to make (it
                // tells the method and path the map does not; it may be a type of the
                // application's). Not beside gRPC metadata: tonic's request is
                // written with its message's type, so a bare one is the application's.
                let bare = named(&|ty| is_bare_request_or_head(ty, server));
                match (written.as_slice(), bare.as_slice()) {
                    ([], _) => bare,
                    ([map], [request, ..]) if server && is_http_header_map(&map.ty) => {
                        vec![*request, *map]
                    }
                    _ => written,
                }
            };
            // The parameters named first: one written `_` (or a pattern) is the
            // carrier only where none of them is, read by the name the signature
            // gives it.
            let mut candidates = candidates_among(&|param| param.ident.is_some());
            if candidates.is_empty() {
                candidates = candidates_among(&|param| param.value.is_some());
            }
            match *candidates.as_slice() {
                [one] => one,
                [] => {
                    let (what, carriers) = match side {
                        Some(Side::Client) => (
                            "inject the call's context into",
                            "a `Request`, a `HeaderMap` or a `MetadataMap`",
                        ),
                        _ => (
                            "extract the caller's context from",
                            "a `Request`, a request's `Parts`, a `HeaderMap` or a `MetadataMap`",
                        ),
                    };
                    let unnamed = (traced.params.iter())
                        .find(|param| param.value.is_none() && is_carrier_type(&param.ty, server));
                    let error = match unnamed {
                        Some(param) => syn::Error::new(
                            param.span,
                            format!(
                                "this parameter is the one to {what}, but the signature keeps it a pattern the call cannot read (`_` under `#[async_trait]`, or one whose bindings the annotation names): give it a name (`_request`)"
                            ),
                        ),
                        None => syn::Error::new(
                            traced.function.sig.ident.span(),
                            format!(
                                "no parameter to {what}: none is {carriers}; name the one that carries the headers with `carrier = param`"
                            ),
                        ),
                    };
                    errors.push(error);
                    return None;
                }
                [first, second, ..] => {
                    let message = if first.ident.is_some() {
                        format!(
                            "`{first}` and `{second}` could both carry the headers; say which with `carrier = {first}` or `carrier = {second}`",
                            first = display(first),
                            second = display(second),
                        )
                    } else {
                        "these two parameters, written without a name, could both carry the headers: name the one that does and say so with `carrier = name`".to_owned()
                    };
                    errors.push(syn::Error::new(second.span, message));
                    return None;
                }
            }
        }
    };
    let ident = param.value.clone()?;
    let access = match crate::parse::peeled(&param.ty) {
        Type::Reference(reference) if reference.mutability.is_some() => Access::Exclusive,
        Type::Reference(reference) if side == Some(Side::Client) => {
            errors.push(syn::Error::new_spanned(
                reference,
                format!("the context is written into `{}`, so it cannot be a shared reference: take it by value or as `&mut`", display(param)),
            ));
            return None;
        }
        Type::Reference(_) => Access::Shared,
        _ => Access::Owned,
    };
    Some(Carrier {
        ident,
        access,
        batch,
    })
}

fn display(param: &Param) -> String {
    param
        .ident
        .as_ref()
        .map_or_else(|| "_".to_owned(), ToString::to_string)
}

/// `..Request<..>`, `..HeaderMap`, `..MetadataMap` or, on a `server`,
/// `..request::Parts` (a request's head, axum's `Parts` extractor), behind
/// `&`/`&mut` or not.
fn is_carrier_type(ty: &Type, server: bool) -> bool {
    let Some(path) = path_of(ty) else {
        return false;
    };
    let mut segments = path.segments.iter().rev();
    let Some(last) = segments.next() else {
        return false;
    };
    (last.ident == "Request" && matches!(last.arguments, syn::PathArguments::AngleBracketed(_)))
        || last.ident == "HeaderMap"
        || last.ident == "MetadataMap"
        || (server
            && last.ident == "Parts"
            && segments
                .next()
                .is_some_and(|module| module.ident == "request"))
}

/// `..HeaderMap`, behind `&`/`&mut` or not: an HTTP request's headers alone.
fn is_http_header_map(ty: &Type) -> bool {
    (path_of(ty).and_then(|path| path.segments.last()))
        .is_some_and(|last| last.ident == "HeaderMap")
}

/// `..Request` without type arguments, or on a `server` `Parts` imported, behind
/// `&`/`&mut` or not (either may be a type of the application's, which the
/// carrier check then says is none).
fn is_bare_request_or_head(ty: &Type, server: bool) -> bool {
    path_of(ty).is_some_and(|path| match path.segments.last() {
        Some(last) if last.ident == "Request" => last.arguments.is_none(),
        Some(last) if last.ident == "Parts" => {
            server && path.segments.len() == 1 && last.arguments.is_none()
        }
        _ => false,
    })
}

/// The path `ty` names, behind `&`/`&mut` or not.
fn path_of(ty: &Type) -> Option<&syn::Path> {
    match crate::parse::peeled(ty) {
        Type::Reference(reference) => path_of(&reference.elem),
        Type::Path(path) => Some(&path.path),
        _ => None,
    }
}
