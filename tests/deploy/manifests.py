"""Reading the deployment files the way their consumers do: kustomize overlays rendered by
`kubectl kustomize`, the compose file as YAML, the Dockerfile's instructions, plus the facts the
checks compare them with (settings, health service names, ports)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from grantflow_runtime.config import DEFAULT_GRPC_PORTS, SETTINGS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = {
    "dev": DEPLOY / "k8s" / "overlays" / "dev",
    "production": DEPLOY / "k8s" / "overlays" / "production",
}
SETTING_NAMES = frozenset(s.name for s in SETTINGS)
SERVICES = tuple(DEFAULT_GRPC_PORTS)
IMAGE_USER = 10001  # the Dockerfile's USER

Object = dict[str, Any]


def kubectl() -> str | None:
    return shutil.which("kubectl")


def render(overlay: Path) -> list[Object]:
    """`kubectl kustomize`: the built-in kustomize, offline, exactly what `kubectl apply -k` sends."""
    binary = kubectl()
    assert binary is not None
    done = subprocess.run(
        [binary, "kustomize", str(overlay)], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def health_names() -> dict[str, str]:
    """The name each service registers with the gRPC health service (its full service name)."""
    from grantflow_applications.app import SERVICE_NAME as applications
    from grantflow_impact.app import SERVICE_NAME as impact
    from grantflow_scoring.app import SERVICE_NAME as scoring

    return {"applications": applications, "scoring": scoring, "impact": impact}


@dataclass(frozen=True)
class Pod:
    """The pod template of a workload, with where it came from."""

    kind: str
    name: str
    spec: Object
    labels: dict[str, str]

    def containers(self, *, init: bool = True) -> Iterator[Object]:
        yield from self.spec.get("containers", [])
        if init:
            yield from self.spec.get("initContainers", [])


def pods(objects: list[Object]) -> list[Pod]:
    found = []
    for obj in objects:
        if obj["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
            template = obj["spec"]["template"]
            found.append(
                Pod(
                    obj["kind"],
                    obj["metadata"]["name"],
                    template["spec"],
                    template["metadata"].get("labels", {}),
                )
            )
    return found


def by_kind(objects: list[Object], kind: str) -> dict[str, Object]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def generated(objects: list[Object], kind: str, base_name: str) -> Object:
    """A generator's object, whatever hash kustomize appended to its name."""
    (found,) = [
        o
        for o in objects
        if o["kind"] == kind
        and re.fullmatch(rf"{base_name}(-[a-z0-9]{{10}})?", o["metadata"]["name"])
    ]
    return found


def is_grantflow(container: Object) -> bool:
    return "grantflow" in container["image"].rsplit("/", 1)[-1].split(":")[0]


_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$")
_MEMORY_UNITS = {
    None: 1,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def cpu(quantity: str | int) -> float:
    match = _CPU.match(str(quantity))
    assert match, f"not a CPU quantity: {quantity!r}"
    return float(match[1]) / (1000 if match[2] else 1)


def memory(quantity: str | int) -> int:
    """Bytes, for Kubernetes quantities and the sizes NATS configuration takes (16G, 1536M)."""
    match = _MEMORY.match(str(quantity))
    assert match, f"not a memory quantity: {quantity!r}"
    return int(float(match[1]) * _MEMORY_UNITS[match[2]])


def nats_conf_value(conf: str, key: str) -> str:
    match = re.search(rf"^\s*{key}\s*:\s*(\S+)\s*$", conf, re.MULTILINE)
    assert match, f"{key} not in the NATS configuration"
    return match[1]


def nats_routes(conf: str) -> list[str]:
    block = re.search(r"routes\s*:\s*\[(.*?)\]", conf, re.DOTALL)
    if block is None:
        return []
    lines = (line.split("#", 1)[0].strip().strip(",") for line in block[1].splitlines())
    return [line for line in lines if line]


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined]
