"""Keyset pagination: constant cost per page at any table size, and no full COUNT.

Big registers are ordered by primary key (newest first) and paged by cursor (`after`/`before`).
Small administrative lists may order by a field and page by number. The count shown is exact up to
`COUNT_CAP` and "超过 N 条" beyond, so a list of 10^6 rows is never counted whole on every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest

from shuangsuiji.core.params import number

PAGE_SIZE = 20
COUNT_CAP = 10_000
_CURSORS = ("after", "before", "page")


@dataclass
class Page:
    items: list[Any]
    total: int
    total_capped: bool
    filters: dict[str, str]
    next_cursor: tuple[str, int] | None = None
    prev_cursor: tuple[str, int] | None = None

    def _url(self, cursor: tuple[str, int] | None) -> str:
        if cursor is None:
            return "?" + self.filter_query
        return f"?{self.filter_query}{'&' if self.filters else ''}{cursor[0]}={int(cursor[1])}"

    @property
    def next_url(self) -> str | None:
        return self._url(self.next_cursor) if self.next_cursor else None

    @property
    def prev_url(self) -> str | None:
        return self._url(self.prev_cursor) if self.prev_cursor else None

    @property
    def first_url(self) -> str:
        return self._url(None)

    @cached_property
    def filter_query(self) -> str:
        """The filters as a query string, encoded once for all of the page's links."""
        return urlencode(self.filters)


def int_param(request: HttpRequest, name: str) -> int | None:
    return number(request.GET.get(name))


def query_of(request: HttpRequest) -> dict[str, str]:
    """The list's query string without its cursor: what every page link of the list carries."""
    return {str(k): str(v) for k, v in request.GET.items() if k not in _CURSORS and v}


def paginate(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    order: str = "-pk",
    size: int = PAGE_SIZE,
    count_cap: int = COUNT_CAP,
) -> Page:
    page = Page([], 0, False, query_of(request))
    if order != "-pk":
        number = max(1, min(int_param(request, "page") or 1, count_cap // size + 1))
        start = (number - 1) * size
        rows = list(queryset.order_by(order, "pk")[start : start + size + 1])
        page.items = rows[:size]
        page.next_cursor = ("page", number + 1) if len(rows) > size else None
        page.prev_cursor = ("page", number - 1) if number > 1 else None
        _count(page, queryset, first_page=number == 1, rows=len(rows), size=size, cap=count_cap)
        return page
    after, before = int_param(request, "after"), int_param(request, "before")
    if before is not None:
        rows = list(queryset.filter(pk__gt=before).order_by("pk")[: size + 1])
        page.items = list(reversed(rows[:size]))
        if page.items:
            page.next_cursor = ("after", page.items[-1].pk)
            if len(rows) > size:
                page.prev_cursor = ("before", page.items[0].pk)
        _count(page, queryset, first_page=False, rows=len(rows), size=size, cap=count_cap)
        return page
    base = queryset.filter(pk__lt=after) if after is not None else queryset
    rows = list(base.order_by("-pk")[: size + 1])
    page.items = rows[:size]
    if len(rows) > size:
        page.next_cursor = ("after", page.items[-1].pk)
    if after is not None and page.items and queryset.filter(pk__gt=page.items[0].pk).exists():
        page.prev_cursor = ("before", page.items[0].pk)
    _count(page, queryset, first_page=after is None, rows=len(rows), size=size, cap=count_cap)
    return page


def _count(page: Page, queryset: QuerySet[Any], *, first_page: bool, rows: int, size: int, cap: int) -> None:
    """A first page that is not full already knows the total: no COUNT at all. Otherwise count up to
    `cap` rows, never the whole table, unordered (the planner may use any index: in the list's order, a
    rare name walked all 10^6 entities of the staff entity list instead of using the name index, 373 ms,
    benchmarks/bench_entity_list.py)."""
    if first_page and rows <= size:
        page.total, page.total_capped = rows, False
        return
    counted = queryset.order_by()[: cap + 1].count()
    page.total, page.total_capped = min(counted, cap), counted > cap
