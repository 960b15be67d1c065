"""AIP-134 updates: apply the fields a field mask names, refusing the ones a caller may not set."""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message

from grantflow_runtime.errors import Violations

M = TypeVar("M", bound=Message)


def apply_mask(current: M, patch: M, mask: FieldMask, *, settable: Collection[str]) -> M:
    """A copy of `current` with the masked top-level fields taken from `patch`; an empty mask means
    every settable field. Unknown or server-owned paths are INVALID_ARGUMENT, naming each one."""
    paths = list(mask.paths) or sorted(settable)
    v = Violations()
    fields = current.DESCRIPTOR.fields_by_name
    for i, path in enumerate(paths):
        if path not in fields:
            v.add(f"update_mask.paths[{i}]", f"{path!r} is not a field", "unknown_field")
        elif path not in settable:
            v.add(
                f"update_mask.paths[{i}]", f"{path!r} cannot be changed by this method", "immutable"
            )
    v.raise_if_any()
    merged = type(current)()
    merged.CopyFrom(current)
    FieldMask(paths=paths).MergeMessage(
        patch, merged, replace_message_field=True, replace_repeated_field=True
    )
    return merged
