"""Personal data of contact persons never reaches a log line or an event.

Two organisations register with distinctive contact persons (name, e-mail, phone), one of them an
individual entrepreneur, whose INN and OGRNIP identify a person. They then go through a whole
round over HTTP (submitted, scored, awarded, reported on, so every kind of event is published),
and through the error paths that carry their data: an e-mail the rules refuse, a second
registration of the same INN, a contact changed, and an application whose amounts make the
service fail unexpectedly (an internal error is logged with its exception).

Everything the process logs (services, gateway, uvicorn, grpc, nats; at DEBUG, so nothing is
filtered out by level) is captured as JSON lines, and every message published under
`grantflow.>` and `dlq.>` is captured off the wire: raw bytes, headers, and the payload decoded
with the protobuf type its `ce-type` header names. None may hold the contact data, in any
spelling the data could take (as given, lower-cased, the phone's digits alone).

The entrepreneur's INN is data of the same kind, but scoring needs the applicant's INN to find
conflicts of interest, so it travels in `organisation_inn` of ApplicationSubmitted and
AwardDecided by design (docs/asyncapi.yaml); it must appear nowhere else, and never in logs.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import nats
import pytest
import structlog
from google.protobuf import descriptor_pool
from google.protobuf.json_format import MessageToJson
from google.protobuf.message import Message
from grantflow.applications.v1 import catalogues_pb2, organisations_pb2
from grantflow_gateway.translate import message_class
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.logs import configure_logging

from tests.applications.helpers import competition_message, organisation_message
from tests.conftest import BACKEND
from tests.gateway.stack import Stack, StackFactory, as_json
from tests.security.rounds import ogrnip, person_inn, play_round

IE_INN = person_inn("7707083893")
IE_OGRNIP = ogrnip("30477000000001")
CONTACTS = {
    "nco": organisations_pb2.Contact(
        name="Zlata Ognivtseva-Kvitko",
        email="Zlata.Kvitko.7731@pii-probe.example",
        phone="+7 914 555-73-19",
    ),
    "ie": organisations_pb2.Contact(
        name="Ярослава Викторовна Птицына",
        email="yaroslava.ptitsyna.4419@pii-probe.example",
        phone="+7 (924) 555-41-88",
    ),
}
# Where the entrepreneur's INN may travel: the applicant's INN, for conflict-of-interest checks.
INN_FIELDS = {
    "grantflow.events.v1.ApplicationSubmitted": "organisation_inn",
    "grantflow.events.v1.AwardDecided": "organisation_inn",
}


def spellings(contact: organisations_pb2.Contact) -> dict[str, str]:
    """Every form a contact's data could take in text, named by what it is."""
    digits = "".join(c for c in contact.phone if c.isdigit())
    return {
        f"contact name {contact.name!r}": contact.name,
        f"contact e-mail {contact.email!r}": contact.email,
        "contact e-mail, lower case": contact.email.lower(),
        "contact e-mail's local part": contact.email.split("@")[0].lower(),
        f"contact phone {contact.phone!r}": contact.phone,
        "contact phone's digits": digits,
        "contact phone's last seven digits": digits[-7:],
    }


SECRETS = {k: v for c in CONTACTS.values() for k, v in spellings(c).items()}
PERSON_IDS = {"entrepreneur's INN": IE_INN, "entrepreneur's OGRNIP": IE_OGRNIP}


def organisations() -> list[organisations_pb2.Organisation]:
    nco = organisation_message(inn_prefix="631200543", name="Kvitko Family Centre")
    nco.contact.CopyFrom(CONTACTS["nco"])
    ie = organisation_message(
        name="ИП Птицына Я.В.",
        legal_form=catalogues_pb2.LEGAL_FORM_INDIVIDUAL_ENTREPRENEUR,
        inn=IE_INN,
        ogrn=IE_OGRNIP,
    )
    ie.contact.CopyFrom(CONTACTS["ie"])
    return [nco, ie]


# The console format renders a traceback with rich, slowly; what it shows does not depend on the
# database, so it runs in the PostgreSQL pass only.
CONSOLE = pytest.param(
    "console",
    marks=[
        pytest.mark.postgres_only,
        pytest.mark.skipif(
            BACKEND != "postgres", reason="runs in CI's PostgreSQL pass (slow tracebacks)"
        ),
    ],
)


