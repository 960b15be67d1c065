"""The Kubernetes manifests, checked without a cluster: every overlay renders with the kustomize
built into kubectl, every object is valid against the Kubernetes API schemas (strict: an unknown
or misspelt field fails), and the rules we deploy by hold in code rather than in review."""

from __future__ import annotations

import os
import re
import subprocess
from functools import cache
from pathlib import Path

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from grantflow_runtime.config import DEFAULT_GRPC_PORTS
from grantflow_runtime.natsserver import binary as nats_binary

from tests.deploy.manifests import (
    IMAGE_USER,
    OVERLAYS,
    SERVICES,
    SETTING_NAMES,
    Object,
    by_kind,
    cpu,
    generated,
    health_names,
    is_grantflow,
    kubectl,
    memory,
    nats_conf_value,
    nats_routes,
    pods,
    render,
)

pytestmark = pytest.mark.skipif(
    kubectl() is None,
    reason="kubectl not installed: its built-in kustomize renders the overlays offline",
)

# The oldest Kubernetes we support (native gRPC probes, the preStop sleep action) and the newest
# schemas kubernetes-validate ships, so a field removed upstream shows up before an upgrade.
KUBERNETES_VERSIONS = ("1.32.0", kubernetes_validate.latest_version() + ".0")
# The one Secret the manifests use but never contain in production: made by the operator.
EXTERNAL_SECRET = "grantflow-secrets"
WORKLOADS = (*SERVICES, "gateway")


@cache
def rendered(overlay: str) -> tuple[Object, ...]:
    return tuple(render(OVERLAYS[overlay]))


@pytest.fixture(params=sorted(OVERLAYS))
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def objects(overlay: str) -> list[Object]:
    return list(rendered(overlay))


def settings_of(objects: list[Object]) -> dict[str, str]:
    data: dict[str, str] = generated(objects, "ConfigMap", "grantflow-settings")["data"]
    return data


def test_every_object_is_valid_for_the_kubernetes_api(objects: list[Object]) -> None:
    for version in KUBERNETES_VERSIONS:
        for obj in objects:
            where = f"{obj['kind']}/{obj['metadata']['name']} (Kubernetes {version})"
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{where}: {exc.message} at {'/'.join(map(str, exc.path))}")


