//! An interop service for cross-language propagation tests, in the shape the W3C
//! Trace Context test suite drives.
//!
//! ```text
//! PORT=5000 cargo run --example propagation_echo
//! ```
//!
//! It listens on `127.0.0.1:$PORT` (default 5000). `POST /` takes a JSON array of
//! `{"url": "...", "arguments": [...]}`; inside a server span continued from the
//! request's `traceparent`/`tracestate` (and `baggage`), it sends `POST url` with
//! the JSON of `arguments` as body and the propagated headers, one client span
//! (so one new parent id) per call, waits for each answer, then answers 200. A
//! body that is not such an array, or that could not be read, is a 400; one over
//! 1 MiB a 413.
//!
//! Extraction and injection follow W3C Trace Context Level 2 through otel-traced's
//! own propagator (invalid `traceparent`: a new trace; invalid `tracestate`:
//! dropped; duplicate `traceparent` headers: invalid; several `tracestate` headers:
//! combined). The console shows each request's spans.

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::routing::post;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use otel_traced::traced_rpc;
use serde::Deserialize;

/// The largest request body read: the suite's bodies are small.
const MAX_BODY: usize = 1 << 20;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// One call to make.
#[derive(Deserialize)]
struct Call {
    url: String,
    #[serde(default)]
    arguments: serde_json::Value,
}

/// How long calls still running when Ctrl-C came are given to end (a URL that
/// never answers would hold the process).
const DRAIN: std::time::Duration = std::time::Duration::from_secs(5);

#[otel_traced::main]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    match serve().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("propagation_echo: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Serves until Ctrl-C, then returns (within [`DRAIN`]): `main` returning is what
/// lets the guard export what is queued; a signal's default action would end the
/// process before that.
async fn serve() -> Result<(), String> {
    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| format!("PORT must be a port number, not {port:?}"))?,
        Err(_) => 5000,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|error| {
            let hint = match error.kind() {
                std::io::ErrorKind::AddrInUse => ": choose another port with PORT=",
                _ => "",
            };
            format!("cannot listen on 127.0.0.1:{port} ({error}){hint}")
        })?;
    eprintln!("propagation_echo listening on http://127.0.0.1:{port}/ (Ctrl-C or SIGTERM ends it)");
    let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let app = axum::Router::new().route(
        "/",
        post(move |request: Request| echo(request, client.clone())),
    );
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        // SIGTERM (an orchestrator's) or Ctrl-C; a handler that cannot be set up
        // leaves the signal's default action in place.
        otel_traced::shutdown_signal().await;
        let _ = stop.send(true);
    });
    // Never, where the sender is gone without a word.
    let stopped = |mut stopping: tokio::sync::watch::Receiver<bool>| async move {
        if stopping.wait_for(|stopped| *stopped).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let served = axum::serve(listener, app).with_graceful_shutdown(stopped(stopping.clone()));
    tokio::select! {
        served = served => served.map_err(|error| error.to_string()),
        () = async {
            stopped(stopping).await;
            tokio::time::sleep(DRAIN).await;
        } => {
            eprintln!("propagation_echo: calls still running after {DRAIN:?} were given up");
            Ok(())
        }
    }
}

/// Continues the caller's trace and makes each call it asks for.
#[traced_rpc(http, route = "/", carrier = request)]
async fn echo(request: Request, client: HttpClient) -> StatusCode {
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(body) => body,
        Err(error)
            if std::error::Error::source(&error)
                .is_some_and(|inner| inner.is::<http_body_util::LengthLimitError>()) =>
        {
            return StatusCode::PAYLOAD_TOO_LARGE;
        }
        Err(_) => return StatusCode::BAD_REQUEST,
    };
    let Ok(calls) = serde_json::from_slice::<Vec<Call>>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    for call in calls {
        let request = http::Request::post(call.url.as_str())
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::from(call.arguments.to_string()));
        match request {
            // A failed call is recorded on its span; the others still go out.
            Ok(request) => drop(forward(request, &client).await),
            Err(error) => eprintln!("skipping {:?}: {error}", call.url),
        }
    }
    StatusCode::OK
}

/// One outgoing call: a client span whose context goes into the request headers.
#[traced_rpc(client, http)]
async fn forward(
    request: http::Request<Full<Bytes>>,
    client: &HttpClient,
) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
    client.request(request).await
}