@pytest.fixture(params=["json", CONSOLE])
def captured_logs(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """Every log record of this process, at DEBUG, in each GRANTFLOW_LOG_FORMAT (JSON off a
    terminal, console on one); logging restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging(service="pii-probe", log_format=request.param, level="debug")
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    yield stream
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    structlog.reset_defaults()


@dataclass
class Wire:
    """Messages seen on NATS: (subject, headers, payload)."""

    messages: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    async def take(self, msg: Any) -> None:
        self.messages.append((msg.subject, dict(msg.headers or {}), bytes(msg.data)))


def decode(headers: dict[str, str], payload: bytes) -> Message | None:
    kind = headers.get("ce-type", "")
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(kind)
    except KeyError:
        return None
    return message_class(descriptor).FromString(payload)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CONSOLE_HEAD = re.compile(r"^\S+ \[(\w+)\s*\] .*?(?:\[([\w.]+)\])?\s*$")
_BOX = re.compile(r"[\s│╭╮╰╯─]+")


def findings_in_logs(text: str) -> list[str]:
    """Secrets in log lines, by level and logger: JSON lines, or console lines where a record's
    head line (time, level, event, logger) is followed by its traceback."""
    found: Counter[str] = Counter()
    loggers: dict[str, set[str]] = {}
    level, logger = "?", "?"
    plain = _ANSI.sub("", text)
    for line in plain.splitlines():
        try:
            record = json.loads(line)
            level, logger = str(record.get("level")), str(record.get("logger"))
            searched = line + json.dumps(record, ensure_ascii=False)
        except ValueError:
            head = _CONSOLE_HEAD.match(line)
            if head:
                level, logger = head.group(1), head.group(2) or "a console record"
            searched = line
        for what, secret in {**SECRETS, **PERSON_IDS}.items():
            if secret in searched:
                key = f"{what} at {level}"
                found[key] += 1
                loggers.setdefault(key, set()).add(logger)
    problems = [f"logs: {k} in {n} line(s) from {sorted(loggers[k])}" for k, n in found.items()]
    # A console traceback wraps long values over lines inside a box: look across the wrapping.
    joined = _BOX.sub("", plain)
    for what, secret in {**SECRETS, **PERSON_IDS}.items():
        if not any(k.startswith(what + " at") for k in found) and _BOX.sub("", secret) in joined:
            problems.append(f"logs: {what}, wrapped over lines of a console traceback")
    return problems


def findings_on_the_wire(wire: Wire) -> tuple[list[str], Counter[str]]:
    problems: list[str] = []
    seen: Counter[str] = Counter()
    for subject, headers, payload in wire.messages:
        seen[subject] += 1
        decoded = decode(headers, payload)
        raw_texts = {
            "payload bytes": payload.decode("utf-8", errors="replace"),
            "headers": json.dumps(headers, ensure_ascii=False),
        }
        if decoded is not None:
            raw_texts["decoded payload"] = MessageToJson(decoded, ensure_ascii=False)
        for what, secret in SECRETS.items():
            for where, text in raw_texts.items():
                if secret in text or secret.encode() in payload:
                    problems.append(f"{subject}: {what} in the {where}")
        # The INN where it is allowed, cleared: anywhere else is a leak.
        allowed = INN_FIELDS.get(headers.get("ce-type", ""))
        if decoded is not None and allowed:
            decoded.ClearField(allowed)
        rest = {
            "headers": raw_texts["headers"],
            "payload": (
                MessageToJson(decoded, ensure_ascii=False) if decoded is not None
                else raw_texts["payload bytes"]
            ),
        }  # fmt: skip
        if decoded is not None:
            rest["payload bytes"] = decoded.SerializeToString().decode("utf-8", errors="replace")
        for what, secret in PERSON_IDS.items():
            for where, text in rest.items():
                if secret in text:
                    problems.append(f"{subject}: {what} in the {where} outside {allowed}")
    return problems, seen


async def test_contact_data_never_reaches_logs_or_events(
    gateway_stack: StackFactory, captured_logs: io.StringIO
) -> None:
    started = time.perf_counter()
    s = await gateway_stack()
    wire = Wire()
    nc = await nats.connect(s.config.nats_url, name="pii-probe")
    try:
        for subject in ("grantflow.>", "dlq.>"):
            await nc.subscribe(subject, cb=wire.take)
        r = await play_round(s, "pii", organisations())
        await error_paths(s, r.applicants[1], r.funder)
        # Let the relays publish what the last calls wrote, and the consumers log what they did.
        await settle(wire)
    finally:
        await nc.drain()
    logs = captured_logs.getvalue()
    problems = findings_in_logs(logs)
    on_wire, subjects = findings_on_the_wire(wire)
    problems += on_wire
    inn_in = Counter(
        s for s, h, p in wire.messages if IE_INN.encode() in p and h.get("ce-type") in INN_FIELDS
    )
    print(
        f"\npersonal data: {len(logs.splitlines())} log lines and {len(wire.messages)} events "
        f"searched for {len(SECRETS)} spellings of two contacts and the entrepreneur's INN and "
        f"OGRNIP in {time.perf_counter() - started:.1f}s; events by subject: "
        f"{dict(sorted(subjects.items()))}; the INN travels (by design) in {dict(inn_in)}"
    )
    assert subjects["grantflow.applications.submitted"] >= 2
    assert subjects["grantflow.awards.decided"] >= 2
    assert not problems, "\n".join(problems)


async def error_paths(s: Stack, entrepreneur: Identity, funder: Identity) -> None:
    """Requests that carry the contact data and fail, or change it."""
    opened = await s.call(
        funder, "POST", "/v1/competitions", json=as_json(competition_message()), expect=201
    )
    competition_id = opened.json()["id"]
    await s.call(funder, "POST", f"/v1/competitions/{competition_id}:open", expect=200)
    nco = organisations()[0]
    bad = as_json(nco)
    # An e-mail the rules refuse, with the person's name and address in it.
    bad["contact"]["email"] = f"{CONTACTS['nco'].name} <{CONTACTS['nco'].email}>"
    bad["inn"] = "7707083893"[:9] + "3"
    got = await s.call(Identity("pii-late", Role.APPLICANT), "POST", "/v1/organisations", json=bad)
    assert got.status_code == 422, got.text
    # The same entrepreneur registered twice.
    again = await s.call(
        Identity("pii-again", Role.APPLICANT), "POST", "/v1/organisations",
        json=as_json(organisations()[1]),
    )  # fmt: skip
    assert again.status_code == 409, again.text
    # The contact person changes.
    changed = await s.call(
        entrepreneur,
        "PATCH",
        f"/v1/organisations/{entrepreneur.organisation_id}",
        params={"updateMask": "contact"},
        json={"contact": {"name": CONTACTS["ie"].name, "email": CONTACTS["ie"].email.upper(),
                          "phone": CONTACTS["ie"].phone}},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    # A draft the service cannot store (amounts beyond 64 bits): whatever the service answers,
    # its log must not copy the request's data, personal data of a partner included.
    overflow = {"minorUnits": str(2**63 - 1), "currencyCode": "RUB"}
    draft = {
        "competitionId": competition_id,
        "organisationId": entrepreneur.organisation_id,
        "title": "Workshop",
        "budgetLines": [{"category": "salaries", "description": "x", "grantAmount": overflow}] * 2,
        "cofinancingSources": [
            {
                "type": "COFINANCING_TYPE_BUSINESS_PARTNER",
                "partnerName": CONTACTS["nco"].name,
                "partnerInn": IE_INN,
                "amount": {"minorUnits": "100", "currencyCode": "RUB"},
            }
        ],
    }
    await s.call(entrepreneur, "POST", "/v1/applications", json=draft)


async def settle(wire: Wire, *, quiet_s: float = 1.0, at_most_s: float = 20.0) -> None:
    """Wait until no new message has arrived for `quiet_s` (relays poll every 0.2 s here)."""
    deadline = time.monotonic() + at_most_s
    count = -1
    while time.monotonic() < deadline and count != len(wire.messages):
        count = len(wire.messages)
        await asyncio.sleep(quiet_s)
