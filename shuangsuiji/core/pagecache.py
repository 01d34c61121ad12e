"""Rendered public pages kept in the server process for a while (the portal's, for its Cache-Control minute).

Django's `cache_page` did the same through the cache framework: a cache key from the URL, the language, the
time zone and the response's Vary headers (two MD5s and a header list stored beside each page), the response
pickled in and out. On an uncached search that was a tenth of the request's CPU, and a kept page still cost
half a millisecond to hand back (benchmarks/bench_portal.py). The portal's pages are the same for every
visitor, so the URL (path and query string) is the whole key and the page's bytes the whole value."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

MAX_PAGES = 1000  # ~11–45 KB each: tens of megabytes at most per server process
_pages: OrderedDict[str, tuple[float, bytes, str]] = OrderedDict()
_lock = threading.Lock()


def keep(seconds: int) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view whose page is the same for everyone: a GET answered in the last `seconds` is answered
    again from the kept bytes. Only complete 200 pages that set no cookie are kept."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def kept(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            key = request.get_full_path()
            now = time.monotonic()
            found = _pages.get(key)
            if found is not None and found[0] > now:
                return HttpResponse(found[1], content_type=found[2])
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming and not response.cookies:
                with _lock:
                    _pages[key] = (now + seconds, response.content, response["Content-Type"])
                    _pages.move_to_end(key)
                    while len(_pages) > MAX_PAGES:
                        _pages.popitem(last=False)
            return response

        return kept

    return decorator


def clear() -> None:
    with _lock:
        _pages.clear()
