"""Organisation rules in plain Python: every rule with a valid and an invalid case."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from grantflow_applications.domain.organisations import (
    DEFAULT_ELIGIBLE_FORMS,
    Contact,
    LegalForm,
    Organisation,
    OrganisationTerms,
    add_months,
)
from grantflow_applications.domain.regions import REGIONS, is_region
from grantflow_runtime.errors import FieldViolation, InvalidArgument

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
# Sberbank's registration numbers: real, valid check digits.
INN10 = "7707083893"
OGRN13 = "1027700132195"
# A sample personal INN and OGRNIP of an individual entrepreneur (valid check digits).
INN12 = "500100732259"
OGRNIP15 = "304500116000157"
CONTACT = Contact(
    name="Anna Petrova", email="anna.petrova@mail.example.net", phone="+7 (423) 200-00-00"
)
PERSONAL = ("Anna", "Petrova", "anna.petrova", "mail.example.net", "(423)", "200-00-00")


def terms(**changes: object) -> OrganisationTerms:
    base = OrganisationTerms(
        name="Foundation for Family Support",
        legal_form="nco",
        inn=INN10,
        ogrn=OGRN13,
        region_code="RU-PRI",
        registered_on=date(2019, 5, 20),
        contact=CONTACT,
        website="https://family.example.org",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def contact(**changes: str) -> Contact:
    return replace(CONTACT, **changes)


def create(t: OrganisationTerms, now: datetime = NOW) -> Organisation:
    return Organisation.create(id="org-1", owner="user-1", terms=t, now=now)


def violations(t: OrganisationTerms, now: datetime = NOW) -> list[FieldViolation]:
    with pytest.raises(InvalidArgument) as caught:
        create(t, now)
    return list(caught.value.violations)


def only_violation(t: OrganisationTerms, now: datetime = NOW) -> tuple[str, str]:
    found = violations(t, now)
    assert len(found) == 1, found
    return found[0].field, found[0].rule


def test_valid_terms_make_an_organisation() -> None:
    o = create(terms(name="  Foundation for Family Support  "))
    assert o.id == "org-1"
    assert o.owner == "user-1"
    assert o.name == "Foundation for Family Support"
    assert o.legal_form is LegalForm.NCO
    assert (o.inn, o.ogrn, o.region_code) == (INN10, OGRN13, "RU-PRI")
    assert o.registered_on == date(2019, 5, 20)
    assert o.contact == CONTACT
    assert o.website == "https://family.example.org"
    assert o.created_at == o.updated_at == NOW


def test_default_eligible_forms_are_the_national_default() -> None:
    assert DEFAULT_ELIGIBLE_FORMS == (
        LegalForm.NCO,
        LegalForm.SOCIAL_ENTERPRISE,
        LegalForm.MUNICIPAL_INSTITUTION,
        LegalForm.STATE_INSTITUTION,
    )
    assert LegalForm.INDIVIDUAL_ENTREPRENEUR not in DEFAULT_ELIGIBLE_FORMS
    assert LegalForm.COMMERCIAL.value == "commercial"


# --- name -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   "])
def test_name_is_required(name: str) -> None:
    assert only_violation(terms(name=name)) == ("organisation.name", "required")


def test_name_has_at_most_500_characters() -> None:
    assert create(terms(name="x" * 500)).name == "x" * 500
    assert only_violation(terms(name="x" * 501)) == ("organisation.name", "max_len")


# --- legal form -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form", [f.value for f in LegalForm if f is not LegalForm.INDIVIDUAL_ENTREPRENEUR]
)
def test_every_legal_entity_form_is_accepted(form: str) -> None:
    assert create(terms(legal_form=form)).legal_form == LegalForm(form)


def test_unknown_legal_form_is_refused() -> None:
    assert only_violation(terms(legal_form="cooperative")) == ("organisation.legal_form", "enum")
    assert only_violation(terms(legal_form="NCO")) == ("organisation.legal_form", "enum")


def test_missing_legal_form_is_required() -> None:
    assert only_violation(terms(legal_form="")) == ("organisation.legal_form", "required")


# --- INN and OGRN -----------------------------------------------------------------------------


def test_individual_entrepreneur_has_personal_inn_and_ogrnip() -> None:
    o = create(terms(legal_form="individual_entrepreneur", inn=INN12, ogrn=OGRNIP15))
    assert o.legal_form is LegalForm.INDIVIDUAL_ENTREPRENEUR
    assert (o.inn, o.ogrn) == (INN12, OGRNIP15)


def test_individual_entrepreneur_with_legal_entity_numbers_is_refused() -> None:
    found = violations(terms(legal_form="individual_entrepreneur"))
    assert {(v.field, v.rule) for v in found} == {
        ("organisation.inn", "format"),
        ("organisation.ogrn", "format"),
    }


def test_legal_entity_with_personal_numbers_is_refused() -> None:
    found = violations(terms(inn=INN12, ogrn=OGRNIP15))
    assert {(v.field, v.rule) for v in found} == {
        ("organisation.inn", "format"),
        ("organisation.ogrn", "format"),
    }


@pytest.mark.parametrize("inn", ["7707083894", "500100732258"])
def test_inn_with_wrong_check_digit_fails_the_checksum(inn: str) -> None:
    form = "nco" if len(inn) == 10 else "individual_entrepreneur"
    ogrn = OGRN13 if len(inn) == 10 else OGRNIP15
    assert only_violation(terms(inn=inn, legal_form=form, ogrn=ogrn)) == (
        "organisation.inn",
        "checksum",
    )


@pytest.mark.parametrize(
    "inn", ["770708389", "77070838931", "77070838A3", "７７０７０８３８９３", " 7707083893"]
)
def test_malformed_inn_is_a_format_violation(inn: str) -> None:
    assert only_violation(terms(inn=inn)) == ("organisation.inn", "format")


def test_inn_is_required() -> None:
    assert only_violation(terms(inn="")) == ("organisation.inn", "required")


@pytest.mark.parametrize(
    ("ogrn", "rule"),
    [
        ("1027700132196", "checksum"),
        ("102770013219", "format"),
        ("1027700132195 ", "format"),
        ("１０２７７００１３２１９５", "format"),
        ("", "required"),
    ],
)
def test_bad_ogrn_of_legal_entity(ogrn: str, rule: str) -> None:
    assert only_violation(terms(ogrn=ogrn)) == ("organisation.ogrn", rule)


def test_bad_ogrnip_of_individual_entrepreneur() -> None:
    t = terms(legal_form="individual_entrepreneur", inn=INN12, ogrn="304500116000158")
    assert only_violation(t) == ("organisation.ogrn", "checksum")


def test_numbers_are_still_checked_when_the_legal_form_is_unknown() -> None:
    found = violations(terms(legal_form="cooperative", inn="7707083894", ogrn="1027700132196"))
    assert {(v.field, v.rule) for v in found} == {
        ("organisation.legal_form", "enum"),
        ("organisation.inn", "checksum"),
        ("organisation.ogrn", "checksum"),
    }


# --- region -----------------------------------------------------------------------------------


def test_region_catalogue_has_every_iso_federal_subject() -> None:
    assert len(REGIONS) == 83
    assert REGIONS["RU-MOW"] == "Moscow"
    assert REGIONS["RU-SPE"] == "Saint Petersburg"
    assert REGIONS["RU-TA"] == "Republic of Tatarstan"
    assert REGIONS["RU-PRI"] == "Primorsky Krai"
    assert REGIONS["RU-KHA"] == "Khabarovsk Krai"
    assert all(code.startswith("RU-") and name for code, name in REGIONS.items())
    assert is_region("RU-YEV")
    assert not is_region("RU-XX")
    assert not is_region("ru-mow")


@pytest.mark.parametrize("code", ["RU-MOW", "RU-KHA", "RU-CHU"])
def test_region_in_the_catalogue_is_accepted(code: str) -> None:
    assert create(terms(region_code=code)).region_code == code


@pytest.mark.parametrize(
    ("code", "rule"), [("RU-XX", "catalogue"), ("MOW", "catalogue"), ("", "required")]
)
def test_region_outside_the_catalogue_is_refused(code: str, rule: str) -> None:
    assert only_violation(terms(region_code=code)) == ("organisation.region_code", rule)


# --- registration date ------------------------------------------------------------------------


def test_registered_on_is_required() -> None:
    assert only_violation(terms(registered_on=None)) == ("organisation.registered_on", "required")


def test_registered_today_is_accepted_but_not_tomorrow() -> None:
    assert create(terms(registered_on=NOW.date())).registered_on == NOW.date()
    t = terms(registered_on=NOW.date() + timedelta(days=2))
    assert only_violation(t) == ("organisation.registered_on", "future")


def test_registered_today_in_the_far_east_is_not_in_the_future() -> None:
    # 20:00 UTC on 1 March is already 2 March in Kamchatka (UTC+12).
    evening = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    assert create(terms(registered_on=date(2026, 3, 2)), evening).registered_on == date(2026, 3, 2)
    t = terms(registered_on=date(2026, 3, 2))
    assert only_violation(t, datetime(2026, 3, 1, 9, 0, tzinfo=UTC)) == (
        "organisation.registered_on",
        "future",
    )


def test_registered_before_1991_is_out_of_range() -> None:
    assert create(terms(registered_on=date(1991, 1, 1))).registered_on == date(1991, 1, 1)
    t = terms(registered_on=date(1990, 12, 31))
    assert only_violation(t) == ("organisation.registered_on", "range")


# --- contact ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "  "])
def test_contact_name_is_required(name: str) -> None:
    assert only_violation(terms(contact=contact(name=name))) == (
        "organisation.contact.name",
        "required",
    )


def test_contact_email_is_required() -> None:
    assert only_violation(terms(contact=contact(email=""))) == (
        "organisation.contact.email",
        "required",
    )


@pytest.mark.parametrize(
    "email", ["a@example.org", "anna.petrova+grants@mail.example.ru", " a@b.ru "]
)
def test_plausible_email_is_accepted(email: str) -> None:
    assert create(terms(contact=contact(email=email))).contact.email == email.strip()


@pytest.mark.parametrize(
    "email",
    [
        "anna.example.org",
        "anna@@example.org",
        "an@na@example.org",
        "anna@example",
        "@example.org",
        "anna@.org",
        "anna@example.",
        "an na@example.org",
        "anna@exam ple.org",
    ],
)
def test_implausible_email_is_a_format_violation(email: str) -> None:
    assert only_violation(terms(contact=contact(email=email))) == (
        "organisation.contact.email",
        "format",
    )


@pytest.mark.parametrize(
    "phone", ["", "+7 (423) 200-00-00", "84232000000", "+1234567890", "123456789012345"]
)
def test_phone_is_optional_and_accepted_when_plausible(phone: str) -> None:
    assert create(terms(contact=contact(phone=phone))).contact.phone == phone


@pytest.mark.parametrize(
    "phone",
    [
        "123456789",
        "1234567890123456",
        "+7 423 200 00 0x",
        "7+4232000000",
        "++74232000000",
        "+7.423.200.00.00",
        "ext. 4232000000",
    ],
)
def test_implausible_phone_is_a_format_violation(phone: str) -> None:
    assert only_violation(terms(contact=contact(phone=phone))) == (
        "organisation.contact.phone",
        "format",
    )


# --- website ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "website", ["", "http://example.org", "https://example.org/about", "HTTPS://EXAMPLE.ORG"]
)
def test_website_is_optional_and_accepted_with_http_or_https(website: str) -> None:
    assert create(terms(website=website)).website == website


@pytest.mark.parametrize(
    "website",
    ["example.org", "ftp://example.org", "https://", "https://exa mple.org", "javascript:alert(1)"],
)
def test_website_without_http_or_https_is_a_format_violation(website: str) -> None:
    assert only_violation(terms(website=website)) == ("organisation.website", "format")


# --- all together, and no personal data -------------------------------------------------------


def broken_everything() -> OrganisationTerms:
    return OrganisationTerms(
        name="",
        legal_form="cooperative",
        inn="7707083894",
        ogrn="1027700132196",
        region_code="RU-XX",
        registered_on=date(1980, 1, 1),
        contact=Contact(name="", email="anna.petrova at example.org", phone="+7 (423) 200-00"),
        website="family.example.org",
    )


def test_every_violation_is_reported_together() -> None:
    found = violations(broken_everything())
    assert {(v.field, v.rule) for v in found} == {
        ("organisation.name", "required"),
        ("organisation.legal_form", "enum"),
        ("organisation.inn", "checksum"),
        ("organisation.ogrn", "checksum"),
        ("organisation.region_code", "catalogue"),
        ("organisation.registered_on", "range"),
        ("organisation.contact.name", "required"),
        ("organisation.contact.email", "format"),
        ("organisation.contact.phone", "format"),
        ("organisation.website", "format"),
    }


def test_violations_never_quote_personal_data() -> None:
    bad_contact = Contact(
        name="Anna Petrova" * 30, email="anna.petrova@example", phone="+7 (423) 200-00-0x"
    )
    texts: list[str] = []
    for t in (broken_everything(), terms(contact=bad_contact)):
        with pytest.raises(InvalidArgument) as caught:
            create(t)
        texts.append(str(caught.value))
        texts.extend(v.description for v in caught.value.violations)
    for text in texts:
        for fragment in PERSONAL:
            assert fragment not in text


def test_contact_repr_redacts_personal_data() -> None:
    o = create(terms())
    for shown in (repr(CONTACT), str(CONTACT), repr(o), f"{CONTACT}"):
        for fragment in PERSONAL:
            assert fragment not in shown
    assert "redacted" in repr(CONTACT)


# --- update -----------------------------------------------------------------------------------


LATER = NOW + timedelta(days=10)


def test_update_replaces_data_and_keeps_identity() -> None:
    o = create(terms())
    updated = o.update(
        terms(name="Family Support Foundation", region_code="RU-KHA", website=""), LATER
    )
    assert (updated.id, updated.owner, updated.inn) == (o.id, o.owner, o.inn)
    assert updated.name == "Family Support Foundation"
    assert updated.region_code == "RU-KHA"
    assert updated.website == ""
    assert updated.created_at == NOW
    assert updated.updated_at == LATER
    assert o.name == "Foundation for Family Support"


def test_update_cannot_change_the_inn() -> None:
    o = create(terms())
    with pytest.raises(InvalidArgument) as caught:
        o.update(terms(inn="7736207543"), LATER)
    assert [(v.field, v.rule) for v in caught.value.violations] == [
        ("organisation.inn", "immutable")
    ]


def test_update_reports_the_inn_with_every_other_violation() -> None:
    o = create(terms())
    with pytest.raises(InvalidArgument) as caught:
        o.update(terms(inn="7736207543", name="", region_code="RU-XX"), LATER)
    assert {(v.field, v.rule) for v in caught.value.violations} == {
        ("organisation.inn", "immutable"),
        ("organisation.name", "required"),
        ("organisation.region_code", "catalogue"),
    }


def test_update_validates_like_create() -> None:
    o = create(terms())
    with pytest.raises(InvalidArgument) as caught:
        o.update(terms(registered_on=LATER.date() + timedelta(days=5)), LATER)
    assert [(v.field, v.rule) for v in caught.value.violations] == [
        ("organisation.registered_on", "future")
    ]


def test_update_to_individual_entrepreneur_does_not_fit_the_legal_entity_inn() -> None:
    o = create(terms())
    with pytest.raises(InvalidArgument) as caught:
        o.update(terms(legal_form="individual_entrepreneur", ogrn=OGRNIP15), LATER)
    assert [(v.field, v.rule) for v in caught.value.violations] == [("organisation.inn", "format")]


def test_update_uses_the_given_prefix() -> None:
    o = create(terms())
    with pytest.raises(InvalidArgument) as caught:
        o.update(terms(name=""), LATER, prefix="update.organisation")
    assert [v.field for v in caught.value.violations] == ["update.organisation.name"]


# --- registration age -------------------------------------------------------------------------


def registered(on: date) -> Organisation:
    return create(terms(registered_on=on))


@pytest.mark.parametrize(
    ("registered_on", "moment", "months"),
    [
        (date(2025, 3, 15), date(2026, 3, 14), 11),
        (date(2025, 3, 15), date(2026, 3, 15), 12),
        (date(2025, 3, 15), date(2025, 3, 15), 0),
        (date(2025, 3, 15), date(2025, 4, 14), 0),
        (date(2025, 3, 15), date(2025, 4, 15), 1),
        # From the 31st a month ends on the last day of a shorter month.
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2024, 1, 31), date(2024, 2, 29), 1),
        (date(2024, 1, 31), date(2024, 3, 30), 1),
        (date(2024, 1, 31), date(2024, 3, 31), 2),
        (date(2024, 1, 31), date(2025, 1, 30), 11),
        (date(2024, 1, 31), date(2025, 1, 31), 12),
        (date(2025, 1, 31), date(2025, 2, 28), 1),
        # A leap day: a year later is 28 February.
        (date(2024, 2, 29), date(2025, 2, 27), 11),
        (date(2024, 2, 29), date(2025, 2, 28), 12),
        (date(2023, 12, 31), date(2024, 12, 31), 12),
        (date(2023, 12, 31), date(2024, 12, 30), 11),
        # A moment before registration counts negative months.
        (date(2025, 3, 15), date(2025, 3, 14), -1),
        (date(2025, 3, 15), date(2024, 3, 15), -12),
    ],
)
def test_registration_months_before(registered_on: date, moment: date, months: int) -> None:
    assert registered(registered_on).registration_months_before(moment) == months


def test_add_months_clamps_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)
    assert add_months(date(2024, 1, 15), -1) == date(2023, 12, 15)
