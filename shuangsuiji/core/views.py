from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shuangsuiji.core.models import Job
from shuangsuiji.core.permissions import AUTHENTICATED, rule
from shuangsuiji.core.selectors import home_summary


@rule(AUTHENTICATED)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"summary": home_summary(user=request.user)})


@rule(AUTHENTICATED)
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    job = Job.objects.filter(pk=pk, created_by=user).first()
    if job is None:
        raise Http404("后台任务不存在。")
    template = "core/_job_progress.html" if request.headers.get("HX-Request") else "core/job.html"
    return render(request, template, {"job": job})


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)
