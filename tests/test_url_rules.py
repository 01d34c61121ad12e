"""Deny by default: every URL pattern's view declares a rule, and every declared rule exists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from shuangsuiji.accounts.rules import RULES
from shuangsuiji.core.permissions import AUTHENTICATED, PUBLIC, declared_rule


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_every_url_declares_a_known_rule() -> None:
    patterns = list(walk(get_resolver().url_patterns))
    assert len(patterns) > 20
    missing = [route for route, view in patterns if declared_rule(view) is None]
    assert missing == [], f"views without a declared rule: {missing}"
    unknown = [
        (route, declared_rule(view))
        for route, view in patterns
        if declared_rule(view) not in RULES and declared_rule(view) not in (PUBLIC, AUTHENTICATED)
    ]
    assert unknown == []


def test_only_sign_in_and_the_portal_are_public() -> None:
    """Every login-free view is the sign-in page or lives in the portal app (the staff area is /staff/)."""
    public = [
        (route, view.__module__)
        for route, view in walk(get_resolver().url_patterns)
        if declared_rule(view) == PUBLIC
    ]
    assert ("staff/accounts/login/", "shuangsuiji.accounts.views") in public
    outside = [
        (route, module)
        for route, module in public
        if module != "shuangsuiji.disclosure.views" and route != "staff/accounts/login/"
    ]
    assert outside == []
    assert not [
        route
        for route, module in public
        if module == "shuangsuiji.disclosure.views" and route.startswith("staff/")
    ]
    staff = [route for route, view in walk(get_resolver().url_patterns) if declared_rule(view) != PUBLIC]
    assert all(route.startswith("staff/") for route in staff), [
        r for r in staff if not r.startswith("staff/")
    ]


def test_undeclared_view_is_refused(rf: Any, django_user_model: Any, db: Any) -> None:
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from shuangsuiji.core.permissions import RuleMiddleware

    def naked(request: Any) -> HttpResponse:
        return HttpResponse("secret")

    request = rf.get("/x")
    request.user = django_user_model(username="x")
    try:
        RuleMiddleware(lambda r: HttpResponse()).process_view(request, naked, (), {})
    except PermissionDenied:
        return
    raise AssertionError("an undeclared view was let through")
