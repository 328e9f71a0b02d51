//! Messaging boundaries (DESIGN §9): `#[traced_rpc(messaging, send, system =
//! "kafka", destination = "orders", carrier = headers)]`, or `batch = messages` for
//! an operation on a batch. The operation decides the span kind and what is done
//! with the message's headers; the span name is `{messaging.operation.name}
//! {destination}` (the operation's type unless `operation_name = ".."` names it),
//! as semantic conventions v1.44 name messaging spans.

use super::naming::{NameKind, check_name};
use super::rpc::{Access, Boundary, Protocol, Returned, Server, Side, carrier, check_server};
use crate::options::RpcOptions;
use crate::parse::{Errors, Shape, TracedFn};
use syn::{Ident, LitStr};

/// `messaging.operation.type` of semconv v1.44.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Create,
    Send,
    Receive,
    Process,
    Settle,
}

impl Operation {
    fn from_flag(flag: &Ident) -> Self {
        match flag.to_string().as_str() {
            "create" => Operation::Create,
            "send" => Operation::Send,
            "receive" => Operation::Receive,
            "process" => Operation::Process,
            _ => Operation::Settle,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Send => "send",
            Operation::Receive => "receive",
            Operation::Process => "process",
            Operation::Settle => "settle",
        }
    }

    /// The runtime's variant of the same name.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            Operation::Create => "Create",
            Operation::Send => "Send",
            Operation::Receive => "Receive",
            Operation::Process => "Process",
            Operation::Settle => "Settle",
        }
    }

    /// Producers write the creation context into the message's headers.
    pub(crate) fn produces(self) -> bool {
        matches!(self, Operation::Create | Operation::Send)
    }
}

/// The span name of the conventions: `{messaging.operation.name} {destination}`,
/// or the operation's name alone when the destination is not known.
pub(crate) fn messaging_name(operation_name: &str, destination: Option<&str>) -> String {
    match destination {
        Some(destination) => format!("{operation_name} {destination}"),
        None => operation_name.to_owned(),
    }
}

