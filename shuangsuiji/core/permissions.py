"""Deny by default: every view declares the rule that admits a user, and the middleware enforces it.

A view without a declared rule answers 403 for everyone (and the URL-walking test fails on it), so
forgetting a declaration can never open a page. Rules name capabilities; `shuangsuiji.accounts.rules`
says which roles hold each. Which *rows* a user may see is the selectors' job (department scope).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

PUBLIC = "public"
AUTHENTICATED = "authenticated"
ATTRIBUTE = "ssj_rule"

V = TypeVar("V", bound=Callable[..., Any])


def rule(name: str) -> Callable[[V], V]:
    """Declare the rule of a function view or a class-based view."""

    def decorate(view: V) -> V:
        setattr(view, ATTRIBUTE, name)
        if name == PUBLIC:
            if isinstance(view, type):
                view.dispatch = login_not_required(view.dispatch)  # type: ignore[attr-defined]
                view.login_required = False  # type: ignore[attr-defined]
            else:
                view = login_not_required(view)
                setattr(view, ATTRIBUTE, name)
        return view

    return decorate


def declared_rule(view_func: Callable[..., Any]) -> str | None:
    found = getattr(view_func, ATTRIBUTE, None)
    if found is None and hasattr(view_func, "view_class"):
        found = getattr(view_func.view_class, ATTRIBUTE, None)
    return found


class RuleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        from shuangsuiji.accounts.rules import user_passes

        name = declared_rule(view_func)
        if name is None:
            # Static files in development and any undeclared view: never open by accident.
            if getattr(view_func, "__module__", "").startswith("django.contrib.staticfiles"):
                return None
            raise PermissionDenied("此页面未声明访问规则。")
        if name == PUBLIC:
            return None
        if not request.user.is_authenticated:
            return None  # LoginRequiredMiddleware has already redirected to the login page
        if name == AUTHENTICATED or user_passes(request.user, name):
            return None
        raise PermissionDenied("您的角色无权访问此页面。")
