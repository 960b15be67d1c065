"""The AsyncAPI 3.0 document of Grantflow's events, generated from the catalogue and the protos.

    python -m grantflow_runtime.asyncapi > docs/asyncapi.yaml

The committed `docs/asyncapi.yaml` is checked against this by a test, so it cannot drift from the
code. Payloads travel as binary protobuf; the document gives each one's JSON Schema under the
protobuf JSON mapping (its logical shape, what `json_format.MessageToDict` produces) and names the
protobuf message, which subscribers compile from `protos/grantflow/events/v1`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import yaml
from google.protobuf import descriptor_pool, json_format

from grantflow_runtime import catalogue
from grantflow_runtime.bus import DEAD_LETTER_PREFIX, EVENTS_SUBJECTS, dead_letter_stream
from grantflow_runtime.config import SETTINGS
from grantflow_runtime.event_examples import (
    EXAMPLE_EVENT_ID,
    EXAMPLE_REQUEST_ID,
    EXAMPLE_TIME,
    example_for,
)
from grantflow_runtime.events import (
    CE_SPECVERSION,
    CONTENT_TYPE,
    DLQ_CONSUMER_HEADER,
    DLQ_DELIVERIES_HEADER,
    DLQ_ERROR_HEADER,
    DLQ_SEQUENCE_HEADER,
    DLQ_SUBJECT_HEADER,
    MSG_ID_HEADER,
    REDRIVEN_FROM_HEADER,
    REQUEST_ID_HEADER,
    EventSpec,
    cloudevent_headers,
    source_for,
)
from grantflow_runtime.jsonschema import COMPONENT_PREFIX, Schema, message_ref
from grantflow_runtime.protodocs import proto_comments

ASYNCAPI_VERSION = "3.0.0"
HEADERS_SCHEMA = "CloudEventsHeaders"
DEAD_LETTER_HEADERS_SCHEMA = "DeadLetterHeaders"
DEAD_LETTER_MESSAGE = "DeadLetter"

_DEFAULT_STREAM = next(s.default for s in SETTINGS if s.name == "GRANTFLOW_STREAM")

_DESCRIPTION = f"""\
Domain events of Grantflow, published to NATS JetStream for other systems to subscribe to.

* **Wire format**: each NATS message's payload is a binary protobuf message from the
  `grantflow.events.v1` package (`protos/grantflow/events/v1`), named by `x-protobuf-message` and
  by the `ce-type` header. The payload schemas below are the JSON Schema of each message's
  protobuf JSON mapping (lowerCamelCase names, 64-bit integers as strings, Timestamps as RFC 3339):
  the logical shape a subscriber gets from `MessageToDict` / `JsonFormat`.
* **Headers**: the CloudEvents NATS binding in binary mode (`ce-id`, `ce-type`, `ce-source`,
  `ce-time`, `ce-specversion`, `content-type`) plus `{REQUEST_ID_HEADER}` for tracing and
  `{MSG_ID_HEADER}` for JetStream de-duplication.
* **Stream**: every `{EVENTS_SUBJECTS}` subject is kept in the JetStream stream `{_DEFAULT_STREAM}`
  (`GRANTFLOW_STREAM`) for `GRANTFLOW_STREAM_MAX_AGE_DAYS` days, so a durable consumer can start
  from the beginning, a sequence or a time.
* **Delivery**: at least once. De-duplicate by `ce-id` (the event id), which stays the same on
  every redelivery, re-publication and dead-letter redrive. Order is the order of commits within
  one producing service, but a redelivery can arrive after later events; see `docs/events.md`
  for what holds exactly.
* **Evolution**: messages only gain fields; field numbers and names are never reused. Ignore
  fields you do not know (protobuf parsers keep them) and the document stays true for you.
