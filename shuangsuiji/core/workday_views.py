from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from shuangsuiji.core import calendar
from shuangsuiji.core.models import WorkdayOverride, WorkdayYear
from shuangsuiji.core.params import number
from shuangsuiji.core.permissions import rule
from shuangsuiji.workdays import LIBRARY_YEARS


class OverrideForm(forms.Form):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    workday = forms.TypedChoiceField(
        label="当日",
        choices=[("0", "休息（节假日）"), ("1", "上班（调休上班日）")],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(
        label="依据", max_length=200, required=False, help_text="如：国办发明电〔2026〕X号"
    )


@rule("workdays.manage")
def workday_list(request: HttpRequest) -> HttpResponse:
    year = number(request.GET.get("year"), 2000, 2100) or timezone.localdate().year + 1
    form = OverrideForm(request.POST or None)
    user: Any = request.user
    if request.method == "POST" and "complete" in request.POST:
        try:
            calendar.workday_year_complete(actor=user, year=year, note=request.POST.get("note", "")[:200])
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, f"已标记 {year} 年节假日安排录入完整。")
        return redirect(f"{request.path}?year={year}")
    if request.method == "POST" and form.is_valid():
        calendar.workday_override_set(
            actor=user,
            day=form.cleaned_data["date"],
            workday=form.cleaned_data["workday"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, "已保存。")
        return redirect(f"{request.path}?year={form.cleaned_data['date'].year}")
    overrides = WorkdayOverride.objects.filter(date__year=year)
    covered = year in LIBRARY_YEARS
    work = calendar.work_calendar()
    days = [work.day_info(d) for d in (date(year, 1, 1), date(year, 10, 1))]
    return render(
        request,
        "core/workdays.html",
        {
            "year": year,
            "form": form,
            "overrides": overrides,
            "covered": covered,
            "complete": WorkdayYear.objects.filter(year=year).first(),
            "samples": days,
        },
    )


@rule("workdays.manage")
def workday_delete(request: HttpRequest, pk: int) -> HttpResponse:
    override = get_object_or_404(WorkdayOverride, pk=pk)
    if request.method == "POST":
        year = override.date.year
        calendar.workday_override_delete(actor=request.user, override=override)
        messages.success(request, "已删除。")
        return redirect(f"/staff/workdays/?year={year}")
    return render(request, "core/workday_delete.html", {"override": override})
