"""Hypothesis strategies for protobuf messages, built from their descriptors: any request of any
method can be generated without writing a strategy per message.

Scalars lean on edge values (the limits of each integer type, NaN and infinities, empty and
over-long strings, NUL, right-to-left overrides, emoji and combining marks, decimals no parser
should take); strings named like ids, codes and INNs draw half the time from a vocabulary of real
ones, so a request gets past "not found" to the checks behind it. Nested messages stop at a depth,
repeated fields at a few items. Timestamps and dates get their own edges (the ends of the valid
range and beyond it), and field masks name fields of the request's resources, real or not.

Two shapes of request come out: a message built from nothing, and a valid request (a baseline)
with a few fields, at any depth, replaced or cleared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from grantflow_gateway.translate import message_class
from hypothesis import strategies as st

from tests.security.grpc_surface import descriptor_of

# Proto strings must be valid UTF-8: lone surrogates cannot be sent at all.
_TEXT = st.characters(exclude_categories=["Cs"])
EDGE_TEXTS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202eevil.exe",
    "\u200f\u200e",
    "\ufeff",
    "🙂",
    "👩‍👩‍👧‍👦",
    "e\u0301\u0301\u0301",
    "Ⅻ",
    "١٢٣",
    "𝟙𝟚𝟛",
    "\r\n\t",
    "'; DROP TABLE applications; --",
    "../../etc/passwd",
    "%s%n{0}",
    "NaN",
    "Infinity",
    "-0",
    "1e999",
    "0.000000000000000000001",
    "99999999999999999999999999",
    "1_000",
    " 12 ",
    '=HYPERLINK("http://x")',
    "x" * 65,
    "x" * 301,
    "Я" * 1001,
    "x" * 5001,
    "x" * 20_001,
)
_INT_EDGES = {
    FieldDescriptor.TYPE_INT32: (0, 1, -1, 2, 12, 13, 500, 501, 2**31 - 1, -(2**31)),
    FieldDescriptor.TYPE_SINT32: (0, 1, -1, 2**31 - 1, -(2**31)),
    FieldDescriptor.TYPE_SFIXED32: (0, 1, -1, 2**31 - 1, -(2**31)),
    FieldDescriptor.TYPE_UINT32: (0, 1, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 1, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: (0, 1, -1, 100, 10**15, 10**18, 2**63 - 1, -(2**63)),
    FieldDescriptor.TYPE_SINT64: (0, 1, -1, 2**63 - 1, -(2**63)),
    FieldDescriptor.TYPE_SFIXED64: (0, 1, -1, 2**63 - 1, -(2**63)),
    FieldDescriptor.TYPE_UINT64: (0, 1, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 1, 2**64 - 1),
}
_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
# 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range a Timestamp may hold.
TIMESTAMP_MIN, TIMESTAMP_MAX = -62_135_596_800, 253_402_300_799
_TIMESTAMP_EDGES = (
    0,
    TIMESTAMP_MIN,
    TIMESTAMP_MAX,
    TIMESTAMP_MIN - 1,
    TIMESTAMP_MAX + 1,
    2**40,
    -(2**40),
    1_893_456_000,  # 2030-01-01
)
_MASK_JUNK = ("", "no_such_field", "a.b", "id", "state", "update_time", "owner", "*")
_PAGE_TOKENS = ("", "!!!", "e30=", "eyJhZnRlciI6WzFdLCJmaWx0ZXJzIjp7fX0=", "eyJhZnRlciI6")


@dataclass(frozen=True)
class Vocabulary:
    """Real values for strings named like them: ids of existing objects, catalogue codes, INNs."""

    ids: tuple[str, ...]
    codes: tuple[str, ...]
    inns: tuple[str, ...]


def texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(EDGE_TEXTS),
        st.text(_TEXT, max_size=40),
        st.text(st.sampled_from("0123456789.-+eE"), min_size=1, max_size=30),
    )


class Strategies:
    """Strategies for the messages of one descriptor pool, sharing a vocabulary."""

    def __init__(self, vocabulary: Vocabulary, *, max_depth: int = 3, max_items: int = 3) -> None:
        self.vocabulary = vocabulary
        self.max_depth = max_depth
        self.max_items = max_items
        self._messages: dict[tuple[str, int], st.SearchStrategy[Message]] = {}

    def _named(self, name: str, values: Sequence[str]) -> st.SearchStrategy[str]:
        return st.one_of(st.sampled_from(values), texts()) if values else texts()

    def string(self, f: FieldDescriptor) -> st.SearchStrategy[str]:
        name = f.name
        v = self.vocabulary
        if name == "id" or name.endswith(("_id", "_ids")) or name == "subject":
            return self._named(name, v.ids)
        if name in ("code", "codes") or name.endswith(("_code", "_codes", "_key")) or name == "key":
            return self._named(name, v.codes)
        if name.endswith(("inn", "inns")):
            return self._named(name, v.inns)
        if name == "page_token":
            return st.one_of(st.sampled_from(_PAGE_TOKENS), texts())
        return texts()

    def scalar(self, f: FieldDescriptor) -> st.SearchStrategy[Any]:
        if f.enum_type is not None:
            defined = [v.number for v in f.enum_type.values]
            # proto3 enums are open: a number no name has still goes over the wire.
            return st.sampled_from([*defined, -1, 99, 2**31 - 1])
        if f.type == FieldDescriptor.TYPE_STRING:
            return self.string(f)
        if f.type == FieldDescriptor.TYPE_BYTES:
            return st.binary(max_size=64)
        if f.type == FieldDescriptor.TYPE_BOOL:
            return st.booleans()
        if f.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return st.one_of(
                st.sampled_from([0.0, -0.0, float("nan"), float("inf"), float("-inf"), 1e308]),
                st.floats(width=32 if f.type == FieldDescriptor.TYPE_FLOAT else 64),
            )
        low, high = _INT_RANGES[f.type]
        return st.one_of(st.sampled_from(_INT_EDGES[f.type]), st.integers(low, high))

    def value(self, f: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        one: st.SearchStrategy[Any] = (
            self.message(f.message_type, depth + 1) if f.message_type is not None
            else self.scalar(f)
        )  # fmt: skip
        if f.is_repeated:
            return st.lists(one, max_size=self.max_items)
        return one

    def message(self, d: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
        key = (d.full_name, depth)
        if key not in self._messages:
            self._messages[key] = _message(self, d, depth)
        return self._messages[key]

    def timestamp(self) -> st.SearchStrategy[Message]:
        return st.builds(
            Timestamp,
            seconds=st.one_of(
                st.sampled_from(_TIMESTAMP_EDGES), st.integers(TIMESTAMP_MIN, TIMESTAMP_MAX)
            ),
            nanos=st.sampled_from([0, 1, 999_999_999, -1, 1_000_000_000]),
        )

    def field_mask(self, names: Sequence[str]) -> st.SearchStrategy[Message]:
        return st.builds(
            FieldMask,
            paths=st.lists(st.sampled_from([*names, *_MASK_JUNK]), max_size=self.max_items),
        )

    def request(self, d: Descriptor) -> st.SearchStrategy[Message]:
        """A request built from nothing."""
        return self.message(d)

    def mutated(self, baseline: Message) -> st.SearchStrategy[Message]:
        """`baseline` with one to three fields, at any depth, replaced by generated values or
        cleared; the rest stays valid, so the change is what the service has to judge."""
        return _mutated(self, baseline)


def _resource_names(d: Descriptor) -> list[str]:
    """Field names of the messages a request carries: what its update mask could name."""
    return sorted(
        {
            g.name
            for f in d.fields
            if f.message_type is not None
            and f.message_type.full_name != FieldMask.DESCRIPTOR.full_name
            for g in f.message_type.fields
        }
    )


@cache
def _mask_names(d: Descriptor) -> tuple[str, ...]:
    return tuple(_resource_names(d))


def _message(s: Strategies, d: Descriptor, depth: int) -> st.SearchStrategy[Message]:
    if d.full_name == Timestamp.DESCRIPTOR.full_name:
        return s.timestamp()
    cls = message_class(d)
    if depth > s.max_depth:
        return st.builds(cls)
    fields = list(d.fields)
    if not fields:
        return st.builds(cls)

    @st.composite
    def build(draw: st.DrawFn) -> Message:
        made = cls()
        chosen = draw(st.sets(st.sampled_from([f.name for f in fields])))
        for f in fields:
            if f.name not in chosen:
                continue
            if (
                f.message_type is not None
                and f.message_type.full_name == FieldMask.DESCRIPTOR.full_name
            ):
                set_field(made, f, draw(s.field_mask(_mask_names(d))))
            else:
                set_field(made, f, draw(s.value(f, depth)))
        return made

    return build()


def _mutated(s: Strategies, baseline: Message) -> st.SearchStrategy[Message]:
    @st.composite
    def build(draw: st.DrawFn) -> Message:
        made = type(baseline)()
        made.CopyFrom(baseline)
        for _ in range(draw(st.integers(1, 3))):
            _mutate_one(draw, s, made, depth=0)
        return made

    return build()


def _mutate_one(draw: st.DrawFn, s: Strategies, m: Message, depth: int) -> None:
    d = descriptor_of(m)
    f: FieldDescriptor = draw(st.sampled_from(list(d.fields)))
    nested = (
        f.message_type is not None and f.message_type.full_name != Timestamp.DESCRIPTOR.full_name
    )
    if nested and depth < s.max_depth and draw(st.booleans()):
        # Go deeper: into the message itself, or one item of a repeated message.
        if f.is_repeated:
            items = getattr(m, f.name)
            if len(items):
                target = items[draw(st.integers(0, len(items) - 1))]
                _mutate_one(draw, s, target, depth + 1)
                return
        elif m.HasField(f.name):
            _mutate_one(draw, s, getattr(m, f.name), depth + 1)
            return
    if draw(st.integers(0, 4)) == 0:
        m.ClearField(f.name)
        return
    if f.message_type is not None and f.message_type.full_name == FieldMask.DESCRIPTOR.full_name:
        set_field(m, f, draw(s.field_mask(_mask_names(d))))
    else:
        set_field(m, f, draw(s.value(f, depth)))


def set_field(m: Message, f: FieldDescriptor, value: Any) -> None:
    if f.is_repeated:
        del getattr(m, f.name)[:]
        getattr(m, f.name).extend(value)
    elif f.message_type is not None:
        getattr(m, f.name).CopyFrom(value)
    else:
        setattr(m, f.name, value)
