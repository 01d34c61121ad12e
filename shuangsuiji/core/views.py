from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from shuangsuiji.core.permissions import AUTHENTICATED, PUBLIC, rule
from shuangsuiji.core.selectors import home_summary


@rule(PUBLIC)
def root(request: HttpRequest) -> HttpResponse:
    # The public portal will live here; until then the root leads staff to their workspace.
    return redirect("core:home")


@rule(AUTHENTICATED)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"summary": home_summary(user=request.user)})


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)
