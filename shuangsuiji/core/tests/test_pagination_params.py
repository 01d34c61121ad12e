"""Number parameters of lists: digits that int() cannot read are no number, not a crash."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from shuangsuiji.core.pagination import int_param


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