/// Checks a messaging boundary; `messaging` is the protocol flag.
pub(crate) fn check_messaging(
    traced: &TracedFn,
    rpc: &RpcOptions,
    messaging: &Ident,
    errors: &mut Errors,
) -> Option<Boundary> {
    if let Some(side) = &rpc.side {
        errors.push(syn::Error::new(
            side.span(),
            format!("the side of a messaging boundary is its operation (`send` produces, `process` consumes, ..); remove `{side}`"),
        ));
    }
    for (literal, option) in [
        (&rpc.service, "service"),
        (&rpc.method, "method"),
        (&rpc.route, "route"),
        (&rpc.template, "template"),
    ] {
        if let Some(literal) = literal {
            errors.push(syn::Error::new(
                literal.span(),
                format!("`{option}` is only for gRPC and HTTP boundaries; a messaging span is named by its operation and `destination`"),
            ));
        }
    }
    check_server(rpc, Server::Broker, errors);
    let operation = match &rpc.operation {
        Some(flag) => Some(Operation::from_flag(flag)),
        None => {
            if !rpc.operation_in_doubt {
                errors.push(syn::Error::new(
                    messaging.span(),
                    "a messaging boundary needs its operation: add one of `create`, `send`, `receive`, `process`, `settle`",
                ));
            }
            None
        }
    };
    let system = match &rpc.system {
        Some(system) => check_system(system, errors),
        None => {
            if !rpc.system_in_doubt {
                errors.push(syn::Error::new(
                    messaging.span(),
                    "a messaging boundary needs its system: add `system = \"kafka\"` (or rabbitmq, aws_sqs, pulsar, ..: `messaging.system`)",
                ));
            }
            None
        }
    };
    let destination = rpc
        .destination
        .as_ref()
        .and_then(|destination| check_destination(destination, errors));
    let operation_name = rpc
        .operation_name
        .as_ref()
        .map(|name| check_operation_name(name, errors));
    let operation = operation?;
    // `Some(None)` for an invalid group, reported: the other checks still run.
    let consumer_group = rpc
        .consumer_group
        .as_ref()
        .map(|group| check_consumer_group(group, operation, errors));
    // `None` for an invalid name, already reported.
    let operation_name = match operation_name {
        Some(checked) => checked,
        None => Some(operation.name().to_owned()),
    };
    // A batch has no one creation context: its `process` takes a parent as any
    // span does.
    if operation == Operation::Process && rpc.batch.is_none() {
        let options = &traced.options;
        if let Some(parent) = &options.parent {
            errors.push(syn::Error::new_spanned(
                parent,
                "a `process` span's parent is the current span, or else the message's creation context; `parent` is not for `process`",
            ));
        }
    }
    // The span name is checked where it is written (the destination, else the
    // operation's name; the operation alone names no span too long), and only
    // when both parts are valid: an invalid one is already reported, once.
    let written = rpc.destination.as_ref().or(rpc.operation_name.as_ref());
    let destination_valid = rpc.destination.is_none() || destination.is_some();
    if let (Some(written), Some(operation_name), true) =
        (written, &operation_name, destination_valid)
    {
        let name = messaging_name(operation_name, destination.as_deref());
        check_name(
            &LitStr::new(&name, written.span()),
            NameKind::BoundarySpan,
            errors,
        );
    }
    if let Some(refused) = refused_batch(traced, rpc, operation) {
        errors.push(refused);
        return None;
    }
    let receives_a_stream =
        operation == Operation::Receive && matches!(traced.shape, Shape::ReturnsStream { .. });
    if receives_a_stream {
        // At `return` where it is taken from there, else at the stream.
        let returned = rpc.batch_returned.or(rpc.carrier_returned);
        errors.push(match returned {
            Some(returned) => syn::Error::new(returned, RECEIVED_STREAM),
            None => syn::Error::new_spanned(&traced.function.sig.output, RECEIVED_STREAM),
        });
    }
    // A producer writes into its messages; a consumer only reads.
    let side = if operation.produces() {
        Side::Client
    } else {
        Side::Server
    };
    let batch = rpc.batch.is_some();
    let carrier = match rpc.carrier.as_ref().or(rpc.batch.as_ref()) {
        Some(named) => {
            let carrier = carrier(traced, Some(named), Some(side), batch, errors)?;
            // (A stream's is refused above: returning the message is no way out.)
            if operation == Operation::Receive
                && !receives_a_stream
                && matches!(carrier.access, Access::Exclusive)
            {
                let (option, returned) = if batch {
                    ("batch", "the messages received (a `Vec`, say)")
                } else {
                    ("carrier", "the message received")
                };
                errors.push(syn::Error::new(
                    named.span(),
                    format!("a `receive` reads `{option} = {named}` when it starts, so it cannot be a buffer the call fills (`&mut`): return {returned} and write `{option} = return`"),
                ));
                return None;
            }
            Some(carrier)
        }
        None if (operation.produces() || operation == Operation::Process)
            && !rpc.carrier_in_doubt =>
        {
            let what = if operation.produces() {
                "writes the message's creation context into its headers"
            } else {
                "continues the message's creation context from its headers"
            };
            errors.push(syn::Error::new(
                rpc.operation
                    .as_ref()
                    .map_or_else(|| messaging.span(), Ident::span),
                format!(
                    "`{}` {what}: name the parameter that holds them with `carrier = headers` (or the messages of a batch with `batch = messages`)",
                    operation.name()
                ),
            ));
            return None;
        }
        None => None,
    };
    Some(Boundary {
        side: match operation {
            Operation::Process => Side::Server,
            _ => Side::Client,
        },
        protocol: Protocol::Messaging {
            operation,
            operation_name: operation_name?,
            system: system?,
            destination: match (&rpc.destination, destination) {
                (Some(_), None) => return None,
                (_, destination) => destination,
            },
            consumer_group: match consumer_group {
                Some(None) => return None,
                Some(checked) => checked,
                None => None,
            },
        },
        carrier,
        server: rpc.server.clone(),
        returns: match (rpc.batch_returned, rpc.carrier_returned) {
            (Some(_), _) => Some(Returned::Messages),
            (None, Some(_)) => Some(Returned::Message),
            (None, None) => None,
        },
    })
}

/// Why a `receive` cannot return a stream.
const RECEIVED_STREAM: &str = "a `receive` returning a stream would be one span of every message it yields, open until the stream is dropped (a subscription's: the process's life); annotate what receives each message or batch, or each message's `process`";

