"""The portal's page store: a page is answered again within its time, then made anew."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.test import RequestFactory

from shuangsuiji.core import pagecache


def test_a_kept_page_is_answered_again_until_its_time_is_up(monkeypatch: Any) -> None:
    now = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now[0])
    made: list[str] = []

    @pagecache.keep(60)
    def view(request: Any) -> HttpResponse:
        made.append(request.get_full_path())
        return HttpResponse(f"page {len(made)}", content_type="text/html; charset=utf-8")

    factory = RequestFactory()
    first = view(factory.get("/results/?q=美发"))
    assert first.content.decode() == "page 1"
    again = view(factory.get("/results/?q=美发"))
    assert again.content.decode() == "page 1" and again["Content-Type"] == "text/html; charset=utf-8"
    assert view(factory.get("/results/?q=美容")).content.decode() == "page 2"  # another query, another page
    assert view(factory.post("/results/?q=美发")).content.decode() == "page 3"  # only GET and HEAD are kept
    now[0] += 61
    assert view(factory.get("/results/?q=美发")).content.decode() == "page 4"
    pagecache.clear()
    assert view(factory.get("/results/?q=美发")).content.decode() == "page 5"


def test_only_whole_pages_that_set_no_cookie_are_kept_and_the_store_is_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(pagecache, "MAX_PAGES", 3)
    answers = iter(range(100))

    @pagecache.keep(60)
    def view(request: Any) -> HttpResponse:
        number = next(answers)
        if request.GET.get("kind") == "missing":
            return HttpResponse(str(number), status=404)
        response = HttpResponse(str(number))
        if request.GET.get("kind") == "cookie":
            response.set_cookie("x", "1")
        return response

    factory = RequestFactory()
    for kind in ("missing", "cookie"):
        assert view(factory.get(f"/?kind={kind}")).content != view(factory.get(f"/?kind={kind}")).content
    pages = [view(factory.get(f"/?n={n}")).content for n in range(4)]  # the oldest of four goes
    assert view(factory.get("/?n=3")).content == pages[3]
    assert view(factory.get("/?n=0")).content != pages[0]
