"""argocd-cm resource customizations: split keys, nested YAML, wildcards, errors."""

from __future__ import annotations

import pytest

from kaiun import diff, health
from kaiun.settings import resource_customizations as rc

SEED_CM = {
    "resource.customizations.health.cert-manager.io_Certificate": 'return {status = "Healthy"}',
    "resource.customizations.useOpenLibs.cert-manager.io_Certificate": "true",
    "resource.customizations.actions.argoproj.io_Rollout": (
        "discovery.lua: |\n  return {}\ndefinitions:\n- name: resume\n  action.lua: return obj\n"
    ),
    "resource.customizations.ignoreDifferences.apps_Deployment": (
        "jsonPointers:\n- /spec/replicas\n"
    ),
    "resource.customizations.ignoreDifferences.all": (
        "managedFieldsManagers:\n- kube-controller-manager\n"
    ),
    "resource.customizations.health.ConfigMap": 'return {status = "Suspended"}',
    "resource.customizations": (
        "admissionregistration.k8s.io/MutatingWebhookConfiguration:\n"
        "  ignoreDifferences: |\n"
        "    jsonPointers:\n"
        "    - /webhooks/0/clientConfig/caBundle\n"
        '"*.aws.crossplane.io/*":\n'
        "  health.lua: |\n"
        '    return {status = "Degraded", message = "wild"}\n'
        "  health.lua.useOpenLibs: true\n"
        "apps/Deployment:\n"
        "  health.lua: return nil\n"
    ),
    "url": "https://argocd.example.com",
}


def test_split_and_nested_keys_are_merged() -> None:
    overrides = rc.parse_resource_overrides(SEED_CM)
    cert = overrides["cert-manager.io/Certificate"]
    assert cert.health_lua == 'return {status = "Healthy"}' and cert.use_open_libs
    assert overrides["ConfigMap"].health_lua.startswith("return")
    assert overrides["argoproj.io/Rollout"].parsed_actions().definitions[0].name == "resume"
    deploy = overrides["apps/Deployment"]
    assert deploy.health_lua == "return nil"  # nested, kept beside the split ignore rule
    assert deploy.ignore_differences.json_pointers == ("/spec/replicas",)
    assert overrides["*/*"].ignore_differences.managed_fields_managers == (
        "kube-controller-manager",
    )
    mwc = overrides["admissionregistration.k8s.io/MutatingWebhookConfiguration"]
    assert mwc.ignore_differences.json_pointers == ("/webhooks/0/clientConfig/caBundle",)
    assert overrides["*.aws.crossplane.io/*"].use_open_libs


def test_overrides_drive_health_with_wildcards() -> None:
    overrides = rc.parse_resource_overrides(SEED_CM)
    bucket = {"apiVersion": "s3.aws.crossplane.io/v1beta1", "kind": "Bucket", "metadata": {}}
    assert health.assess(bucket, overrides=overrides) == health.Health(
        health.HealthStatus.DEGRADED, "wild"
    )


def test_ignore_rules_and_normalizer() -> None:
    rules = rc.ignore_rules(rc.parse_resource_overrides(SEED_CM))
    by_kind = {(r.group, r.kind): r for r in rules}
    assert by_kind[("apps", "Deployment")].json_pointers == ("/spec/replicas",)
    assert by_kind[("*", "*")].managed_fields_managers == ("kube-controller-manager",)
    cm = dict(SEED_CM, **{"resource.compareoptions": "ignoreResourceStatusField: crd\n"})
    normalizer = rc.normalizer(cm)
    assert normalizer.ignore_status == "crd"
    config = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "w"},
        "spec": {"replicas": 1},
    }
    live = {**config, "spec": {"replicas": 4}}
    assert not diff.diff(config, live, normalizer=normalizer).modified


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"resource.customizations": "- a\n- b\n"}, "mapping keyed by group/Kind"),
        ({"resource.customizations": "apps/Deployment: oops\n"}, "must be a mapping"),
        (
            {"resource.customizations.ignoreDifferences.apps_Deployment": "jsonPointers: [x]"},
            "must start with '/'",
        ),
        ({"resource.customizations.ignoreDifferences.all": "a: [b"}, "not valid YAML"),
        ({"resource.customizations.knownTypeFields.apps_Deployment": "field: x"}, "list of field"),
        ({"resource.compareoptions": "- x"}, "must be a YAML mapping"),
    ],
)
def test_bad_customizations_say_what_is_wrong(data: dict[str, str], message: str) -> None:
    with pytest.raises(rc.ResourceCustomizationsError, match=message):
        rc.parse_resource_overrides(data)
        rc.compare_options(data)


def test_key_from_group_kind() -> None:
    assert rc.key_from_group_kind("apps_Deployment") == "apps/Deployment"
    assert rc.key_from_group_kind("Service") == "Service"
    assert rc.key_from_group_kind("all") == "*/*"
    assert rc.key_from_group_kind("cert-manager.io_Certificate") == "cert-manager.io/Certificate"