/// What is wrong with `batch = ..` or `carrier = return` given the operation and
/// the other options, if anything: `batch = return` and `carrier = return` only
/// on a `receive` that returns something, beside no other carrier, `batch = ..`
/// not beside `carrier` nor on a `create` (one message each).
fn refused_batch(traced: &TracedFn, rpc: &RpcOptions, operation: Operation) -> Option<syn::Error> {
    let returned = (rpc
        .batch_returned
        .map(|span| (span, "batch", "messages", "them", "batch = messages")))
    .or(rpc
        .carrier_returned
        .map(|span| (span, "carrier", "message", "it", "carrier = headers")));
    if let Some((returned, option, what, pronoun, named)) = returned {
        let other_carrier = rpc.carrier.is_some()
            || rpc.batch.is_some()
            || (rpc.batch_returned.is_some() && rpc.carrier_returned.is_some());
        let problem = if operation == Operation::Create {
            format!(
                "a `create` span accounts for one message (messaging conventions v1.44): `{option} = return` is for a `receive`"
            )
        } else if operation != Operation::Receive {
            format!(
                "only a `receive` takes its {what} from what it returns; name the parameter that holds {pronoun} with `{named}`"
            )
        } else if other_carrier {
            format!(
                "`{option} = return` takes the {what} from what the call returns: remove `carrier`/`batch = ..`, or this"
            )
        } else if matches!(traced.function.sig.output, syn::ReturnType::Default) {
            format!(
                "`{option} = return` takes the {what} from what the call returns, and it returns nothing"
            )
        } else {
            return None;
        };
        return Some(syn::Error::new(returned, problem));
    }
    let batch = rpc.batch.as_ref()?;
    if rpc.carrier.is_some() {
        return Some(syn::Error::new(
            batch.span(),
            "`carrier` names one message's headers and `batch` the messages of a batch operation: keep one",
        ));
    }
    (operation == Operation::Create).then(|| {
        syn::Error::new(
            batch.span(),
            "a `create` span accounts for one message (messaging conventions v1.44): create each message with its own call, and `send` the batch with `batch = ..`",
        )
    })
}

/// `messaging.system`: a name such as `kafka` or `aws_sqs`, or one of the
/// application's own (the registry's list is open: `nats`, `ibm-mq`).
fn check_system(system: &LitStr, errors: &mut Errors) -> Option<String> {
    let value = system.value();
    let valid = !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        return Some(value);
    }
    errors.push(syn::Error::new(
        system.span(),
        format!("`{value}` is not a messaging system name: one word, such as `kafka`, `rabbitmq` or `aws_sqs`"),
    ));
    None
}

/// `messaging.operation.name`: the system's own name of the operation, such as
/// `ack`, `poll` or `ReceiveMessage`, known when compiling (it names the span).
fn check_operation_name(name: &LitStr, errors: &mut Errors) -> Option<String> {
    let value = name.value();
    let valid = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        return Some(value);
    }
    errors.push(syn::Error::new(
        name.span(),
        format!(
            "`{}` is not a messaging operation name: letters, digits, `_`, `.` and `-`, such as `ack`, `poll` or `ReceiveMessage`",
            value.escape_debug()
        ),
    ));
    None
}

/// `consumer_group = ".."`: a consumer's (`receive`, `process`, `settle`), named.
fn check_consumer_group(
    group: &LitStr,
    operation: Operation,
    errors: &mut Errors,
) -> Option<String> {
    if operation.produces() {
        errors.push(syn::Error::new(
            group.span(),
            format!(
                "a `{}` produces messages, and has no consumer group: `consumer_group` is for `receive`, `process` and `settle`",
                operation.name()
            ),
        ));
        return None;
    }
    check_named(
        group,
        "consumer group name",
        "the group, such as `billing`",
        errors,
    )
}

/// A destination names a queue or topic, not one message: known when compiling,
/// so the span name stays of low cardinality.
fn check_destination(destination: &LitStr, errors: &mut Errors) -> Option<String> {
    check_named(
        destination,
        "destination name",
        "the queue or topic, such as `orders`",
        errors,
    )
}

/// A literal `what` names (a destination, a consumer group): some text, without
/// control characters; `example` says what to name instead.
fn check_named(literal: &LitStr, what: &str, example: &str, errors: &mut Errors) -> Option<String> {
    let value = literal.value();
    let problem = if value.trim().is_empty() {
        format!("the {what} is empty")
    } else if value.chars().any(char::is_control) {
        format!(
            "`{}` is not a {what}: it contains a control character",
            value.escape_debug()
        )
    } else {
        return Some(value);
    };
    errors.push(syn::Error::new(
        literal.span(),
        format!("{problem}; name {example}"),
    ));
    None
}