"""


def build_asyncapi() -> dict[str, Any]:
    """The whole AsyncAPI document, as plain JSON-compatible data."""
    schemas: dict[str, Schema] = {
        HEADERS_SCHEMA: _headers_schema(),
        DEAD_LETTER_HEADERS_SCHEMA: _dead_letter_headers_schema(),
    }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in catalogue.ALL:
        name = message_name(spec)
        channel = channel_id(spec)
        messages[name] = _message(spec, schemas)
        channels[channel] = {
            "address": spec.subject,
            "title": name,
            "description": spec.meaning,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"publish{name}"] = {
            "action": "send",
            "title": f"{spec.producer} publishes {name}",
            "summary": spec.meaning,
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
            "tags": [{"name": spec.producer}],
        }
    _describe(schemas)
    messages[DEAD_LETTER_MESSAGE] = _dead_letter_message()
    channels["deadLetters"] = _dead_letter_channel()
    operations["deadLetter"] = {
        "action": "send",
        "title": "A consumer dead-letters an event it gave up on",
        "channel": {"$ref": "#/channels/deadLetters"},
        "messages": [{"$ref": f"#/channels/deadLetters/messages/{DEAD_LETTER_MESSAGE}"}],
        "tags": [{"name": "operations"}],
    }
    document = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Grantflow events",
            "version": "1",
            "description": _DESCRIPTION,
            "license": {
                "name": "Apache-2.0",
                "url": "https://www.apache.org/licenses/LICENSE-2.0",
            },
            "tags": [{"name": p} for p in _producers()] + [{"name": "operations"}],
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "local": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "The NATS server `make run` uses (GRANTFLOW_NATS_URL), JetStream on.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items())), "messages": messages},
    }
    # A plain tree (no shared sub-objects), so YAML has no anchors and readers may edit in place.
    plain: dict[str, Any] = json.loads(json.dumps(document))
    return plain


class _Dumper(yaml.SafeDumper):
    """Multi-line text as YAML literal blocks, so the description reads as written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def render(document: dict[str, Any] | None = None) -> str:
    """The document as the committed YAML file spells it."""
    text = yaml.dump(
        build_asyncapi() if document is None else document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return "# Generated by `python -m grantflow_runtime.asyncapi`; do not edit by hand.\n" + text


def message_name(spec: EventSpec[Any]) -> str:
    return str(spec.message.DESCRIPTOR.name)


def channel_id(spec: EventSpec[Any]) -> str:
    name = message_name(spec)
    return name[0].lower() + name[1:]


def _describe(schemas: dict[str, Schema]) -> None:
    """Each message schema and property gets the comment its .proto gives it."""
    comments: dict[str, str] = {}
    for package in sorted({name.rpartition(".")[0] for name in schemas if "." in name}):
        comments |= proto_comments(package.replace(".", "/"))
    for name, schema in schemas.items():
        if name in comments:
            # Placed before the properties, where a reader of the YAML looks for it.
            schemas[name] = schema = {"description": comments[name], **schema}
        if "." not in name:
            continue
        fields = descriptor_pool.Default().FindMessageTypeByName(name).fields
        for field in fields:
            text = comments.get(f"{name}.{field.name}")
            prop = schema["properties"][field.json_name]
            if text:
                prop["description"] = " ".join(filter(None, [text, prop.get("description")]))


def _producers() -> list[str]:
    return list(dict.fromkeys(spec.producer for spec in catalogue.ALL))


def _message(spec: EventSpec[Any], schemas: dict[str, Schema]) -> dict[str, Any]:
    example = example_for(spec)
    headers = cloudevent_headers(
        spec,
        event_id=EXAMPLE_EVENT_ID,
        source=source_for(spec.producer),
        time=EXAMPLE_TIME,
        request_id=EXAMPLE_REQUEST_ID,
    )
    return {
        "name": message_name(spec),
        "title": message_name(spec),
        "summary": spec.meaning,
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "allOf": [
                {"$ref": COMPONENT_PREFIX + HEADERS_SCHEMA},
                {
                    "properties": {
                        "ce-type": {"const": spec.type},
                        "ce-source": {"const": source_for(spec.producer)},
                        "content-type": {"const": f"{CONTENT_TYPE}; proto={spec.type}"},
                    }
                },
            ],
        },
        "payload": message_ref(spec.message.DESCRIPTOR, schemas),
        "tags": [{"name": spec.producer}],
        "x-protobuf-message": spec.type,
        "x-producer": spec.producer,
        "examples": [
            {
                "name": f"{channel_id(spec)}Example",
                "summary": f"A {message_name(spec)} event as a subscriber decodes it.",
                "headers": headers,
                "payload": json_format.MessageToDict(example),
            }
        ],
    }


