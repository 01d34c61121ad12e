"""The results search: substring semantics of the name indexes (SQLite FTS5, PostgreSQL bigram GIN or the
newest-first walk), the filters, and what the page renders."""

from __future__ import annotations

from html import escape
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from shuangsuiji.disclosure import names, search, selectors
from shuangsuiji.disclosure.models import PublishedResult, ResultName
from shuangsuiji.disclosure.tests.test_portal import body, publish
from shuangsuiji.inspections.tests.test_inspections import dispatched

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(cast: Any) -> list[PublishedResult]:
    """Published results of two records, renamed: one name per result."""
    task = dispatched(cast)
    for record in task.records.all()[:2]:
        publish(cast, record)
    out = list(PublishedResult.objects.order_by("pk"))
    assert len(out) >= 4
    chosen = ["洛阳美发店发美有限公司", "偃师区<b>餐饮</b>店", "偃师区美_有商行", "洛阳美发有限公司"]
    for i, row in enumerate(out):
        name = chosen[i] if i < len(chosen) else f"其他企业{i}"
        PublishedResult.objects.filter(pk=row.pk).update(entity_name=name)  # the update trigger on SQLite
    return list(PublishedResult.objects.order_by("pk"))


def found(q: str, **filters: Any) -> set[str]:
    """The names on the search page (at most 20 here: fewer results than that)."""
    page = search.page(selectors.ResultFilters(q=q, **filters), None, None, {})
    assert page.total == len(page.items) and not page.total_capped
    return {r.entity_name for r in page.items}


def test_a_name_search_finds_exactly_the_names_that_contain_it(rows: list[PublishedResult]) -> None:
    assert found("美发有") == {"洛阳美发有限公司"}
    # every bigram of 美发美 (美发, 发美) is in 洛阳美发店发美有限公司, but not in a row
    assert found("美发美") == set()
    assert found("发美") == {"洛阳美发店发美有限公司"}
    assert found("洛阳美发") == {"洛阳美发店发美有限公司", "洛阳美发有限公司"}
    assert found("美_有") == {"偃师区美_有商行"}  # LIKE's wildcards are plain characters
    assert found("美%") == set()
    assert found("偃师区") == {"偃师区<b>餐饮</b>店", "偃师区美_有商行"}
    # the export path (id IN the index's matches on SQLite) agrees with the page's
    for q in ("美发有", "美发美", "偃师区", "美_有"):
        exported = {r.entity_name for r in selectors.result_search(selectors.ResultFilters(q=q))}
        assert exported == found(q), q


def test_the_filters_apply_to_a_name_search(rows: list[PublishedResult]) -> None:
    first = rows[0]
    assert found("洛阳", department=first.department_id) == {
        r.entity_name for r in rows if r.department_id == first.department_id and "洛阳" in r.entity_name
    }
    assert found("洛阳", year=first.year) >= {first.entity_name}
    assert found("洛阳", year=first.year + 1) == set()
    assert found("洛阳", code=first.code_number + 50) == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def test_sqlite_keeps_the_name_index_with_the_results(rows: list[PublishedResult]) -> None:
    assert names.available(connection)
    indexed = ResultName.objects.filter(tokens__match=names.phrase("美发有")).values_list("pk", flat=True)
    assert set(indexed) == {rows[3].pk}
    PublishedResult.objects.filter(pk=rows[3].pk).update(entity_name="洛阳理发有限公司")
    assert found("美发有") == set() and found("理发有") == {"洛阳理发有限公司"}
    PublishedResult.objects.filter(pk=rows[2].pk).delete()
    assert found("美_有") == set()
    assert not ResultName.objects.filter(tokens__match=names.phrase("美_有")).exists()


def test_names_tokens_are_the_bigrams_in_order() -> None:
    assert names.tokens("美发店") == f"{'美发'.encode().hex()} {'发店'.encode().hex()}"
    assert names.tokens("AB") == names.tokens("ab") == b"ab".hex()
    assert names.tokens("美") == names.tokens("") == names.tokens(None) == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL chooses between index and walk")
@pytest.mark.parametrize("walk", [True, False])
def test_postgresql_finds_the_same_names_by_index_or_by_walk(
    rows: list[PublishedResult], monkeypatch: Any, walk: bool
) -> None:
    monkeypatch.setattr(search, "_walk_newest_first", lambda q: walk)
    assert found("美发有") == {"洛阳美发有限公司"}
    assert found("美发美") == set()
    assert found("偃师区") == {"偃师区<b>餐饮</b>店", "偃师区美_有商行"}


