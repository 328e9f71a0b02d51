//! A gRPC status as it travels in HTTP: the `grpc-status` and `grpc-message` of a
//! response's headers (a trailers-only response) or trailers, and the code gRPC
//! gives a response that has none. Read as tonic reads them, so that a span says
//! what the application is told; `GrpcLayer` and `#[traced_rpc]` functions answered
//! by an `http::Response` read them alike.

use super::{GRPC_UNKNOWN, Side};

/// `UNIMPLEMENTED`: the server has no such method.
pub(crate) const GRPC_UNIMPLEMENTED: i32 = 12;

/// The `grpc-status` and `grpc-message` (percent-encoded on the wire) of headers
/// or trailers, if there is a `grpc-status`, as tonic reads them on `side`: on a
/// client, a message that is not UTF-8 once decoded makes the status UNKNOWN,
/// which is what the application is told; a server's span keeps the code it sent.
pub(crate) fn grpc_status(headers: &http::HeaderMap, side: Side) -> Option<(i32, String)> {
    let code = grpc_code(headers.get("grpc-status")?.as_bytes());
    let Some(message) = headers.get("grpc-message") else {
        return Some((code, String::new()));
    };
    match String::from_utf8(crate::propagation::percent_decoded(message.as_bytes())) {
        Ok(message) => Some((code, message)),
        Err(error) if side == Side::Client => Some((
            GRPC_UNKNOWN,
            format!(
                "Error deserializing status message header: {}",
                error.utf8_error()
            ),
        )),
        Err(error) => Some((code, String::from_utf8_lossy(error.as_bytes()).into_owned())),
    }
}

/// A `grpc-status` value as gRPC reads it (tonic's `Code::from_bytes`): the code's
/// one or two ASCII digits, nothing else; any other value is UNKNOWN, so that the
/// span says what the application is told.
pub(crate) fn grpc_code(value: &[u8]) -> i32 {
    match value {
        [digit @ b'0'..=b'9'] => i32::from(digit - b'0'),
        [b'1', digit @ b'0'..=b'6'] => 10 + i32::from(digit - b'0'),
        _ => GRPC_UNKNOWN,
    }
}

/// The status of a response that has no `grpc-status`: the code gRPC's HTTP
/// mapping gives its HTTP status (as tonic tells the application), UNKNOWN for the
/// rest, and a message saying so.
pub(crate) fn status_without_grpc_status(http_status: u16) -> (i32, String) {
    let code = match http_status {
        400 => 13,                   // INTERNAL
        401 => 16,                   // UNAUTHENTICATED
        403 => 7,                    // PERMISSION_DENIED
        404 => GRPC_UNIMPLEMENTED,   // UNIMPLEMENTED
        429 | 502 | 503 | 504 => 14, // UNAVAILABLE
        _ => GRPC_UNKNOWN,
    };
    let message = format!("the response has no grpc-status (HTTP {http_status})");
    (code, message)
}

/// What the status and headers of a gRPC call's HTTP response say of its status
/// when the response is all there is to read (a `#[traced_rpc]` function's): a
/// trailers-only status; for a status but 200, the code gRPC gives it; for a 200,
/// nothing yet (`None`): the status comes in the trailers, after the body.
pub(crate) fn status_of_response(
    http_status: u16,
    headers: &http::HeaderMap,
    side: Side,
) -> Option<(i32, String)> {
    if status_in_trailers(http_status, headers) {
        return None;
    }
    Some(grpc_status(headers, side).unwrap_or_else(|| status_without_grpc_status(http_status)))
}

/// Whether a gRPC call's HTTP response has its status still to come, in the
/// trailers: a 200 without a `grpc-status`.
pub(crate) fn status_in_trailers(http_status: u16, headers: &http::HeaderMap) -> bool {
    http_status == 200 && !headers.contains_key("grpc-status")
}

#[cfg(test)]
mod tests {
    use super::{GRPC_UNKNOWN, grpc_code};

    #[test]
    fn grpc_status_values_are_read_as_tonic_reads_them() {
        assert_eq!(grpc_code(b"0"), 0);
        assert_eq!(grpc_code(b"9"), 9);
        assert_eq!(grpc_code(b"10"), 10);
        assert_eq!(grpc_code(b"16"), 16);
        for odd in [
            &b"17"[..],
            b"00",
            b"+0",
            b"-0",
            b" 5",
            b"5 ",
            b"",
            b"0x1",
            b"123",
        ] {
            assert_eq!(
                grpc_code(odd),
                GRPC_UNKNOWN,
                "{:?}",
                String::from_utf8_lossy(odd)
            );
        }
    }
}
