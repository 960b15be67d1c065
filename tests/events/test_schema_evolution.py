"""Events only gain fields (`make breaking` enforces it on the protos). This shows what that buys a
subscriber: one built on an older version of a message still reads today's events, with the fields
it knows intact and the ones it does not know kept, so it can even pass the event on unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf.descriptor import Descriptor, FileDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from google.protobuf.unknown_fields import UnknownFieldSet
from grantflow_runtime import catalogue
from grantflow_runtime.event_examples import example_for
from grantflow_runtime.events import EventSpec, cloudevent_headers, decode


def older_version(current: Descriptor, newest_kept: int) -> type[Message]:
    """The message as it was when its newest field was `newest_kept`: a separate descriptor pool
    holding the same files, with the later fields of this one message removed."""
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()

    def add(file: FileDescriptor) -> None:
        if file.name in added:
            return
        for dependency in file.dependencies:
            add(dependency)
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)
        if file.name == current.file.name:
            (message,) = [m for m in proto.message_type if m.name == current.name]
            kept = [f for f in message.field if f.number <= newest_kept]
            del message.field[:]
            message.field.extend(kept)
        pool.Add(proto)
        added.add(file.name)

    add(current.file)
    return GetMessageClass(pool.FindMessageTypeByName(current.full_name))


def halfway(spec: EventSpec[Any]) -> int:
    return max(f.number for f in spec.message.DESCRIPTOR.fields) // 2 or 1


@pytest.mark.parametrize("spec", catalogue.ALL, ids=lambda s: s.subject)
def test_an_older_subscriber_reads_todays_event(spec: EventSpec[Any]) -> None:
    newest_kept = halfway(spec)
    old_class = older_version(spec.message.DESCRIPTOR, newest_kept)
    today = example_for(spec)
    wire = today.SerializeToString()

    old = old_class()
    old.ParseFromString(wire)

    # Every field the old version knows reads exactly as the producer wrote it.
    written = json_format.MessageToDict(today, preserving_proto_field_name=True)
    known = {f.name for f in spec.message.DESCRIPTOR.fields if f.number <= newest_kept}
    read = json_format.MessageToDict(old, preserving_proto_field_name=True)
    assert read == {name: value for name, value in written.items() if name in known}
    # The newer fields are kept as unknown fields, and survive a re-serialisation.
    newer = {f.number for f in spec.message.DESCRIPTOR.fields if f.number > newest_kept}
    set_newer = {f.number for f, _ in today.ListFields() if f.number in newer}
    unknown = UnknownFieldSet(old)
    assert {unknown[i].field_number for i in range(len(unknown))} == set_newer
    again = spec.message()
    again.ParseFromString(old.SerializeToString())
    assert again == today


def test_an_older_subscriber_decodes_the_whole_envelope() -> None:
    spec = catalogue.AWARD_DECIDED
    # AwardDecided's first version had fields 1-7; the rest were added for impact's agreements.
    old_class = older_version(spec.message.DESCRIPTOR, 7)
    old_spec = EventSpec(spec.subject, old_class, spec.producer, spec.meaning)
    assert old_spec.type == spec.type  # same message name: ce-type still matches
    today = example_for(spec)
    headers = cloudevent_headers(
        spec,
        event_id="e-1",
        source="grantflow/scoring",
        time=datetime(2026, 4, 1, tzinfo=UTC),
        request_id="r-1",
    )
    envelope = decode(old_spec, spec.subject, headers, today.SerializeToString())
    assert envelope.id == "e-1"
    payload = json_format.MessageToDict(envelope.message)
    assert payload["award"] == {"minorUnits": "200000000", "currencyCode": "RUB"}
    assert payload["rank"] == 4
    assert "organisationRegionCode" not in payload
