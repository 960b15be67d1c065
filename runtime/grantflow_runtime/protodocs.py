"""The comments written in protos/, by message and field, for documents generated from the protos.

The generated Python code carries no source information, so the comments are read by compiling
the .proto files again (with grpc_tools' protoc, a development dependency) keeping source info. This is
for generators run in a checkout of the repository, such as the AsyncAPI document's.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2

PROTOS = Path(__file__).resolve().parents[2] / "protos"

# Field numbers in descriptor.proto: FileDescriptorProto.message_type, DescriptorProto.field.
_MESSAGE_TYPE = 4
_FIELD = 2


def proto_comments(package_dir: str, protos: Path = PROTOS) -> dict[str, str]:
    """Leading comments of the messages and fields in `protos/<package_dir>/*.proto`, keyed by
    full name (`grantflow.events.v1.AwardDecided`, `grantflow.events.v1.AwardDecided.rank`)."""
    sources = sorted(str(p.relative_to(protos)) for p in (protos / package_dir).glob("*.proto"))
    if not sources:
        raise FileNotFoundError(f"no .proto files in {protos / package_dir}")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "descriptors.bin"
        # In a process of its own: grpc_tools' compiler aborts when loaded beside some protobuf
        # modules that a test run or a service has already imported. Its `__main__` adds the
        # well-known types to the include path.
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "grpc_tools.protoc",
                f"-I{protos}",
                "--include_source_info",
                f"--descriptor_set_out={out}",
                *sources,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"protoc failed on {package_dir}: {done.stderr.strip()}")
        files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    found: dict[str, str] = {}
    for file in files.file:
        for location in file.source_code_info.location:
            path = list(location.path)
            text = _clean(location.leading_comments)
            if not text or path[:1] != [_MESSAGE_TYPE]:
                continue
            message = file.message_type[path[1]]
            name = f"{file.package}.{message.name}"
            if len(path) == 2:
                found[name] = text
            elif len(path) == 4 and path[2] == _FIELD:
                found[f"{name}.{message.field[path[3]].name}"] = text
    return found


def _clean(comment: str) -> str:
    return " ".join(line.strip() for line in comment.strip().splitlines())
