"""The Kubernetes kit in ops/k8s: it renders with `kubectl kustomize`, every object validates
against the pinned Kubernetes version's schemas, and the pods meet the policy (non-root,
read-only, limits, probes on the distinct health endpoints, pinned images)."""

import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from catsdogs import config

from catsdogs import server
from tests.delivery.engine import ROOT

KIT = ROOT / "ops" / "k8s"
KUSTOMIZATIONS = ["base", "overlays/production", "prometheus-adapter"]
KUBERNETES = "1.33.0"  # the oldest minor release still supported upstream when this was pinned
LIVENESS, READINESS = "/health/live", "/health/ready"
SECRET_SETTINGS = {"DATABASE_URL", "SECRET_KEY", "API_TOKENS", "DISCORD_WEBHOOK_URL"}
# Read by libraries rather than catsdogs.config: mlflow reads its tracking URI itself.
LIBRARY_SETTINGS = {"MLFLOW_TRACKING_URI"}


def render(kustomization: str) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is not installed: ops/install-test-tools.sh installs it")
    result = subprocess.run(
        [kubectl, "kustomize", str(KIT / kustomization)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=KUSTOMIZATIONS)
def objects(request) -> list[dict]:
    return render(request.param)


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def pod_specs(objects: list[dict]) -> list[tuple[str, dict]]:
    specs = [(d["metadata"]["name"], d["spec"]["template"]) for d in of_kind(objects, "Deployment")]
    specs += [
        (c["metadata"]["name"], c["spec"]["jobTemplate"]["spec"]["template"])
        for c in of_kind(objects, "CronJob")
    ]
    return specs


def test_every_object_validates_against_the_pinned_kubernetes(objects):
    for item in objects:
        # strict: an unknown or misspelt field is an error, not silently dropped by the server
        kubernetes_validate.validate(item, KUBERNETES, strict=True)


def test_the_production_overlay_has_everything_the_service_needs():
    objects = render("overlays/production")
    kinds = {o["kind"] for o in objects}
    assert {
        "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
        "NetworkPolicy", "ConfigMap", "CronJob", "Namespace",
    } <= kinds  # fmt: skip
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {
        "catsdogs"
    }
    (deployment,) = of_kind(objects, "Deployment")
    assert deployment["spec"]["replicas"] >= 2
    (hpa,) = of_kind(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    metrics = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert metrics["Resource"]["resource"]["name"] == "cpu"
    assert metrics["Pods"]["pods"]["metric"]["name"] == "catsdogs_http_requests_per_second"
    (adapter,) = render("prometheus-adapter")
    assert "as: catsdogs_http_requests_per_second" in adapter["data"]["config.yaml"]
    external = {
        s["metadata"]["name"]
        for s in of_kind(objects, "Service")
        if s["spec"]["type"] == "ExternalName"
    }
    assert external == {"postgres", "redis", "mlflow"}


def test_services_budgets_and_policies_select_the_deployments_pods(objects):
    for deployment in of_kind(objects, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        selected = [
            *(
                s["spec"]["selector"]
                for s in of_kind(objects, "Service")
                if "selector" in s["spec"]
            ),
            *(
                p["spec"]["selector"]["matchLabels"]
                for p in of_kind(objects, "PodDisruptionBudget")
            ),
            *(n["spec"]["podSelector"]["matchLabels"] for n in of_kind(objects, "NetworkPolicy")),
        ]
        assert selected, "nothing selects the Deployment's pods"
        for selector in selected:
            assert selector.items() <= labels.items(), selector
        ports = [p["containerPort"] for c in deployment["spec"]["template"]["spec"]["containers"]
                 for p in c.get("ports", [])]  # fmt: skip
        for policy in of_kind(objects, "NetworkPolicy"):
            allowed = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
            assert allowed == set(ports)


def test_egress_goes_only_to_named_destinations(objects):
    """Every way out names where to (issue 27): HTTPS never reaches private or metadata
    addresses, so an answer naming another host cannot be fetched inside the network either."""
    for policy in of_kind(objects, "NetworkPolicy"):
        rules = policy["spec"]["egress"]
        assert rules and all(rule.get("to") for rule in rules), policy["metadata"]["name"]
        for rule in rules:
            ports = {p["port"] for p in rule["ports"]}
            for block in (peer["ipBlock"] for peer in rule["to"] if "ipBlock" in peer):
                if block["cidr"] == "0.0.0.0/0":
                    assert ports == {443}
                    assert {"10.0.0.0/8", "169.254.0.0/16"} <= set(block["except"])


def test_pods_run_as_non_root_read_only_with_requests_and_limits(objects):
    specs = pod_specs(objects)
    for name, template in specs:
        pod = template["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= container["resources"][kind].keys(), (name, kind)
            # The only writable place is the instance folder (spool, TMPDIR), one per pod.
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert list(mounts) == ["/app/instance"], name
            (volume,) = [v for v in pod["volumes"] if v["name"] == mounts["/app/instance"]]
            assert "emptyDir" in volume, name


def test_web_pods_have_distinct_liveness_and_readiness_probes(objects):
    for deployment in of_kind(objects, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"]:
            assert container["livenessProbe"]["httpGet"]["path"] == LIVENESS
            assert container["readinessProbe"]["httpGet"]["path"] == READINESS
            assert container["startupProbe"]["httpGet"]["path"] == LIVENESS
        # The app drains for DRAIN_SECONDS after SIGTERM (after preStop): all within the grace.
        pre_stop = int(pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][-1])
        assert pod["terminationGracePeriodSeconds"] > server.DRAIN_SECONDS + pre_stop


def test_images_are_pinned_never_latest(objects):
    for name, template in pod_specs(objects):
        for container in template["spec"]["containers"]:
            image = container["image"]
            repository, _, tag = image.rpartition(":")
            assert repository and "/" not in tag, f"{name}: {image} has no tag"
            assert tag != "latest", f"{name}: {image}"


def test_settings_are_the_apps_and_secrets_come_from_a_secret(objects):
    known = set(config.ENVIRONMENT) | SECRET_SETTINGS | LIBRARY_SETTINGS
    assert not of_kind(objects, "Secret"), "a Secret is created by the operator, not committed"
    for config_map in of_kind(objects, "ConfigMap"):
        if config_map["metadata"]["name"].startswith("catsdogs-config"):
            assert set(config_map["data"]) <= known, set(config_map["data"]) - known
            assert not set(config_map["data"]) & SECRET_SETTINGS
    for name, template in pod_specs(objects):
        for container in template["spec"]["containers"]:
            env = {e["name"]: e for e in container.get("env", [])}
            for variable in SECRET_SETTINGS & env.keys():
                assert "secretKeyRef" in env[variable]["valueFrom"], (name, variable)
            # Nothing written inline: settings from the ConfigMap, the rest from the Secret.
            assert not [e for e in env.values() if "value" in e], name
    for deployment in of_kind(objects, "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert SECRET_SETTINGS <= {e["name"] for e in container["env"]}


@pytest.mark.parametrize("path", [LIVENESS, READINESS])
def test_the_probe_paths_are_endpoints_the_app_answers(client, path):
    answer = client.get(path)
    assert answer.status_code == 200 and answer.is_json
