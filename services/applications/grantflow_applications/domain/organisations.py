"""Applicant organisations: their registration data as entered, validated, and their identity."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from grantflow_runtime.errors import Violations

from grantflow_applications.domain.identifiers import (
    Problem,
    inn_issue,
    ogrn_issue,
    ogrnip_issue,
)
from grantflow_applications.domain.regions import REGIONS

# Limits follow the columns of the organisations table, so a valid organisation always fits.
MAX_NAME = 500
MAX_CONTACT_NAME = 300
MAX_EMAIL = 300
MAX_PHONE = 40
MAX_WEBSITE = 500
# Registrations before the Russian Federation's own registers began cannot be real.
EARLIEST_REGISTRATION = date(1991, 1, 1)
MIN_PHONE_DIGITS = 10
MAX_PHONE_DIGITS = 15
# Russia's easternmost time zone: a registration date that is already today somewhere in the
# country must not count as a future date because the server clock runs on UTC.
_EASTERNMOST = timezone(timedelta(hours=12))

_PHONE_CHARS = re.compile(r"\+?[0-9 ()\-]+")
_WEBSITE = re.compile(r"https?://\S+", re.IGNORECASE)


class LegalForm(StrEnum):
    NCO = "nco"
    SOCIAL_ENTERPRISE = "social_enterprise"
    MUNICIPAL_INSTITUTION = "municipal_institution"
    STATE_INSTITUTION = "state_institution"
    INDIVIDUAL_ENTREPRENEUR = "individual_entrepreneur"
    COMMERCIAL = "commercial"


# The national default of who may apply (shared DOMAIN.md); a competition may choose others.
DEFAULT_ELIGIBLE_FORMS: tuple[LegalForm, ...] = (
    LegalForm.NCO,
    LegalForm.SOCIAL_ENTERPRISE,
    LegalForm.MUNICIPAL_INSTITUTION,
    LegalForm.STATE_INSTITUTION,
)


@dataclass(frozen=True)
class Contact:
    """The organisation's contact person: personal data, so never shown by repr()."""

    name: str
    email: str
    phone: str

    def __repr__(self) -> str:
        return "Contact(name=<redacted>, email=<redacted>, phone=<redacted>)"

    __str__ = __repr__


@dataclass(frozen=True)
class OrganisationTerms:
    """What the caller enters; every field may be missing or wrong until validated."""

    name: str
    legal_form: str
    inn: str
    ogrn: str
    region_code: str
    registered_on: date | None
    contact: Contact
    website: str = ""


@dataclass(frozen=True)
class _Valid:
    name: str
    legal_form: LegalForm
    registered_on: date
    contact: Contact
    website: str


@dataclass(frozen=True)
class Organisation:
    id: str
    owner: str
    name: str
    legal_form: LegalForm
    inn: str
    ogrn: str
    region_code: str
    registered_on: date
    contact: Contact
    website: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def create(
        cls,
        *,
        id: str,
        owner: str,
        terms: OrganisationTerms,
        now: datetime,
        prefix: str = "organisation",
    ) -> Organisation:
        """A new organisation, or InvalidArgument listing every broken rule at once."""
        v = Violations()
        _check_inn(v, f"{prefix}.inn", terms)
        valid = _validate(v, terms, now, prefix)
        v.raise_if_any()
        assert valid is not None
        return cls(
            id=id,
            owner=owner,
            name=valid.name,
            legal_form=valid.legal_form,
            inn=terms.inn,
            ogrn=terms.ogrn,
            region_code=terms.region_code,
            registered_on=valid.registered_on,
            contact=valid.contact,
            website=valid.website,
            created_at=now,
            updated_at=now,
        )

    def update(
        self, terms: OrganisationTerms, now: datetime, prefix: str = "organisation"
    ) -> Organisation:
        """New data for the same organisation. The INN is its identity (one registration per
        INN), so a different INN is refused rather than silently turning it into another one."""
        v = Violations()
        if terms.inn != self.inn:
            v.add(
                f"{prefix}.inn",
                "cannot change: the INN identifies the organisation; register a new one instead",
                "immutable",
            )
        else:
            # The stored INN may not suit a newly chosen legal form (10 vs 12 digits).
            _check_inn(v, f"{prefix}.inn", terms)
        valid = _validate(v, terms, now, prefix)
        v.raise_if_any()
        assert valid is not None
        return Organisation(
            id=self.id,
            owner=self.owner,
            name=valid.name,
            legal_form=valid.legal_form,
            inn=self.inn,
            ogrn=terms.ogrn,
            region_code=terms.region_code,
            registered_on=valid.registered_on,
            contact=valid.contact,
            website=valid.website,
            created_at=self.created_at,
            updated_at=now,
        )

    def registration_months_before(self, moment: date) -> int:
        """Whole calendar months from registered_on to `moment`: the largest n with
        registered_on + n months <= moment, negative when `moment` precedes registration.

        A month counted from the 31st ends on the last day of a shorter month, as terms in
        months do under the Civil Code (art. 192): registered 2024-01-31, 2024-02-29 is 1.
        """
        start = self.registered_on
        months = (moment.year - start.year) * 12 + moment.month - start.month
        if add_months(start, months) > moment:
            months -= 1
        return months


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _legal_form(terms: OrganisationTerms) -> LegalForm | None:
    try:
        return LegalForm(terms.legal_form)
    except ValueError:
        return None


