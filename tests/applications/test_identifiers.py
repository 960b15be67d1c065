"""INN, OGRN and OGRNIP check digits as shared DOMAIN.md gives them."""

from __future__ import annotations

import pytest
from grantflow_applications.domain.identifiers import (
    inn_problem,
    is_valid_inn,
    is_valid_ogrn,
    is_valid_ogrnip,
    ogrn_problem,
    ogrnip_problem,
)
from hypothesis import given
from hypothesis import strategies as st

# An independent transcription of the DOMAIN.md algorithm, so the tests do not grade the module
# with its own arithmetic.
W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10


def inn10(prefix: str) -> str:
    return prefix + str(weighted(prefix, W10))


def inn12(prefix: str) -> str:
    eleven = prefix + str(weighted(prefix, W11))
    return eleven + str(weighted(eleven, W12))


def ogrn13(prefix: str) -> str:
    return prefix + str(int(prefix) % 11 % 10)


def ogrnip15(prefix: str) -> str:
    return prefix + str(int(prefix) % 13 % 10)


def other_last_digits(value: str) -> list[str]:
    return [value[:-1] + d for d in "0123456789" if d != value[-1]]


# Published registration numbers: Sberbank and Yandex.
PUBLISHED_INN10 = ["7707083893", "7736207543"]
PUBLISHED_OGRN = ["1027700132195", "1037739850873"]
# Sample numbers widely used on tax-service forms.
SAMPLE_INN12 = ["500100732259"]
SAMPLE_OGRNIP = ["304500116000157"]

GENERATED_INN10 = [inn10(p) for p in ("770708389", "500100732", "253600000", "000000001")]
GENERATED_INN12 = [inn12(p) for p in ("7707083893", "2536000000", "0000000001", "9999999999")]
GENERATED_OGRN = [ogrn13(p) for p in ("102770013219", "102250000000", "512345678901")]
GENERATED_OGRNIP = [ogrnip15(p) for p in ("30450011600015", "31225360000000", "32199999999999")]

INN10 = PUBLISHED_INN10 + GENERATED_INN10
INN12 = SAMPLE_INN12 + GENERATED_INN12
OGRN = PUBLISHED_OGRN + GENERATED_OGRN
OGRNIP = SAMPLE_OGRNIP + GENERATED_OGRNIP


def test_published_numbers_agree_with_the_algorithm() -> None:
    assert [inn10(x[:9]) for x in PUBLISHED_INN10] == PUBLISHED_INN10
    assert [inn12(x[:10]) for x in SAMPLE_INN12] == SAMPLE_INN12
    assert [ogrn13(x[:12]) for x in PUBLISHED_OGRN] == PUBLISHED_OGRN
    assert [ogrnip15(x[:14]) for x in SAMPLE_OGRNIP] == SAMPLE_OGRNIP


@pytest.mark.parametrize("inn", INN10)
def test_legal_entity_inn_is_valid(inn: str) -> None:
    assert inn_problem(inn) is None
    assert inn_problem(inn, person=False) is None
    assert is_valid_inn(inn)


@pytest.mark.parametrize("inn", INN12)
def test_personal_inn_is_valid(inn: str) -> None:
    assert inn_problem(inn) is None
    assert inn_problem(inn, person=True) is None
    assert is_valid_inn(inn, person=True)


@pytest.mark.parametrize("inn", INN10 + INN12)
def test_inn_with_another_last_digit_is_invalid(inn: str) -> None:
    for wrong in other_last_digits(inn):
        problem = inn_problem(wrong)
        assert problem is not None
        assert "check digit" in problem
        assert not is_valid_inn(wrong)


@pytest.mark.parametrize("inn", INN12)
def test_personal_inn_with_another_eleventh_digit_is_invalid(inn: str) -> None:
    for d in "0123456789":
        if d != inn[10]:
            assert not is_valid_inn(inn[:10] + d + inn[11])


def test_inn_length_must_suit_the_kind_of_taxpayer() -> None:
    problem = inn_problem(INN10[0], person=True)
    assert problem is not None
    assert "12 digits" in problem
    problem = inn_problem(INN12[0], person=False)
    assert problem is not None
    assert "10 digits" in problem
    assert not is_valid_inn(INN10[0], person=True)
    assert not is_valid_inn(INN12[0], person=False)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "770708389",  # 9 digits
        "77070838930",  # 11 digits
        "7707083893000",  # 13 digits
        "77070838A3",
        "７７０７０８３８９３",  # full-width digits pass str.isdigit() but are not an INN
        "7707 083893",
        " 7707083893",
        "7707083893 ",
        "-707083893",
        "٧٧٠٧٠٨٣٨٩٣",  # Arabic-Indic digits
    ],
)
def test_malformed_inn_is_invalid(value: str) -> None:
    assert inn_problem(value) is not None
    assert not is_valid_inn(value)


