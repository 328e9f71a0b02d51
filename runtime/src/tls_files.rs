//! The TLS files an OTLP exporter was built from, watched for their rotation.
//!
//! cert-manager, Vault and SPIRE replace a client certificate (and at times the
//! CA's) well before it expires, every few hours to weeks, in place: a
//! Kubernetes secret volume swaps a symlink. An exporter that kept what it read
//! at `init()` fails every export once its certificate expires, until the
//! process restarts; one rebuilt from the new files goes on. The files are
//! looked at before each export (a `stat` each, next to a network request).

use crate::config::OtlpSettings;
use crate::init::InitError;
use std::path::PathBuf;
use std::time::SystemTime;

/// What tells a file replaced from the one read: its modification time and
/// length, and where there are they its inode (a rename over it, the time kept)
/// and change time, which a `chmod` or `chown` moves too (a key renamed into
/// place before it is readable, made readable a moment later: the rebuild that
/// failed on it is tried again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    length: u64,
    inode: u64,
    changed: (i64, i64),
}

impl Stamp {
    /// The stamp of the file at `path`, `None` where it cannot be read (being
    /// replaced, or gone): a change too, once it is back.
    fn of(path: &std::path::Path) -> Option<Stamp> {
        let metadata = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let (inode, changed) = {
            use std::os::unix::fs::MetadataExt as _;
            (metadata.ino(), (metadata.ctime(), metadata.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let (inode, changed) = (0, (0, 0));
        Some(Stamp {
            modified: metadata.modified().ok(),
            length: metadata.len(),
            inode,
            changed,
        })
    }
}

/// The certificate, client certificate and key files of one exporter, as they
/// were when it was last built.
#[derive(Debug)]
pub(crate) struct TlsFiles {
    files: Vec<(PathBuf, Option<Stamp>)>,
}

impl TlsFiles {
    /// The files `settings` name, stamped now: call it before building the
    /// exporter, so that a file replaced while it is read counts as changed.
    pub(crate) fn of(settings: &OtlpSettings) -> TlsFiles {
        let identity = settings
            .client_identity
            .iter()
            .flat_map(|identity| [&identity.certificate, &identity.key]);
        let files = settings
            .certificate
            .iter()
            .chain(identity)
            .map(|path| (path.clone(), Stamp::of(path)))
            .collect();
        TlsFiles { files }
    }

    /// Whether a file was replaced since it was last stamped; the new stamps
    /// are kept, so a rebuild that fails on them is tried again only once the
    /// files change again (a key written after its certificate, say).
    pub(crate) fn changed(&mut self) -> bool {
        let mut changed = false;
        for (path, stamp) in &mut self.files {
            let now = Stamp::of(path);
            if now != *stamp {
                *stamp = now;
                changed = true;
            }
        }
        changed
    }
}

/// The exporter of `signal` that `build` makes again from its replaced files, or
/// `None` where that fails or panics: the one built before goes on, with the
/// files it read, and the reason is said.
pub(crate) fn rebuilt<E>(
    signal: &str,
    settings: &OtlpSettings,
    build: impl FnOnce() -> Result<E, InitError>,
) -> Option<E> {
    let built = crate::panic::contained(build)
        .unwrap_or_else(|| Err(InitError::Exporter("building it panicked".to_owned())));
    match built {
        Ok(built) => Some(built),
        Err(error) => {
            crate::notice::aside(format!(
                "exporting {signal} to {}: the TLS files changed, and cannot be used: {error}; the files read before are used until they change again",
                crate::config::without_secrets(&settings.endpoint)
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientIdentity;

    fn settings(directory: &std::path::Path) -> OtlpSettings {
        OtlpSettings {
            endpoint: "https://collector:4317".to_owned(),
            protocol: crate::config::Protocol::Grpc,
            headers: Vec::new(),
            timeout: std::time::Duration::from_secs(10),
            compression: None,
            certificate: Some(directory.join("ca.pem")),
            client_identity: Some(ClientIdentity {
                certificate: directory.join("client.pem"),
                key: directory.join("client-key.pem"),
            }),
        }
    }

    #[test]
    fn a_file_replaced_is_a_change_seen_once() {
        let directory =
            std::env::temp_dir().join(format!("otel-traced-tls-files-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        for name in ["ca.pem", "client.pem", "client-key.pem"] {
            std::fs::write(directory.join(name), "first").unwrap();
        }
        let mut files = TlsFiles::of(&settings(&directory));
        assert!(!files.changed(), "nothing replaced");
        // Replaced as a secret volume does: a new file renamed over the old.
        std::fs::write(directory.join("new"), "second").unwrap();
        std::fs::rename(directory.join("new"), directory.join("client-key.pem")).unwrap();
        assert!(files.changed());
        assert!(!files.changed(), "seen once");
        // Its permissions changed (made readable after it was moved in).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let key = directory.join("client-key.pem");
            // (Change times are as coarse as a clock tick.)
            std::thread::sleep(std::time::Duration::from_millis(50));
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(files.changed());
        }
        // Gone (being replaced), then back.
        std::fs::remove_file(directory.join("ca.pem")).unwrap();
        assert!(files.changed());
        std::fs::write(directory.join("ca.pem"), "third").unwrap();
        assert!(files.changed());
        assert!(!files.changed());
        std::fs::remove_dir_all(&directory).unwrap();
    }

    #[test]
    fn an_exporter_without_tls_files_watches_nothing() {
        let settings = OtlpSettings {
            certificate: None,
            client_identity: None,
            ..settings(std::path::Path::new("/nowhere"))
        };
        let mut files = TlsFiles::of(&settings);
        assert!(files.files.is_empty());
        assert!(!files.changed());
    }
}
