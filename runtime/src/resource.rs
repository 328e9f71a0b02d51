//! The resource every span, log record and metric is exported with: what the
//! SDK's and the well-kept upstream detectors find (`telemetry.sdk.*`, the host,
//! the container, the process, a `service.instance.id`), made as the semantic
//! conventions have it where they do not (`host.arch`, `os.type`, `host.id`),
//! then the configured attributes.

use opentelemetry::KeyValue;
use opentelemetry_resource_detectors::{
    ContainerResourceDetector, HostResourceDetector, ProcessResourceDetector,
    ServiceInstanceIdResourceDetector,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::resource::{ResourceDetector, TelemetryResourceDetector};

/// The resource: the SDK's `telemetry.sdk.*`, the host, container, platform and
/// process attributes, a `service.instance.id` (a UUID a process: the
/// replicas of a service are told apart, their cumulative metrics' series kept
/// apart where a backend such as Prometheus makes one series of each), then the
/// configured attributes, which win.
pub(crate) fn resource(mut configured: Vec<KeyValue>) -> Resource {
    let detectors: [Box<dyn ResourceDetector>; 5] = [
        Box::new(TelemetryResourceDetector),
        Box::new(HostAndContainer),
        Box::new(ConventionalPlatform),
        Box::new(ProcessWithoutArguments),
        Box::new(ServiceInstanceIdResourceDetector),
    ];
    // An empty one (a chart's value left unset) is none, as an empty
    // `OTEL_SERVICE_NAME` is: the default, not a service named "".
    configured.retain(|kv| kv.key.as_str() != "service.name" || !kv.value.as_str().is_empty());
    let has_service_name = configured
        .iter()
        .any(|kv| kv.key.as_str() == "service.name");
    let mut builder = Resource::builder_empty().with_detectors(&detectors);
    if !has_service_name {
        builder = builder.with_service_name(unknown_service(&executable_name()));
    }
    builder.with_attributes(configured).build()
}

/// The container's `container.id` (Linux, from the process's cgroup), and the
/// host detector's attributes (`host.name`, `host.id`, `host.arch`), but: none
/// empty (an image's empty `/etc/machine-id`); no `host.id` in a container, where
/// the machine id is the image's, the same in every pod of every node (the
/// conventions take it from the machine id only outside containers), and a
/// backend keying hosts on it made one host of them all; `host.name` from the
/// kernel where the detector's `hostname` command is missing (a distroless
/// image).
#[derive(Debug)]
struct HostAndContainer;

impl ResourceDetector for HostAndContainer {
    fn detect(&self) -> Resource {
        let mut container = ContainerResourceDetector.detect();
        let cgroups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        if in_kubernetes() && !names_the_container(&container, &cgroups) {
            container = Resource::builder_empty().build();
        }
        let in_a_container =
            !container.is_empty() || has_a_containers_marks() || in_a_cgroup_namespace(&cgroups);
        let host = host_attributes(
            attributes(&HostResourceDetector::default().detect()),
            in_a_container,
            kernel_host_name,
        );
        Resource::builder_empty()
            .with_attributes(attributes(&container).chain(host))
            .build()
    }
}

/// A detected resource's attributes, to make another of.
fn attributes(resource: &Resource) -> impl Iterator<Item = KeyValue> + '_ {
    resource
        .iter()
        .map(|(key, value)| KeyValue::new(key.clone(), value.clone()))
}

/// What [`HostAndContainer`] keeps of the host detector's `detected`.
fn host_attributes(
    detected: impl Iterator<Item = KeyValue>,
    in_a_container: bool,
    host_name: impl FnOnce() -> Option<String>,
) -> Vec<KeyValue> {
    let mut kept: Vec<KeyValue> = detected
        .filter(|attribute| !attribute.value.as_str().trim().is_empty())
        .filter(|attribute| !(in_a_container && attribute.key.as_str() == "host.id"))
        .collect();
    if !kept
        .iter()
        .any(|attribute| attribute.key.as_str() == "host.name")
        && let Some(name) = host_name().filter(|name| !name.is_empty())
    {
        kept.push(KeyValue::new("host.name", name));
    }
    kept
}

