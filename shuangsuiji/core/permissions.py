"""Deny by default: every view declares the rule that admits a user, and the middleware enforces it.

A view without a declared rule answers 403 for everyone (and the URL-walking test fails on it), so
forgetting a declaration can never open a page. Rules name capabilities; `shuangsuiji.accounts.rules`
says which roles hold each. Which *rows* a user may see is the selectors' job (department scope).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

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


class PublicPageMiddleware:
    """A visitor's GET of a public page outside /staff/ (the portal), without a session cookie, is answered here,
    ahead of the staff middleware below it (sessions, CSRF, authentication, second factor, rules, messages,
    password expiry, lockout): none of it applies to such a request, and passing through it was a tenth of an
    uncached portal search's CPU (benchmarks/bench_portal.py). The security headers come from the middleware
    above; the two headers the skipped ones would add are added here (X-Frame-Options, Content-Length). A
    request with a session cookie, any other method, a staff page or an unknown URL takes the whole stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD")
            or request.path_info.startswith("/staff/")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        if declared_rule(match.func) != PUBLIC:
            return self.get_response(request)
        request.resolver_match = match
        request.user = AnonymousUser()
        response: HttpResponse = match.func(request, *match.args, **match.kwargs)
        render = getattr(response, "render", None)
        if callable(render):  # a TemplateResponse: rendered, as Django's handler does
            response = render()
        if not getattr(response, "xframe_options_exempt", False):
            response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        return response