def _add(v: Violations, field: str, problem: Problem | None) -> None:
    if problem is not None:
        v.add(field, problem.description, problem.rule)


def _check_inn(v: Violations, field: str, terms: OrganisationTerms) -> None:
    if not terms.inn:
        v.add(field, "is required", "required")
        return
    form = _legal_form(terms)
    # An individual entrepreneur files under a personal 12-digit INN; every other form has a
    # 10-digit one. An unknown form is reported on its own, so either length is accepted here.
    person = None if form is None else form is LegalForm.INDIVIDUAL_ENTREPRENEUR
    _add(v, field, inn_issue(terms.inn, person=person))


def _check_ogrn(v: Violations, field: str, terms: OrganisationTerms) -> None:
    if not terms.ogrn:
        v.add(field, "is required", "required")
        return
    form = _legal_form(terms)
    if form is LegalForm.INDIVIDUAL_ENTREPRENEUR:
        _add(v, field, ogrnip_issue(terms.ogrn))
    elif form is not None:
        _add(v, field, ogrn_issue(terms.ogrn))
    elif len(terms.ogrn) == 15:
        _add(v, field, ogrnip_issue(terms.ogrn))
    else:
        _add(v, field, ogrn_issue(terms.ogrn))


def _today(now: datetime) -> date:
    return now.astimezone(_EASTERNMOST).date() if now.tzinfo is not None else now.date()


def _validate(v: Violations, terms: OrganisationTerms, now: datetime, prefix: str) -> _Valid | None:
    """Every rule except the INN's, which create and update treat differently. Descriptions
    never quote the contact's data: violations end up in logs and error responses."""
    name = terms.name.strip()
    if not name:
        v.add(f"{prefix}.name", "is required", "required")
    elif len(name) > MAX_NAME:
        v.add(f"{prefix}.name", f"must be at most {MAX_NAME} characters", "max_len")

    form = _legal_form(terms)
    if not terms.legal_form:
        v.add(f"{prefix}.legal_form", "is required", "required")
    elif form is None:
        choices = ", ".join(f.value for f in LegalForm)
        v.add(f"{prefix}.legal_form", f"{terms.legal_form!r} is not one of: {choices}", "enum")

    _check_ogrn(v, f"{prefix}.ogrn", terms)

    if not terms.region_code:
        v.add(f"{prefix}.region_code", "is required", "required")
    elif terms.region_code not in REGIONS:
        v.add(
            f"{prefix}.region_code",
            f"{terms.region_code!r} is not an ISO 3166-2:RU federal subject",
            "catalogue",
        )

    registered = terms.registered_on
    if registered is None:
        v.add(f"{prefix}.registered_on", "is required", "required")
    elif registered > _today(now):
        v.add(f"{prefix}.registered_on", "must not be in the future", "future")
    elif registered < EARLIEST_REGISTRATION:
        v.add(
            f"{prefix}.registered_on",
            f"must not be before {EARLIEST_REGISTRATION.isoformat()}",
            "range",
        )

    contact = Contact(
        name=terms.contact.name.strip(),
        email=terms.contact.email.strip(),
        phone=terms.contact.phone.strip(),
    )
    where = f"{prefix}.contact"
    if not contact.name:
        v.add(f"{where}.name", "is required", "required")
    elif len(contact.name) > MAX_CONTACT_NAME:
        v.add(f"{where}.name", f"must be at most {MAX_CONTACT_NAME} characters", "max_len")
    if not contact.email:
        v.add(f"{where}.email", "is required", "required")
    elif len(contact.email) > MAX_EMAIL:
        v.add(f"{where}.email", f"must be at most {MAX_EMAIL} characters", "max_len")
    elif not is_plausible_email(contact.email):
        v.add(
            f"{where}.email",
            "is not an e-mail address (one @, a dot in the domain, no spaces)",
            "format",
        )
    if len(contact.phone) > MAX_PHONE:
        v.add(f"{where}.phone", f"must be at most {MAX_PHONE} characters", "max_len")
    elif contact.phone and not is_plausible_phone(contact.phone):
        v.add(
            f"{where}.phone",
            f"must be {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits, optionally with a leading +,"
            " spaces, dashes and parentheses",
            "format",
        )

    website = terms.website.strip()
    if len(website) > MAX_WEBSITE:
        v.add(f"{prefix}.website", f"must be at most {MAX_WEBSITE} characters", "max_len")
    elif website and not _WEBSITE.fullmatch(website):
        v.add(f"{prefix}.website", "must be an address starting with http:// or https://", "format")

    if v or form is None or registered is None:
        return None
    return _Valid(
        name=name, legal_form=form, registered_on=registered, contact=contact, website=website
    )


def is_plausible_email(email: str) -> bool:
    """Deliberately loose: the only real check of an address is a message that arrives."""
    if any(ch.isspace() for ch in email) or email.count("@") != 1:
        return False
    local, domain = email.split("@")
    labels = domain.split(".")
    return bool(local) and len(labels) > 1 and all(labels)


def is_plausible_phone(phone: str) -> bool:
    if not _PHONE_CHARS.fullmatch(phone):
        return False
    digits = sum(ch.isdigit() for ch in phone)
    return MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS
