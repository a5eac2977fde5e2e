//! The table of workload kinds: where each keeps its pod spec, and whether the live
//! trigger controller watches it (openshift-reference.md section 3).

/// What streampin knows about one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    /// `kind`.
    pub kind: &'static str,
    /// API versions library-go knows for it.
    pub api_versions: &'static [&'static str],
    /// Path from the object to its pod spec.
    pub pod_spec: &'static [&'static str],
    /// Whether openshift-controller-manager feeds this kind to the annotation reactor.
    pub watched: bool,
    /// Whether the pod template is optional (a pointer in the Go type).
    pub template_optional: bool,
    /// Resource plural, as `oc` prints it (`deployments`).
    pub plural: &'static str,
}

const TEMPLATE_SPEC: &[&str] = &["spec", "template", "spec"];

/// Kinds whose pod spec library-go can find (`GetPodSpecV1`).
pub const KINDS: &[KindInfo] = &[
    KindInfo {
        kind: "Deployment",
        api_versions: &[
            "apps/v1",
            "apps/v1beta1",
            "apps/v1beta2",
            "extensions/v1beta1",
        ],
        pod_spec: TEMPLATE_SPEC,
        watched: true,
        template_optional: false,
        plural: "deployments",
    },
    KindInfo {
        kind: "DaemonSet",
        api_versions: &["apps/v1", "apps/v1beta2", "extensions/v1beta1"],
        pod_spec: TEMPLATE_SPEC,
        watched: true,
        template_optional: false,
        plural: "daemonsets",
    },
    KindInfo {
        kind: "StatefulSet",
        api_versions: &["apps/v1", "apps/v1beta1", "apps/v1beta2"],
        pod_spec: TEMPLATE_SPEC,
        watched: true,
        template_optional: false,
        plural: "statefulsets",
    },
    KindInfo {
        kind: "CronJob",
        api_versions: &["batch/v1", "batch/v1beta1"],
        pod_spec: &["spec", "jobTemplate", "spec", "template", "spec"],
        watched: true,
        template_optional: false,
        plural: "cronjobs",
    },
    KindInfo {
        kind: "Job",
        api_versions: &["batch/v1"],
        pod_spec: TEMPLATE_SPEC,
        watched: false,
        template_optional: false,
        plural: "jobs",
    },
    KindInfo {
        kind: "ReplicaSet",
        api_versions: &["apps/v1", "apps/v1beta2", "extensions/v1beta1"],
        pod_spec: TEMPLATE_SPEC,
        watched: false,
        template_optional: false,
        plural: "replicasets",
    },
    KindInfo {
        kind: "ReplicationController",
        api_versions: &["v1"],
        pod_spec: TEMPLATE_SPEC,
        watched: false,
        template_optional: true,
        plural: "replicationcontrollers",
    },
    KindInfo {
        kind: "Pod",
        api_versions: &["v1"],
        pod_spec: &["spec"],
        watched: false,
        template_optional: false,
        plural: "pods",
    },
    KindInfo {
        kind: "PodTemplate",
        api_versions: &["v1"],
        pod_spec: &["template", "spec"],
        watched: false,
        template_optional: false,
        plural: "podtemplates",
    },
    KindInfo {
        kind: "DeploymentConfig",
        api_versions: &["apps.openshift.io/v1", "v1"],
        pod_spec: TEMPLATE_SPEC,
        watched: false,
        template_optional: true,
        plural: "deploymentconfigs",
    },
];

/// Look a kind up by `apiVersion` and `kind`.
pub fn lookup(api_version: &str, kind: &str) -> Option<&'static KindInfo> {
    KINDS
        .iter()
        .find(|k| k.kind == kind && k.api_versions.contains(&api_version))
}

/// The dotted pod spec path with a trailing dot: the fieldPath base.
pub fn base_path(info: &KindInfo) -> String {
    let mut s = info.pod_spec.join(".");
    s.push('.');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases() {
        assert_eq!(
            base_path(lookup("batch/v1", "CronJob").unwrap()),
            "spec.jobTemplate.spec.template.spec."
        );
        assert_eq!(base_path(lookup("v1", "Pod").unwrap()), "spec.");
        assert!(lookup("apps/v2", "Deployment").is_none());
    }
}
