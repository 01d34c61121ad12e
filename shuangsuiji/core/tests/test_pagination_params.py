"""Number parameters: what int() cannot read, or what does not fit, is no number, not a crash."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from shuangsuiji.core.pagination import int_param
from shuangsuiji.core.params import number


def test_superscript_digits_are_no_cursor_and_full_width_digits_are() -> None:
    # '¹'.isdigit() is true but int('¹') fails (hypothesis found it on the staff entity list)
    request = RequestFactory().get("/", {"after": "¹", "before": "１２", "page": "99999999999999999999"})
    assert int_param(request, "after") is None
    assert int_param(request, "before") == 12
    assert int_param(request, "page") is None


@pytest.mark.django_db
def test_the_portal_search_takes_superscripts_for_no_number(client: Any) -> None:
    response = client.get("/results/", {"after": "¹", "before": "²", "year": "²⁰²⁵", "department": "³"})
    assert response.status_code == 200


def test_a_number_is_decimal_digits_within_its_range() -> None:
    assert number(" 2025 ", 2000, 2100) == 2025 and number("２０２５", 2000, 2100) == 2025
    assert number("1999", 2000, 2100) is None and number("99999", 2000, 2100) is None
    assert number("1" * 5000) is None  # int() refuses more than 4,300 digits
    assert number("¹") is None and number("-3") is None and number("") is None and number(None) is None
    assert number("0") == 0 and number("0", 1) is None


@pytest.mark.django_db
def test_a_five_thousand_digit_number_is_no_crash(client: Any) -> None:
    many = "1" * 5000
    for url in ("/results/", "/verify/"):
        response = client.get(url, {"year": many, "department": many, "task": many, "after": many})
        assert response.status_code == 200, url