/// Whether this process shows a container's marks where its id was not found:
/// Kubernetes' variables, ECS's (Fargate's task ids are not the detector's),
/// Docker's and Podman's marker files.
fn has_a_containers_marks() -> bool {
    in_kubernetes()
        || [
            "ECS_CONTAINER_METADATA_URI_V4",
            "ECS_CONTAINER_METADATA_URI",
        ]
        .iter()
        .any(|variable| std::env::var_os(variable).is_some())
        || ["/.dockerenv", "/run/.containerenv"]
            .iter()
            .any(|marker| std::path::Path::new(marker).exists())
}

fn in_kubernetes() -> bool {
    std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
}

/// Whether `cgroups` (`/proc/self/cgroup`) is a cgroup namespace's own root
/// alone (`0::/`), as a container runtime gives each container on cgroup v2
/// (containerd, nerdctl, Nomad's driver: none leaves a marker file); a process
/// of the host is in a named group (`0::/user.slice/..`, `/system.slice/..`).
fn in_a_cgroup_namespace(cgroups: &str) -> bool {
    cgroups.trim() == "0::/"
}

/// Whether the detected `container` (its `container.id`) is named by `cgroups`,
/// where cgroup v1 names the container. On cgroup v2 the detector falls back to
/// the file mounted as `/etc/hostname`, which Kubernetes' runtimes keep in the
/// pod's sandbox (CRI-O's, cri-dockerd's): the pause container's id, the same for
/// every container of the pod, or none (containerd's). Under Kubernetes such an
/// id is left out: a collector's `k8sattributes` processor names the container.
fn names_the_container(container: &Resource, cgroups: &str) -> bool {
    container
        .get(&opentelemetry::Key::from_static_str("container.id"))
        .is_some_and(|id| {
            let id = id.as_str();
            !id.is_empty() && cgroups.contains(id.as_ref())
        })
}

/// The host name the kernel holds (Linux), as `gethostname` reads it.
fn kernel_host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
}

/// `host.arch` and `os.type` as the semantic conventions spell them (`amd64`,
/// `arm64`, `darwin`), over the host detector's Rust names (`x86_64`, `aarch64`)
/// and in place of the OS detector's (`macos`): a backend's filter on the
/// conventions' values missed every Rust service. A platform the conventions do
/// not list keeps Rust's name.
#[derive(Debug)]
struct ConventionalPlatform;

impl ResourceDetector for ConventionalPlatform {
    fn detect(&self) -> Resource {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "arm" => "arm32",
            "powerpc" => "ppc32",
            "powerpc64" => "ppc64",
            other => other,
        };
        let os = match std::env::consts::OS {
            "macos" => "darwin",
            "dragonfly" => "dragonflybsd",
            "illumos" => "solaris",
            other => other,
        };
        Resource::builder_empty()
            .with_attributes([
                KeyValue::new("host.arch", arch),
                KeyValue::new("os.type", os),
            ])
            .build()
    }
}

/// The process detector's attributes but the command's arguments
/// (`process.command_args`), which can hold secrets (a password passed as a flag)
/// and would go with every span to the collector: the executable's name and how
/// many arguments there were instead (`process.executable.name`,
/// `process.args_count`). `OTEL_RESOURCE_ATTRIBUTES` can add what else is wanted.
#[derive(Debug)]
struct ProcessWithoutArguments;

impl ResourceDetector for ProcessWithoutArguments {
    fn detect(&self) -> Resource {
        let detected = ProcessResourceDetector.detect();
        let kept = attributes(&detected)
            .filter(|attribute| attribute.key.as_str() != "process.command_args");
        let arguments = i64::try_from(std::env::args_os().count()).unwrap_or(i64::MAX);
        let executable = Some(executable_name())
            .filter(|name| !name.is_empty())
            .map(|name| KeyValue::new("process.executable.name", name));
        Resource::builder_empty()
            .with_attributes(
                kept.chain(executable)
                    .chain([KeyValue::new("process.args_count", arguments)]),
            )
            .build()
    }
}

/// The conventions' default service name: `unknown_service:` and the
/// executable's name, or `unknown_service` alone when the name is not known.
fn unknown_service(executable: &str) -> String {
    if executable.is_empty() {
        "unknown_service".to_owned()
    } else {
        format!("unknown_service:{executable}")
    }
}

