"""The committed AsyncAPI document is what the code generates, is valid AsyncAPI 3.0, and describes
every event of the catalogue with headers, payload schema and an example that all agree."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from google.protobuf import json_format
from grantflow_runtime import catalogue
from grantflow_runtime.asyncapi import build_asyncapi, channel_id, message_name, render
from grantflow_runtime.event_examples import EXAMPLES, example_for
from grantflow_runtime.events import EventSpec, decode

from tests.events.asyncapi_rules import problems, resolve

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "asyncapi.yaml"
DOC = build_asyncapi()
REGENERATE = "python -m grantflow_runtime.asyncapi > docs/asyncapi.yaml"


def validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A validator whose local `#/components/...` references resolve within the document."""
    rooted = {**schema, "components": DOC["components"]}
    return jsonschema_rs.Draft7Validator(rooted, validate_formats=True)


def message(spec: EventSpec[Any]) -> dict[str, Any]:
    found: dict[str, Any] = DOC["components"]["messages"][message_name(spec)]
    return found


def test_committed_document_is_what_the_code_generates() -> None:
    assert COMMITTED.read_text() == render(), f"docs/asyncapi.yaml is stale: run `{REGENERATE}`"


def test_committed_document_reads_back_as_the_document() -> None:
    assert yaml.safe_load(COMMITTED.read_text()) == DOC


def test_document_is_valid_asyncapi_3() -> None:
    assert problems(DOC) == []


def test_structural_check_catches_what_it_should() -> None:
    broken = copy.deepcopy(DOC)
    del broken["info"]["version"]
    broken["channels"]["awardDecided"]["sumary"] = "misspelt"
    broken["operations"]["publishAwardDecided"]["action"] = "publish"
    broken["operations"]["publishAwardDecided"]["messages"] = [
        {"$ref": "#/channels/competitionOpened/messages/CompetitionOpened"}
    ]
    broken["components"]["messages"]["AwardDecided"]["payload"] = {"$ref": "#/nowhere"}
    found = "\n".join(problems(broken))
    assert '"version" is a required property' in found
    assert "'sumary' was unexpected" in found
    assert '"publish" is not one of' in found
    assert "is not in #/channels/awardDecided" in found
    assert "$ref #/nowhere does not resolve" in found


@pytest.mark.parametrize("spec", catalogue.ALL, ids=lambda s: s.subject)
def test_every_event_has_a_channel_an_operation_and_a_message(spec: EventSpec[Any]) -> None:
    channel = DOC["channels"][channel_id(spec)]
    assert channel["address"] == spec.subject
    assert channel["description"] == spec.meaning
    operation = DOC["operations"][f"publish{message_name(spec)}"]
    assert operation["action"] == "send"
    assert operation["tags"] == [{"name": spec.producer}]
    described = message(spec)
    assert described["x-protobuf-message"] == spec.type
    assert described["contentType"] == "application/protobuf"
    assert resolve(DOC, described["payload"]["$ref"])["properties"].keys() == {
        field.json_name for field in spec.message.DESCRIPTOR.fields
    }


def test_nothing_but_the_catalogue_and_dead_letters_is_described() -> None:
    addresses = {channel["address"] for channel in DOC["channels"].values()}
    assert addresses == {spec.subject for spec in catalogue.ALL} | {"dlq.{consumer}.{subject}"}
    assert set(EXAMPLES) == {spec.subject for spec in catalogue.ALL}


@pytest.mark.parametrize("spec", catalogue.ALL, ids=lambda s: s.subject)
def test_example_matches_its_schemas_and_decodes(spec: EventSpec[Any]) -> None:
    described = message(spec)
    (example,) = described["examples"]
    headers_errors = [
        e.message for e in validator(described["headers"]).iter_errors(example["headers"])
    ]
    assert headers_errors == []
    payload_errors = [
        e.message for e in validator(described["payload"]).iter_errors(example["payload"])
    ]
    assert payload_errors == []
    # The example is the protobuf example under the JSON mapping, and its headers decode it.
    parsed = json_format.ParseDict(example["payload"], spec.message())
    assert parsed == example_for(spec)
    envelope = decode(spec, spec.subject, example["headers"], parsed.SerializeToString())
    assert envelope.message == example_for(spec)
    assert envelope.id == example["headers"]["ce-id"]


def test_schemas_carry_the_comments_of_the_protos() -> None:
    award = DOC["components"]["schemas"]["grantflow.events.v1.AwardDecided"]
    assert award["description"].startswith("A funded application: the award decision for it.")
    assert award["properties"]["rank"]["description"] == "Rank in the competition, 1 = best."
    money = DOC["components"]["schemas"]["grantflow.common.v1.Money"]
    assert money["properties"]["minorUnits"]["description"].startswith("Amount in minor units")


def test_payload_schemas_refuse_what_the_json_mapping_refuses() -> None:
    award = message(catalogue.AWARD_DECIDED)
    check = validator(award["payload"])
    assert not check.is_valid({"rank": "first"})
    assert not check.is_valid({"award": {"minorUnits": "1.5"}})
    assert not check.is_valid({"decidedAt": "yesterday"})
    assert check.is_valid({"award": {"minorUnits": "200000000", "currencyCode": "RUB"}})


def test_headers_schema_requires_the_cloudevents_attributes() -> None:
    award = message(catalogue.AWARD_DECIDED)
    headers = dict(award["examples"][0]["headers"])
    check = validator(award["headers"])
    for name in ("ce-id", "ce-type", "ce-source", "ce-time", "ce-specversion", "content-type"):
        assert not check.is_valid({k: v for k, v in headers.items() if k != name}), name
    assert not check.is_valid(headers | {"ce-type": catalogue.COMPETITION_OPENED.type})