def test_inn_problem_explains_what_is_wrong() -> None:
    assert inn_problem("") == "is empty"
    assert inn_problem("77070838A3") == "must consist of ASCII digits only"
    assert "not 11" in (inn_problem("77070838930") or "")


@pytest.mark.parametrize("ogrn", OGRN)
def test_ogrn_is_valid(ogrn: str) -> None:
    assert ogrn_problem(ogrn) is None
    assert is_valid_ogrn(ogrn)
    # An OGRN is not an OGRNIP.
    assert not is_valid_ogrnip(ogrn)


@pytest.mark.parametrize("ogrn", OGRN)
def test_ogrn_with_another_last_digit_is_invalid(ogrn: str) -> None:
    for wrong in other_last_digits(ogrn):
        assert "check digit" in (ogrn_problem(wrong) or "")
        assert not is_valid_ogrn(wrong)


@pytest.mark.parametrize("ogrnip", OGRNIP)
def test_ogrnip_is_valid(ogrnip: str) -> None:
    assert ogrnip_problem(ogrnip) is None
    assert is_valid_ogrnip(ogrnip)
    assert not is_valid_ogrn(ogrnip)


@pytest.mark.parametrize("ogrnip", OGRNIP)
def test_ogrnip_with_another_last_digit_is_invalid(ogrnip: str) -> None:
    for wrong in other_last_digits(ogrnip):
        assert "check digit" in (ogrnip_problem(wrong) or "")
        assert not is_valid_ogrnip(wrong)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "102770013219",
        "10277001321950",
        "１０２７７００１３２１９５",
        "1027700 32195",
        "102770013219X",
    ],
)
def test_malformed_ogrn_is_invalid(value: str) -> None:
    assert ogrn_problem(value) is not None
    assert not is_valid_ogrn(value)


@pytest.mark.parametrize(
    "value",
    ["", "30450011600015", "3045001160001570", "３０４５００１１６０００１５７", "30450011600015 "],
)
def test_malformed_ogrnip_is_invalid(value: str) -> None:
    assert ogrnip_problem(value) is not None
    assert not is_valid_ogrnip(value)


def test_ogrn_moduli_differ_from_a_naive_mod_10() -> None:
    # A 12-digit prefix whose remainder mod 11 is 10 gets check digit 0, not 10 or 1.
    prefix = next(str(n) for n in range(102770013219, 102770013300) if n % 11 == 10)
    assert is_valid_ogrn(prefix + "0")
    prefix14 = next(str(n) for n in range(30450011600015, 30450011600100) if n % 13 >= 10)
    assert is_valid_ogrnip(prefix14 + str(int(prefix14) % 13 - 10))


@given(st.from_regex(r"[0-9]{9}", fullmatch=True))
def test_only_the_computed_check_digit_completes_a_legal_entity_inn(prefix: str) -> None:
    check = weighted(prefix, W10)
    assert is_valid_inn(prefix + str(check), person=False)
    for d in range(10):
        if d != check:
            assert not is_valid_inn(prefix + str(d))


@given(st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_only_the_computed_check_digits_complete_a_personal_inn(prefix: str) -> None:
    valid = inn12(prefix)
    assert is_valid_inn(valid, person=True)
    for wrong in other_last_digits(valid):
        assert not is_valid_inn(wrong)


@given(st.from_regex(r"[0-9]{12}", fullmatch=True))
def test_only_the_computed_check_digit_completes_an_ogrn(prefix: str) -> None:
    valid = ogrn13(prefix)
    assert is_valid_ogrn(valid)
    for wrong in other_last_digits(valid):
        assert not is_valid_ogrn(wrong)


@given(st.from_regex(r"[0-9]{14}", fullmatch=True))
def test_only_the_computed_check_digit_completes_an_ogrnip(prefix: str) -> None:
    valid = ogrnip15(prefix)
    assert is_valid_ogrnip(valid)
    for wrong in other_last_digits(valid):
        assert not is_valid_ogrnip(wrong)