def test_a_small_register_is_searched_through_the_index_on_postgresql(rows: list[PublishedResult]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    # the walk pays only when matches exceed sqrt(cap × results): never with a handful of results
    assert search._walk_newest_first("偃师区") is False
    assert search._walk_newest_first("绝无此名称的企业") is False


def test_the_results_page_renders_escaped_names_and_the_chosen_filters(
    client: Any, rows: list[PublishedResult]
) -> None:
    first = rows[0]
    text = body(client, reverse("portal:results") + f"?q=偃师区&department={first.department_id}")
    assert "&lt;b&gt;餐饮&lt;/b&gt;" in text and "<b>餐饮</b>" not in text
    assert f'<option value="{first.department_id}" selected>' in text
    assert text.count(" selected>") == 1
    assert text.count('aria-current="page"') == 1 and 'aria-current="page">检查结果</a>' in text
    link = reverse("portal:result", args=[rows[1].pk])
    assert (f'href="{link}"' in text) == (rows[1].department_id == first.department_id)
    assert "共 " in text and "没有符合条件" not in text
    empty = body(client, reverse("portal:results") + "?q=美发美")
    assert "没有符合条件的公示结果" in empty


def test_a_long_chinese_name_is_searched_as_a_name_on_every_path(rows: list[PublishedResult]) -> None:
    # 15 Chinese characters are alphanumeric to Python (str.isalnum) but are no USCC or registration number:
    # the page and the export both search the name (the export used to look for an entity code of that text)
    name = "洛阳市偃师区美发美容有限责任公司"[:15]
    PublishedResult.objects.filter(pk=rows[0].pk).update(entity_name=name + "分店")
    assert found(name) == {name + "分店"}
    exported = {r.entity_name for r in selectors.result_search(selectors.ResultFilters(q=name))}
    assert exported == {name + "分店"}


@pytest.mark.parametrize("filters", [{}, {"q": "洛阳"}, {"q": "偃师区"}, {"year": 0}, {"department": 0}])
def test_the_pages_walk_every_result_once_forward_and_back(
    rows: list[PublishedResult], monkeypatch: Any, filters: dict[str, Any]
) -> None:
    # pages of 2 and a count capped at 3, so a handful of results has several pages and an over-cap count
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    if "year" in filters:
        filters = {"year": rows[0].year}
    if "department" in filters:
        filters = {"department": rows[0].department_id}
    chosen = selectors.ResultFilters(**filters)
    expected = sorted(selectors.result_search(chosen).values_list("pk", flat=True), reverse=True)
    assert expected, filters

    def at(after: int | None = None, before: int | None = None) -> Any:
        return search.page(chosen, after, before, {"q": chosen.q})

    pages = [at()]
    while pages[-1].next_cursor:
        assert pages[-1].next_cursor[0] == "after"
        pages.append(at(after=pages[-1].next_cursor[1]))
    assert [r.pk for p in pages for r in p.items] == expected
    assert all(len(p.items) == 2 for p in pages[:-1]) and 1 <= len(pages[-1].items) <= 2
    for p in pages:
        assert (p.total, p.total_capped) == (min(len(expected), 3), len(expected) > 3)
    assert pages[0].prev_cursor is None and all(p.prev_cursor for p in pages[1:])
    # back from the last page, by `before`: the same pages in reverse
    back = [pages[-1]]
    while back[-1].prev_cursor:
        back.append(at(before=back[-1].prev_cursor[1]))
    assert [[r.pk for r in p.items] for p in reversed(back)] == [[r.pk for r in p.items] for p in pages]
    # a cursor above the newest result: the first page, with nothing newer to go back to
    top = at(after=max(expected) + 1)
    assert [r.pk for r in top.items] == [r.pk for r in pages[0].items] and top.prev_cursor is None
    # past the end: nothing, but still the count
    past = at(after=min(expected))
    assert past.items == [] and past.total == min(len(expected), 3) and past.next_cursor is None


@pytest.fixture
def county_again(transactional_db: Any) -> None:
    """The demo county for a test outside the rolled-back transaction: a transactional test before it on this
    worker has emptied the tables (as in draws/tests/test_concurrency.py)."""
    from shuangsuiji.demo.county import demo_load

    demo_load(entities=400)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner setting is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_filters_only_search_runs_without_sorts_and_leaves_the_setting_behind(
    county_again: None, rows: list[PublishedResult]
) -> None:
    first = rows[0]
    filters = selectors.ResultFilters(department=first.department_id)
    led = search.conditions(filters, from_index=True)
    assert led.lead  # the kind of search the setting is for
    with connection.cursor() as cursor:
        search._executor(led, cursor)("SELECT current_setting('enable_sort'), %s", [7])
        assert cursor.fetchall() == [("off", 7)]
        cursor.execute("SELECT current_setting('enable_sort')")
        assert cursor.fetchone() == ("on",)  # the setting ended with its statement
    expected = sorted((r.pk for r in rows if r.department_id == first.department_id), reverse=True)
    page = search.page(filters, None, None, {})
    assert [r.pk for r in page.items] == expected[:20] and page.total == len(expected)
    past = search.page(filters, expected[-1], None, {})  # past the last row: only the count
    assert past.items == [] and past.total == len(expected)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_sort')")
        assert cursor.fetchone() == ("on",)


def test_the_results_page_is_the_portal_layout_around_the_search_once_the_layout_is_kept(
    client: Any, rows: list[PublishedResult]
) -> None:
    """The results page puts its content (rendered in Python) into the portal's layout, rendered once and
    kept: the first page renders it, the next reuses it; both are whole pages with this page's title, its
    section marked current, and their own content."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from shuangsuiji.disclosure import views
    from shuangsuiji.disclosure.tests.test_portal import body

    views._frames.clear()
    first, second = body(client, "/results/?q=洛阳"), body(client, "/results/?q=偃师区")
    assert len(views._frames) == 1
    request = RequestFactory().get("/results/")
    layout = render_to_string("disclosure/frame.html", {"title": "检查结果", "content": "CONTENT"}, request)
    before, after = layout.split("CONTENT")
    for html, shown in ((first, found("洛阳")), (second, found("偃师区"))):
        assert html.startswith(before) and html.endswith(after)
        assert "<title>检查结果 · “双随机、一公开”信息公开</title>" in html
        assert 'href="/results/" aria-current="page">检查结果</a>' in html
        assert html.count("<main") == 1 and html.count("<form") == 1
        assert shown and {escape(name) for name in shown} <= names_on(html)


def names_on(html: str) -> set[str]:
    import re

    return set(re.findall(r'<td><a href="/results/\d+/">([^<]*)</a></td>', html))
