"""Dead letters: listing them, and sending them back to their subject once the cause is fixed.

A redriven event goes back on its original subject with its original headers, so its `ce-id` (the
event id) is unchanged and every consumer's inbox recognises it: the consumer that gave up applies
it now, and the consumers that had already applied it acknowledge it without a second effect.
Its `Nats-Msg-Id` is `<event id>:redrive:<dead-letter sequence>`, not the event id: within the
de-duplication window JetStream would silently drop a second message with the event's own id, so
the redrive would do nothing; this id still makes repeating the same redrive (after a crash
between publishing and deleting the dead letter) a no-op.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grantflow_runtime.bus import DEAD_LETTER_PREFIX, dead_letter_stream
from grantflow_runtime.events import (
    DLQ_CONSUMER_HEADER,
    DLQ_DELIVERIES_HEADER,
    DLQ_ERROR_HEADER,
    DLQ_SEQUENCE_HEADER,
    DLQ_SUBJECT_HEADER,
    MSG_ID_HEADER,
    REDRIVEN_FROM_HEADER,
)
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from grantflow_cli.event_reading import Start, read

_DLQ_HEADERS = (
    DLQ_ERROR_HEADER,
    DLQ_CONSUMER_HEADER,
    DLQ_SUBJECT_HEADER,
    DLQ_SEQUENCE_HEADER,
    DLQ_DELIVERIES_HEADER,
)


class RedriveError(Exception):
    """A dead letter that cannot be sent back; the message says which and why."""


@dataclass(frozen=True)
class DeadLetter:
    sequence: int  # in the dead-letter stream
    stored: datetime | None
    consumer: str
    subject: str  # the event's own subject
    event_id: str
    event_type: str
    event_sequence: int | None  # in the event stream
    deliveries: int | None
    error: str
    headers: dict[str, str]
    data: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.sequence,
            "stored": None if self.stored is None else self.stored.isoformat(),
            "consumer": self.consumer,
            "subject": self.subject,
            "eventId": self.event_id,
            "type": self.event_type,
            "eventSeq": self.event_sequence,
            "deliveries": self.deliveries,
            "error": self.error,
        }


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def dead_letter(
    sequence: int, stored: datetime | None, subject: str, headers: dict[str, str], data: bytes
) -> DeadLetter:
    # Older or foreign dead letters may lack headers; the subject still names consumer and event.
    _, _, rest = subject.partition(".")
    consumer_from_subject, _, event_subject = rest.partition(".")
    return DeadLetter(
        sequence=sequence,
        stored=stored,
        consumer=headers.get(DLQ_CONSUMER_HEADER, consumer_from_subject),
        subject=headers.get(DLQ_SUBJECT_HEADER, event_subject),
        event_id=headers.get("ce-id", ""),
        event_type=headers.get("ce-type", ""),
        event_sequence=_number(headers.get(DLQ_SEQUENCE_HEADER)),
        deliveries=_number(headers.get(DLQ_DELIVERIES_HEADER)),
        error=headers.get(DLQ_ERROR_HEADER, ""),
        headers=headers,
        data=data,
    )


def dead_letter_filter(consumer: str | None) -> str:
    return f"{DEAD_LETTER_PREFIX}.{consumer}.>" if consumer else f"{DEAD_LETTER_PREFIX}.>"


async def list_dead_letters(
    js: JetStreamContext, stream: str, consumer: str | None = None
) -> AsyncIterator[DeadLetter]:
    """The dead letters of `stream` (the event stream's name), oldest first."""
    async for msg in read(js, dead_letter_stream(stream), [dead_letter_filter(consumer)], Start()):
        yield dead_letter(
            msg.metadata.sequence.stream,
            msg.metadata.timestamp,
            msg.subject,
            dict(msg.headers or {}),
            msg.data,
        )


async def fetch_dead_letter(js: JetStreamContext, stream: str, sequence: int) -> DeadLetter:
    try:
        raw = await js.get_msg(dead_letter_stream(stream), seq=sequence)
    except NotFoundError:
        raise RedriveError(
            f"no dead letter #{sequence} in {dead_letter_stream(stream)}: "
            "see `grantflow events dlq list`"
        ) from None
    headers = dict(raw.headers or {})
    return dead_letter(sequence, raw.time, raw.subject or "", headers, raw.data or b"")


@dataclass(frozen=True)
class Redriven:
    letter: DeadLetter
    event_sequence: int
    already: bool  # this dead letter had been redriven before (a repeated run)


async def redrive(js: JetStreamContext, stream: str, letter: DeadLetter) -> Redriven:
    """Publish the dead letter's event on its subject, then delete the dead letter."""
    if not letter.event_id or not letter.subject:
        raise RedriveError(
            f"dead letter #{letter.sequence} has no event id or original subject; "
            "it cannot be redriven safely"
        )
    headers = {k: v for k, v in letter.headers.items() if k not in _DLQ_HEADERS}
    headers[MSG_ID_HEADER] = f"{letter.event_id}:redrive:{letter.sequence}"
    headers[REDRIVEN_FROM_HEADER] = f"{dead_letter_stream(stream)}:{letter.sequence}"
    ack = await js.publish(letter.subject, letter.data, headers=headers)
    if ack.stream != stream:
        raise RedriveError(
            f"{letter.subject} was stored in stream {ack.stream}, not {stream}; "
            f"dead letter #{letter.sequence} was kept"
        )
    # Only after the event stream has it: a crash before this leaves the dead letter to redrive
    # again, which the message id above de-duplicates (and, past the window, consumers' inboxes).
    await js.delete_msg(dead_letter_stream(stream), letter.sequence)
    return Redriven(letter, ack.seq, bool(ack.duplicate))


async def redrive_all(
    js: JetStreamContext, stream: str, sequences: Sequence[int] | None, consumer: str | None
) -> AsyncIterator[Redriven | RedriveError]:
    """Redrive the given dead letters (or every one, of `consumer` if given), one at a time in
    order; a dead letter that fails is reported and the rest still go."""
    if sequences is None:
        letters = [letter async for letter in list_dead_letters(js, stream, consumer)]
    else:
        letters = []
        for sequence in sequences:
            try:
                letter = await fetch_dead_letter(js, stream, sequence)
            except RedriveError as exc:
                yield exc
                continue
            if consumer and letter.consumer != consumer:
                yield RedriveError(
                    f"dead letter #{sequence} belongs to {letter.consumer}, not {consumer}"
                )
                continue
            letters.append(letter)
    for letter in letters:
        try:
            yield await redrive(js, stream, letter)
        except RedriveError as exc:
            yield exc