/// The file name of this process's executable, empty when it cannot be known.
fn executable_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|path| {
            path.file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::host_attributes;
    use opentelemetry::KeyValue;
    use opentelemetry_sdk::Resource;

    #[test]
    fn a_container_id_under_kubernetes_is_the_one_its_cgroup_names() {
        let id = "3c1d3b8d2a0f4e6b9c7d5e3f1a2b4c6d8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b";
        let container = Resource::builder_empty()
            .with_attributes([KeyValue::new("container.id", id)])
            .build();
        let v1 = format!("12:memory:/kubepods/burstable/pod1234/{id}\n");
        assert!(super::names_the_container(&container, &v1));
        // cgroup v2: the id came from the hostname file's mount, the sandbox's.
        assert!(!super::names_the_container(&container, "0::/\n"));
        assert!(!super::names_the_container(
            &Resource::builder_empty().build(),
            &v1
        ));
        assert!(super::in_a_cgroup_namespace("0::/\n"));
        assert!(!super::in_a_cgroup_namespace(
            "0::/user.slice/user-1000.slice/session-3.scope\n"
        ));
        assert!(!super::in_a_cgroup_namespace(""));
    }

    #[test]
    fn an_empty_service_name_is_none() {
        let resource = super::resource(vec![KeyValue::new("service.name", "")]);
        let name = resource
            .get(&opentelemetry::Key::from_static_str("service.name"))
            .map(|name| name.as_str().into_owned());
        assert!(
            name.as_deref()
                .is_some_and(|name| name.starts_with("unknown_service")),
            "{name:?}"
        );
    }

    #[test]
    fn the_configured_attributes_win_over_every_detected_one() {
        let resource = super::resource(vec![
            KeyValue::new("service.instance.id", "pinned"),
            KeyValue::new("host.arch", "custom"),
            KeyValue::new("os.type", "custom"),
            KeyValue::new("process.pid", "custom"),
        ]);
        for key in ["service.instance.id", "host.arch", "os.type", "process.pid"] {
            let value = resource.get(&opentelemetry::Key::from_static_str(key));
            assert!(
                matches!(&value, Some(value) if value.as_str() == "custom" || value.as_str() == "pinned"),
                "{key}: {value:?}"
            );
        }
        // And a detected one is there where nothing was configured.
        let detected = super::resource(Vec::new());
        let id = detected.get(&opentelemetry::Key::from_static_str("service.instance.id"));
        assert!(
            id.as_ref().is_some_and(|id| id.as_str().len() == 36),
            "{id:?}"
        );
    }

    #[test]
    fn a_containers_host_has_no_machine_id_and_nothing_empty() {
        let detected = || {
            [
                KeyValue::new("host.id", "0123abcd"),
                KeyValue::new("host.arch", "x86_64"),
                KeyValue::new("host.name", "shop-7d9f"),
            ]
            .into_iter()
        };
        let keys = |kept: Vec<KeyValue>| -> Vec<String> {
            kept.iter().map(|kv| kv.key.to_string()).collect()
        };
        assert_eq!(
            keys(host_attributes(detected(), false, || None)),
            ["host.id", "host.arch", "host.name"]
        );
        assert_eq!(
            keys(host_attributes(detected(), true, || None)),
            ["host.arch", "host.name"]
        );
        // An empty machine id, and no `hostname` command: the kernel's name.
        let kept = host_attributes(
            [
                KeyValue::new("host.id", ""),
                KeyValue::new("host.arch", "x86_64"),
            ]
            .into_iter(),
            false,
            || Some("shop-7d9f".to_owned()),
        );
        assert_eq!(
            kept,
            [
                KeyValue::new("host.arch", "x86_64"),
                KeyValue::new("host.name", "shop-7d9f")
            ]
        );
        // Nor an empty name from the kernel.
        assert_eq!(
            keys(host_attributes(std::iter::empty(), false, || Some(
                String::new()
            ))),
            Vec::<String>::new()
        );
    }

    #[test]
    fn the_default_service_name_names_the_executable_where_it_is_known() {
        assert_eq!(super::unknown_service("shop"), "unknown_service:shop");
        assert_eq!(super::unknown_service(""), "unknown_service");
    }
}
