//! OTLP export (feature `otlp`), on a thread and tokio runtime of its own.
//!
//! The SDK's batch processor (0.33) exports from its worker thread by blocking on
//! the exporter's future. The tonic and reqwest clients need a tokio runtime to
//! make progress, and borrowing the application's deadlocks a shutdown under a
//! current-thread runtime (opentelemetry-rust issue 2583). So the exporter lives
//! on a dedicated thread running a current-thread runtime: the worker hands it
//! each batch over a channel and waits for the answer, which always comes within
//! the export timeout. Application threads never wait on the network.

use crate::config::{Compression, OtlpSettings, Protocol};
use crate::init::InitError;
use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _, WithTonicConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use rustls::pki_types::pem::PemObject as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// What the export thread is asked to do.
enum Request {
    Export(Vec<SpanData>, oneshot::Sender<OTelSdkResult>),
    SetResource(Resource),
    Shutdown(std::sync::mpsc::Sender<OTelSdkResult>),
}

/// The OTLP exporter, running on its own thread and runtime.
#[derive(Debug)]
pub(crate) struct OtlpExporter {
    requests: mpsc::UnboundedSender<Request>,
}

/// Starts the export thread and builds the OTLP exporter on it (tonic builds its
/// channel inside a runtime). One export is cut off after `export_timeout`
/// (`OTEL_BSP_EXPORT_TIMEOUT`) or the OTLP request timeout, whichever is shorter.
pub(crate) fn exporter(
    settings: OtlpSettings,
    export_timeout: Duration,
) -> Result<OtlpExporter, InitError> {
    let (requests, mut incoming) = mpsc::unbounded_channel::<Request>();
    let (built, outcome) = std::sync::mpsc::channel::<Result<(), InitError>>();
    let timeout = settings.timeout.min(export_timeout);
    std::thread::Builder::new()
        .name("otel-traced-export".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = built.send(Err(InitError::Exporter(format!(
                        "the export thread could not start a runtime: {error}"
                    ))));
                    return;
                }
            };
            runtime.block_on(async move {
                let mut exporter = match build(&settings) {
                    Ok(exporter) => {
                        let _ = built.send(Ok(()));
                        exporter
                    }
                    Err(error) => {
                        let _ = built.send(Err(error));
                        return;
                    }
                };
                while let Some(request) = incoming.recv().await {
                    match request {
                        Request::Export(batch, reply) => {
                            let result = tokio::time::timeout(timeout, exporter.export(batch))
                                .await
                                .unwrap_or(Err(OTelSdkError::Timeout(timeout)));
                            let _ = reply.send(result);
                        }
                        Request::SetResource(resource) => exporter.set_resource(&resource),
                        Request::Shutdown(reply) => {
                            let _ = reply.send(exporter.shutdown_with_timeout(timeout));
                            break;
                        }
                    }
                }
            });
        })
        .map_err(|error| {
            InitError::Exporter(format!("the export thread could not start: {error}"))
        })?;
    outcome.recv().map_err(|_| {
        InitError::Exporter("the export thread stopped while starting".to_owned())
    })??;
    Ok(OtlpExporter { requests })
}

impl SpanExporter for OtlpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::Export(batch, reply))
            .map_err(|_| OTelSdkError::AlreadyShutdown)?;
        answer
            .await
            .map_err(|_| OTelSdkError::InternalFailure("the export thread stopped".to_owned()))?
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let (reply, answer) = std::sync::mpsc::channel();
        if self.requests.send(Request::Shutdown(reply)).is_err() {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        answer
            .recv_timeout(timeout)
            .unwrap_or(Err(OTelSdkError::Timeout(timeout)))
    }

    fn set_resource(&mut self, resource: &Resource) {
        let _ = self.requests.send(Request::SetResource(resource.clone()));
    }
}

/// The opentelemetry-otlp exporter for `settings`, every value set explicitly.
fn build(settings: &OtlpSettings) -> Result<opentelemetry_otlp::SpanExporter, InitError> {
    let failed =
        |error: opentelemetry_otlp::ExporterBuildError| InitError::Exporter(error.to_string());
    let compression = settings
        .compression
        .map(|Compression::Gzip| opentelemetry_otlp::Compression::Gzip);
    match settings.protocol {
        Protocol::Grpc => {
            let mut metadata = tonic::metadata::MetadataMap::new();
            for (key, value) in &settings.headers {
                let key =
                    tonic::metadata::MetadataKey::from_bytes(key.to_ascii_lowercase().as_bytes())
                        .map_err(|_| {
                        InitError::Exporter(format!("`{key}` is not a valid gRPC header name"))
                    })?;
                let value = value.parse().map_err(|_| {
                    InitError::Exporter(format!("the value of header `{key}` is not valid"))
                })?;
                metadata.insert(key, value);
            }
            let mut builder = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(settings.endpoint.clone())
                .with_timeout(settings.timeout)
                .with_metadata(metadata);
            if let Some(compression) = compression {
                builder = builder.with_compression(compression);
            }
            if settings.endpoint.starts_with("https://") {
                let mut tls = tonic::transport::ClientTlsConfig::new().with_webpki_roots();
                if let Some(path) = &settings.certificate {
                    tls = tls.ca_certificate(tonic::transport::Certificate::from_pem(read(path)?));
                }
                builder = builder.with_tls_config(tls);
            }
            builder.build().map_err(failed)
        }
        Protocol::HttpProtobuf => {
            let client = http_client(settings)?;
            let headers: HashMap<String, String> = settings.headers.iter().cloned().collect();
            let mut builder = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_http_client(client)
                .with_endpoint(settings.endpoint.clone())
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_timeout(settings.timeout)
                .with_headers(headers);
            if let Some(compression) = compression {
                builder = builder.with_compression(compression);
            }
            builder.build().map_err(failed)
        }
    }
}

/// The reqwest client for HTTP/protobuf: TLS through rustls with the `ring`
/// provider, trusting the webpki roots and the configured certificate.
fn http_client(settings: &OtlpSettings) -> Result<reqwest::Client, InitError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &settings.certificate {
        let pem = read(path)?;
        let certificates = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| {
                InitError::Exporter(format!(
                    "{} holds no PEM certificate: {error}",
                    path.display()
                ))
            })?;
        for certificate in certificates {
            roots
                .add(certificate)
                .map_err(|error| InitError::Exporter(format!("{}: {error}", path.display())))?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| InitError::Exporter(error.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(settings.timeout)
        .build()
        .map_err(|error| {
            InitError::Exporter(format!("the HTTP client could not be built: {error}"))
        })
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, InitError> {
    std::fs::read(path).map_err(|error| {
        InitError::Exporter(format!("{} could not be read: {error}", path.display()))
    })
}
