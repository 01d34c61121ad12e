from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _no_cached_dashboards() -> Iterator[None]:
    """`statistics.dashboard` keeps computed tables for minutes: each test starts and ends without them."""
    cache.clear()
    yield
    cache.clear()