def _headers_schema() -> Schema:
    return {
        "type": "object",
        "description": "CloudEvents NATS binding (binary mode), de-duplication and tracing.",
        "required": [
            "ce-id",
            "ce-type",
            "ce-source",
            "ce-time",
            "ce-specversion",
            "content-type",
            MSG_ID_HEADER,
        ],
        "properties": {
            "ce-id": {
                "type": "string",
                "format": "uuid",
                "description": "The event id: unique per event, the same on every redelivery, "
                "re-publication and redrive. De-duplicate on it.",
            },
            "ce-type": {
                "type": "string",
                "description": "The protobuf message's full name, versioned by its package.",
            },
            "ce-source": {
                "type": "string",
                "pattern": "^grantflow/[a-z]+$",
                "description": "The producing service, for example `grantflow/scoring`.",
            },
            "ce-time": {
                "type": "string",
                "format": "date-time",
                "description": "When the event happened (its transaction), UTC, RFC 3339.",
            },
            "ce-specversion": {"const": CE_SPECVERSION},
            "content-type": {
                "type": "string",
                "pattern": f"^{CONTENT_TYPE}; proto=[A-Za-z0-9_.]+$",
                "description": "Binary protobuf, with the message's full name as a parameter.",
            },
            REQUEST_ID_HEADER: {
                "type": "string",
                "description": "The request that caused the event, for tracing across services.",
            },
            MSG_ID_HEADER: {
                "type": "string",
                "description": "JetStream de-duplication id: the event id when first published; "
                "`<event id>:redrive:<dead-letter sequence>` on a copy redriven from dead letters.",
            },
            REDRIVEN_FROM_HEADER: {
                "type": "string",
                "description": "Only on a copy sent back from the dead letters: the dead letter's "
                "stream and sequence. The event (and `ce-id`) is the original one.",
            },
        },
    }


def _dead_letter_headers_schema() -> Schema:
    return {
        "type": "object",
        "description": "The original event's headers (but `Nats-Msg-Id`) plus why it failed.",
        "required": [
            DLQ_ERROR_HEADER,
            DLQ_CONSUMER_HEADER,
            DLQ_SUBJECT_HEADER,
            DLQ_SEQUENCE_HEADER,
            DLQ_DELIVERIES_HEADER,
        ],
        "properties": {
            DLQ_ERROR_HEADER: {"type": "string", "description": "The last error, cut to 4000."},
            DLQ_CONSUMER_HEADER: {"type": "string", "description": "The durable that gave up."},
            DLQ_SUBJECT_HEADER: {"type": "string", "description": "The event's own subject."},
            DLQ_SEQUENCE_HEADER: {
                "type": "string",
                "pattern": "^[0-9]+$",
                "description": "The event's sequence in the event stream.",
            },
            DLQ_DELIVERIES_HEADER: {
                "type": "string",
                "pattern": "^[0-9]+$",
                "description": "How many times it was delivered before giving up.",
            },
            "ce-id": {"type": "string"},
            "ce-type": {"type": "string"},
        },
    }


def _dead_letter_channel() -> dict[str, Any]:
    return {
        "address": f"{DEAD_LETTER_PREFIX}.{{consumer}}.{{subject}}",
        "title": "Dead letters",
        "description": (
            f"Events a consumer gave up on, in the stream `{dead_letter_stream(_DEFAULT_STREAM)}`: "
            "after `GRANTFLOW_CONSUMER_MAX_DELIVER` failed deliveries, or at once when "
            "undecodable. For operators (`grantflow events dlq list`, `... dlq redrive`), not "
            "for subscribers."
        ),
        "parameters": {
            "consumer": {"description": "The durable consumer's name, for example `impact`."},
            "subject": {
                "description": "The event's subject, for example `grantflow.awards.decided`."
            },
        },
        "messages": {DEAD_LETTER_MESSAGE: {"$ref": f"#/components/messages/{DEAD_LETTER_MESSAGE}"}},
    }


def _dead_letter_message() -> dict[str, Any]:
    return {
        "name": DEAD_LETTER_MESSAGE,
        "title": "Dead letter",
        "summary": "An event's payload, unchanged, with the consumer's error in its headers.",
        "contentType": CONTENT_TYPE,
        "headers": {"$ref": COMPONENT_PREFIX + DEAD_LETTER_HEADERS_SCHEMA},
        "payload": {
            "description": "The original event's payload: one of the event messages.",
            # anyOf: the messages' schemas overlap (no field is required), so oneOf never holds.
            "anyOf": [{"$ref": COMPONENT_PREFIX + spec.type} for spec in catalogue.ALL],
        },
        "tags": [{"name": "operations"}],
    }


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
