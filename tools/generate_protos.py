"""Regenerate Python code and typed stubs from protos/ into gen/python (the one place it lives)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "gen" / "python"


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    sources = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    # The mypy plugins sit beside the interpreter, which need not be on PATH (make calls .venv/bin/python).
    bin_dir = Path(sys.executable).parent
    code = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTOS}",
            f"-I{well_known}",
            f"--plugin=protoc-gen-mypy={bin_dir / 'protoc-gen-mypy'}",
            f"--plugin=protoc-gen-mypy_grpc={bin_dir / 'protoc-gen-mypy_grpc'}",
            f"--python_out={OUT}",
            f"--grpc_python_out={OUT}",
            f"--mypy_out={OUT}",
            f"--mypy_grpc_out={OUT}",
            *sources,
        ]
    )
    if code != 0:
        return int(code)
    # Packages need an __init__.py so setuptools finds them and mypy sees one tree; py.typed marks the stubs.
    for folder in [OUT / "grantflow", *(p for p in (OUT / "grantflow").rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    (OUT / "grantflow" / "py.typed").touch()
    print(f"generated {len(sources)} protos into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
