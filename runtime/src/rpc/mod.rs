//! Boundaries between services: the spans of `#[traced_rpc]` and of the tower
//! layers, which must be the same spans for the same request.
//!
//! `open` names a boundary span and gives it the attributes samplers must see (the
//! RPC and HTTP conventions of semconv v1.44), continuing or propagating the trace
//! through the request's carrier (or a message's headers); `reply` records how the
//! call ended, from a gRPC status or an HTTP status code.

mod batch;
#[cfg(feature = "http")]
mod grpc_http;
mod open;
mod reply;

use crate::setting::InstalledSetting;
use std::borrow::Cow;

pub use batch::{MessageBatch, ReceivedMessage, ReceivedMessages};
// The expansion's helpers, reached through `__private`.
pub(crate) use batch::LINK_COUNT_LIMIT;
#[doc(hidden)]
pub use batch::{BATCH_MESSAGE_COUNT, batch_creation, batch_len, batch_links, message_count};
#[cfg(feature = "http")]
use grpc_http::status_in_trailers;
#[cfg(feature = "http")]
pub(crate) use grpc_http::{
    GRPC_UNIMPLEMENTED, grpc_status, status_of_response, status_without_grpc_status,
};
#[cfg(feature = "http")]
pub(crate) use open::without_propagated_context;

/// The span name of a gRPC call of a method the server is not known to have (a
/// path that names none; with `GrpcLayer::serving`, another service's): the RPC
/// system's name, as the conventions say.
pub(crate) const UNKNOWN_GRPC_METHOD_NAME: &str = "grpc";
#[doc(hidden)]
pub use open::creation_link;
#[cfg(feature = "http")]
pub(crate) use reply::GRPC_UNKNOWN;
#[cfg(feature = "reqwest")]
pub(crate) use reply::reqwest_status;
#[doc(hidden)]
pub use reply::{
    Answer, ReplyProbe, StreamingProbe, ViaErrorReply, ViaMessages, ViaMessagesResult, ViaNoReply,
    ViaReply, ViaSharedErrorReply, ViaStreaming, ViaWhole,
};
#[cfg(feature = "metrics")]
pub(crate) use reply::{HTTP_STATUS_CODE, RPC_STATUS_CODE, grpc_code_name};
pub use reply::{HasReply, Reply};
pub(crate) use reply::{
    STREAM_GIVEN_UP, record_given_up, record_reply, reply_among_sources, tally_reply,
};

/// Which end of a boundary a span is.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Receives the request: continues the caller's trace (span kind Server).
    Server,
    /// Sends the request: propagates its own context (span kind Client).
    Client,
}

/// The protocol of a boundary and what identifies the operation.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum Protocol {
    /// gRPC: `method` is the full `pkg.Service/Method`.
    Grpc { method: Cow<'static, str> },
    /// HTTP: the server's route template, the client's URL template.
    Http {
        route: Option<Cow<'static, str>>,
        template: Option<Cow<'static, str>>,
    },
    /// Messaging (DESIGN §9): `name` is the span name, `{operation_name}
    /// {destination}`; `operation_name` is `messaging.operation.name`, the
    /// system's own name of the operation (`ack`), its type's by default.
    Messaging {
        operation: Operation,
        operation_name: Cow<'static, str>,
        system: Cow<'static, str>,
        destination: Option<Cow<'static, str>>,
        /// `messaging.consumer.group.name`, of a consumer's operation.
        consumer_group: Option<Cow<'static, str>>,
        name: Cow<'static, str>,
    },
}

/// A messaging operation: `messaging.operation.type` of semconv v1.44.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A message is created (PRODUCER); its context goes into the message.
    Create,
    /// Messages are sent to the intermediary (PRODUCER); the context goes into the
    /// message when no `create` span gave it one, and when one did the span is a
    /// CLIENT span.
    Send,
    /// Messages are pulled by the application (CLIENT).
    Receive,
    /// A message is handled (CONSUMER).
    Process,
    /// Messages are acknowledged, rejected or otherwise settled (CLIENT).
    Settle,
}

impl Operation {
    /// The value of `messaging.operation.type` (and, lacking a system-specific
    /// name, of `messaging.operation.name`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Send => "send",
            Operation::Receive => "receive",
            Operation::Process => "process",
            Operation::Settle => "settle",
        }
    }
}

/// A boundary, as `#[traced_rpc]` declares it (a `static`) or a layer sees it.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct RpcMeta {
    pub side: Side,
    pub protocol: Protocol,
}

impl RpcMeta {
    /// `answer` when it is a reply of this boundary's protocol: a gRPC call's
    /// `Err(http::StatusCode)` (an HTTP call's `tonic::Status`) says nothing of its
    /// own reply, and is recorded as any other error. An HTTP response with its
    /// headers is a gRPC call's reply too: gRPC travels in HTTP, its status in the
    /// response's headers or trailers (a gRPC-web bridge's, a client's own over
    /// hyper).
    #[doc(hidden)]
    #[inline]
    pub fn own_reply<'a>(&self, answer: Option<Answer<'a>>) -> Option<Answer<'a>> {
        answer.filter(|answer| {
            let own_protocol = match (&self.protocol, &answer.reply) {
                (Protocol::Grpc { .. }, Reply::Grpc { .. })
                | (Protocol::Http { .. }, Reply::Http { .. }) => true,
                #[cfg(feature = "http")]
                (Protocol::Grpc { .. }, Reply::Http { .. }) => answer.headers.is_some(),
                _ => false,
            };
            own_protocol && !(answer.received && self.side == Side::Server)
        })
    }

    /// [`Self::own_reply`] for what a call returned as its `Err`: a gRPC call's
    /// HTTP response whose status is still to come (a 200 without a
    /// `grpc-status`) does not say why the call failed, and the error is recorded
    /// as any other.
    #[doc(hidden)]
    pub fn own_error_reply<'a>(&self, answer: Option<Answer<'a>>) -> Option<Answer<'a>> {
        self.own_reply(answer)
            .filter(|answer| match (&self.protocol, answer.reply) {
                #[cfg(feature = "http")]
                (Protocol::Grpc { .. }, Reply::Http { status }) => !answer
                    .headers
                    .is_some_and(|headers| status_in_trailers(status, headers)),
                _ => true,
            })
    }
}

/// Whether the deprecated RPC attributes are emitted beside the current ones
/// (`OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup`, for backends that only know the old
/// ones): as the installed configuration says (which reads it from the
/// configuration's variables, `Config::from_vars` too), else as the environment
/// says.
pub(crate) static LEGACY_RPC: InstalledSetting<bool> = InstalledSetting::new(|| {
    std::env::var("OTEL_SEMCONV_STABILITY_OPT_IN").is_ok_and(|value| opts_into_legacy_rpc(&value))
});

pub(crate) fn emits_legacy_rpc() -> bool {
    LEGACY_RPC.get()
}

/// Whether an `OTEL_SEMCONV_STABILITY_OPT_IN` value asks for `rpc/dup` (a
/// comma-separated list; other entries are other conventions' opt-ins).
pub(crate) fn opts_into_legacy_rpc(value: &str) -> bool {
    value
        .split(',')
        .any(|entry| entry.trim().eq_ignore_ascii_case("rpc/dup"))
}
