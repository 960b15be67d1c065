"""The installable package (what the container image installs) carries every migration and data
file, not only what an editable install happens to find in the source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_carries_migrations_and_data(tmp_path: Path) -> None:
    leftover = not (ROOT / "build").exists()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            str(ROOT),
            "-w",
            str(tmp_path),
        ],
        check=True,
        cwd=tmp_path,
    )
    if leftover:
        # setuptools builds in the source tree; leave it as it was found.
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    (wheel,) = tmp_path.glob("grantflow-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"grantflow_runtime/alembic/env.py", "grantflow_runtime/alembic/script.py.mako"} <= names
    assert "grantflow_applications/domain/regions.csv" in names
    assert "grantflow/applications/v1/applications_service_pb2.pyi" in names
    for service in ("applications", "scoring", "impact"):
        source = {
            f"grantflow_{service}/migrations/versions/{p.name}"
            for p in (
                ROOT / "services" / service / f"grantflow_{service}" / "migrations" / "versions"
            ).glob("*.py")
        }
        assert source and source <= names, service
