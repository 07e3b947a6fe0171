"""The identifiers of the field, checked with python-stdnum."""

from datetime import date

import pytest

from models import codes


@pytest.mark.parametrize(
    "code, born, sex",
    [
        ("37605030299", date(1976, 5, 3), "M"),
        ("48504121235", date(1985, 4, 12), "F"),
        ("50301020055", date(2003, 1, 2), "M"),
    ],
)
def test_valid_personal_code_gives_birth_date_and_sex(code, born, sex):
    assert codes.personal_code(f" {code} ") == code
    assert codes.birth_date(code) == born
    assert codes.sex(code) == sex


@pytest.mark.parametrize(
    "code",
    ["37605030298", "3760503029", "376050302990", "37613030299", "3760503029X", "", "97605030299"],
)
def test_invalid_personal_code_is_refused(code):
    with pytest.raises(codes.CodeError, match="isikukood"):
        codes.personal_code(code)


@pytest.mark.parametrize("code", ["70001975", "77000217", "10045216"])
def test_valid_registry_code(code):
    assert codes.registry_code(code) == code


@pytest.mark.parametrize("code", ["70001976", "7000197", "700019750", "abcdefgh", ""])
def test_invalid_registry_code_is_refused(code):
    with pytest.raises(codes.CodeError, match="registrikood"):
        codes.registry_code(code)


def test_iban_is_compacted_and_checked():
    assert codes.iban("EE38 2200 2210 2014 5685") == "EE382200221020145685"
    assert codes.format_iban("EE382200221020145685") == "EE38 2200 2210 2014 5685"


@pytest.mark.parametrize("value", ["EE382200221020145686", "EE38220022102014568", "XX382200221020145685", "12345"])
def test_invalid_iban_is_refused(value):
    with pytest.raises(codes.CodeError, match="IBAN"):
        codes.iban(value)


def test_generated_codes_are_valid():
    for n in range(200):
        born = date(1950 + n % 60, 1 + n % 12, 1 + n % 28)
        code = codes.make_personal_code(born, "MF"[n % 2], n)
        assert codes.birth_date(codes.personal_code(code)) == born
        assert codes.registry_code(codes.make_registry_code("80", n))
        assert codes.iban(codes.make_iban("10", n))


@pytest.mark.parametrize(
    "born, reaches",
    [
        (date(1959, 3, 31), date(2023, 3, 31)),
        (date(1961, 11, 30), date(2026, 2, 28)),
        (date(1963, 6, 15), date(2028, 3, 15)),
        (date(1970, 1, 1), date(2035, 1, 1)),
    ],
)
def test_pension_age_follows_the_year_of_birth(born, reaches):
    assert codes.pension_age_date(born) == reaches