def test_renders_what_each_environment_needs(overlay: str, objects: list[Object]) -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    for name in WORKLOADS:
        assert ("Deployment", name) in kinds and ("Service", name) in kinds, name
    assert {("StatefulSet", "nats"), ("Service", "nats-headless")} <= kinds
    namespaces = {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"}
    (namespace,) = namespaces
    assert ("Namespace", namespace) in kinds
    if overlay == "production":
        # No secrets in the repository, and no database pretending to be production's.
        assert not [o for o in objects if o["kind"] == "Secret"]
        assert ("StatefulSet", "postgres") not in kinds
    else:
        assert ("StatefulSet", "postgres") in kinds


def test_services_have_native_grpc_probes_on_their_registered_health_names(
    objects: list[Object],
) -> None:
    names = health_names()
    deployments = {p.name: p for p in pods(objects) if p.kind == "Deployment"}
    for service in SERVICES:
        (container,) = deployments[service].spec["containers"]
        port = container["ports"][0]["containerPort"]
        # The manifests leave GRANTFLOW_<SERVICE>_GRPC_PORT at its default: that is the port.
        assert port == DEFAULT_GRPC_PORTS[service], service
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            grpc = container[probe]["grpc"]
            assert grpc == {"port": port, "service": names[service]}, (service, probe)
        assert container["command"] == [f"grantflow-{service}"]


def test_the_gateway_has_http_probes(objects: list[Object]) -> None:
    (gateway,) = [p for p in pods(objects) if p.name == "gateway"]
    (container,) = gateway.spec["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]
    assert settings_of(objects)["GRANTFLOW_GATEWAY_PORT"] == "8080"


def test_every_container_has_requests_and_limits(objects: list[Object]) -> None:
    for pod in pods(objects):
        for container in pod.containers():
            where = f"{pod.name}/{container['name']}"
            resources = container.get("resources", {})
            for kind in ("cpu", "memory"):
                request = resources.get("requests", {}).get(kind)
                limit = resources.get("limits", {}).get(kind)
                assert request is not None and limit is not None, f"{where}: {kind}"
                parse = cpu if kind == "cpu" else memory
                assert parse(request) <= parse(limit), f"{where}: {kind} request over limit"


def test_every_pod_meets_the_restricted_pod_security_standard(objects: list[Object]) -> None:
    for pod in pods(objects):
        pod_context = pod.spec.get("securityContext", {})
        assert pod_context.get("seccompProfile") == {"type": "RuntimeDefault"}, pod.name
        assert pod.spec.get("automountServiceAccountToken") is False, pod.name
        assert not pod.spec.get("hostNetwork") and not pod.spec.get("hostPID"), pod.name
        for container in pod.containers():
            where = f"{pod.name}/{container['name']}"
            context = container.get("securityContext", {})
            assert (context.get("runAsNonRoot") or pod_context.get("runAsNonRoot")) is True, where
            user = context.get("runAsUser", pod_context.get("runAsUser"))
            assert isinstance(user, int) and user > 0, where
            if is_grantflow(container):
                assert user == IMAGE_USER, f"{where}: not the image's user"
            assert context.get("readOnlyRootFilesystem") is True, where
            assert context.get("allowPrivilegeEscalation") is False, where
            assert context.get("capabilities") == {"drop": ["ALL"]}, where
    for namespace in by_kind(objects, "Namespace").values():
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_images_are_pinned(objects: list[Object]) -> None:
    for pod in pods(objects):
        for container in pod.containers():
            image = container["image"]
            reference, _, digest = image.partition("@")
            tag = reference.rsplit("/", 1)[-1].partition(":")[2]
            where = f"{pod.name}/{container['name']}: {image}"
            assert tag or digest, f"{where} names no version"
            assert tag != "latest", where


def test_grantflow_containers_set_only_known_settings(objects: list[Object]) -> None:
    config_maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}
    settings = settings_of(objects)
    assert set(settings) <= SETTING_NAMES, set(settings) - SETTING_NAMES
    for pod in pods(objects):
        for container in pod.containers():
            if not is_grantflow(container):
                continue
            where = f"{pod.name}/{container['name']}"
            names = {e["name"] for e in container.get("env", [])}
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef") or source.get("secretRef")
                assert ref is not None, where
                if "configMapRef" in source:
                    names |= set(config_maps[ref["name"]]["data"])
            unknown = names - SETTING_NAMES
            assert not unknown, f"{where} sets what no GRANTFLOW setting reads: {unknown}"


def test_each_workload_gets_only_its_own_secrets(objects: list[Object]) -> None:
    wanted = {
        **{s: {f"GRANTFLOW_{s.upper()}_DATABASE_URL"} for s in SERVICES},
        "gateway": {"GRANTFLOW_AUTH_SECRET"},
    }
    for pod in pods(objects):
        if pod.name not in wanted:
            continue
        for container in pod.containers():
            secret_keys = {
                e["valueFrom"]["secretKeyRef"]["key"]
                for e in container.get("env", [])
                if "secretKeyRef" in e.get("valueFrom", {})
            }
            assert secret_keys == wanted[pod.name], (pod.name, container["name"])
            assert not [s for s in container.get("envFrom", []) if "secretRef" in s]


def test_every_reference_resolves(overlay: str, objects: list[Object]) -> None:
    config_maps = set(by_kind(objects, "ConfigMap"))
    secrets = set(by_kind(objects, "Secret"))
    if overlay == "production":
        secrets.add(EXTERNAL_SECRET)
    for pod in pods(objects):
        refs: list[tuple[str, str]] = []
        for container in pod.containers():
            for env in container.get("env", []):
                source = env.get("valueFrom", {})
                if "secretKeyRef" in source:
                    refs.append(("Secret", source["secretKeyRef"]["name"]))
                if "configMapKeyRef" in source:
                    refs.append(("ConfigMap", source["configMapKeyRef"]["name"]))
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    refs.append(("ConfigMap", source["configMapRef"]["name"]))
                if "secretRef" in source:
                    refs.append(("Secret", source["secretRef"]["name"]))
        for volume in pod.spec.get("volumes", []):
            if "configMap" in volume:
                refs.append(("ConfigMap", volume["configMap"]["name"]))
            if "secret" in volume:
                refs.append(("Secret", volume["secret"]["secretName"]))
        for kind, name in refs:
            known = config_maps if kind == "ConfigMap" else secrets
            assert name in known, f"{pod.name} refers to missing {kind} {name}"
    # Every Service reaches a workload, on a port its containers declare.
    for service in by_kind(objects, "Service").values():
        selector = service["spec"]["selector"]
        targets = [p for p in pods(objects) if selector.items() <= p.labels.items()]
        assert targets, f"Service {service['metadata']['name']} selects nothing"
        declared = {
            port.get("name")
            for p in targets
            for c in p.containers(init=False)
            for port in c.get("ports", [])
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in declared, (service["metadata"]["name"], port)


def test_addresses_and_migrations_point_at_the_right_places(objects: list[Object]) -> None:
    settings = settings_of(objects)
    services = by_kind(objects, "Service")
    for name in SERVICES:
        host, port = settings[f"GRANTFLOW_{name.upper()}_ADDR"].split(":")
        assert host in services and int(port) in [
            p["port"] for p in services[host]["spec"]["ports"]
        ]
    for pod in pods(objects):
        if pod.name in SERVICES:
            (init,) = pod.spec["initContainers"]
            assert init["command"] == ["python", "/opt/grantflow/deploy/migrate.py", pod.name]
            (main,) = pod.spec["containers"]
            assert init["image"] == main["image"], "the rollout step runs the same code"
            # Stopping: preStop sleep, then the configured grace, then bounded steps.
            grace = pod.spec["terminationGracePeriodSeconds"]
            sleep = main["lifecycle"]["preStop"]["sleep"]["seconds"]
            assert grace >= sleep + float(settings["GRANTFLOW_SHUTDOWN_GRACE_S"]) + 20, pod.name


def test_nats_cluster_matches_the_stream_replicas(overlay: str, objects: list[Object]) -> None:
    settings = settings_of(objects)
    nats = by_kind(objects, "StatefulSet")["nats"]
    nodes = nats["spec"]["replicas"]
    replicas = int(settings["GRANTFLOW_STREAM_REPLICAS"])
    assert replicas == nodes == (3 if overlay == "production" else 1)
    # Clients know every node; the nodes route to every node.
    urls = settings["GRANTFLOW_NATS_URL"].split(",")
    assert urls == [f"nats://nats-{i}.nats-headless:4222" for i in range(nodes)]
    conf = generated(objects, "ConfigMap", "nats-config")["data"]["nats.conf"]
    if nodes > 1:
        assert nats_routes(conf) == [f"nats://nats-{i}.nats-headless:6222" for i in range(nodes)]
        assert nats["spec"]["podManagementPolicy"] == "Parallel"
        assert by_kind(objects, "Service")["nats-headless"]["spec"]["publishNotReadyAddresses"]
    assert nats_conf_value(conf, "sync_interval") == "always"
    # The stream and its dead letters fit each node's store, and the store fits its volume.
    stream = int(settings["GRANTFLOW_STREAM_MAX_GIB"]) * 2**30
    store = memory(nats_conf_value(conf, "max_file_store"))
    assert stream + max(stream // 10, 64 * 2**20) <= store
    (claim,) = nats["spec"]["volumeClaimTemplates"]
    assert store < memory(claim["spec"]["resources"]["requests"]["storage"])
    budget = by_kind(objects, "PodDisruptionBudget")["nats"]
    assert budget["spec"]["maxUnavailable"] == 1


def test_nats_configuration_is_accepted_by_nats_server(
    objects: list[Object], tmp_path: Path
) -> None:
    conf = tmp_path / "nats.conf"
    conf.write_text(generated(objects, "ConfigMap", "nats-config")["data"]["nats.conf"])
    done = subprocess.run(
        [nats_binary(), "-t", "-c", str(conf)],
        env={**os.environ, "POD_NAME": "nats-0"},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_production_scales_and_survives_disruptions() -> None:
    objects = list(rendered("production"))
    deployments = by_kind(objects, "Deployment")
    budgets = by_kind(objects, "PodDisruptionBudget")
    autoscalers = {
        h["spec"]["scaleTargetRef"]["name"]: h
        for h in by_kind(objects, "HorizontalPodAutoscaler").values()
    }
    for name in WORKLOADS:
        # The autoscaler owns the count: a fixed one would be reset on every apply.
        assert "replicas" not in deployments[name]["spec"], name
        scaler = autoscalers[name]["spec"]
        assert scaler["minReplicas"] >= 2 and scaler["maxReplicas"] > scaler["minReplicas"], name
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        covering = [
            b
            for b in budgets.values()
            if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert covering and covering[0]["spec"]["minAvailable"] < scaler["minReplicas"], name
        rollout = deployments[name]["spec"]["strategy"]["rollingUpdate"]
        assert rollout["maxUnavailable"] == 0, name


def test_image_placeholders_are_all_replaced(objects: list[Object]) -> None:
    images = {c["image"] for p in pods(objects) for c in p.containers()}
    assert not [i for i in images if re.fullmatch(r"grantflow", i)]
    grantflow = {i for i in images if "grantflow" in i}
    assert len(grantflow) == 1, f"one image for every Grantflow process, got {grantflow}"
