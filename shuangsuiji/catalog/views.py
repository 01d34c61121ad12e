from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.selectors import departments_for
from shuangsuiji.catalog import selectors, services
from shuangsuiji.catalog.forms import InspectionItemForm
from shuangsuiji.catalog.models import InspectionItem
from shuangsuiji.core.pagination import paginate
from shuangsuiji.core.params import number
from shuangsuiji.core.permissions import rule


@rule("catalog.view")
def item_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    department = number(g.get("department"))
    qs = selectors.item_search(
        q=g.get("q", "").strip()[:100], department=department, category=g.get("category", "")
    )
    return render(
        request,
        "catalog/item_list.html",
        {
            "page": paginate(request, qs, order="department__path", size=50),
            "q": g.get("q", ""),
            "department": department,
            "category": g.get("category", ""),
            "departments": Department.objects.filter(items__isnull=False).distinct().order_by("path"),
            "categories": InspectionItem.Category.choices,
            "can_edit": selectors.item_editable_by(request.user, None),
        },
    )


@rule("catalog.view")
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(InspectionItem.objects.select_related("department", "result_code_set"), pk=pk)
    return render(
        request,
        "catalog/item_detail.html",
        {
            "item": item,
            "can_edit": selectors.item_editable_by(request.user, item),
            "codes": item.result_code_set.codes.all() if item.result_code_set else [],
        },
    )


@rule("catalog.edit")
def item_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    item = get_object_or_404(InspectionItem, pk=pk) if pk else None
    if not selectors.item_editable_by(request.user, item):
        raise PermissionDenied("只能维护本部门的抽查事项。")
    user: Any = request.user
    departments = Department.objects.all() if Role.SYSADMIN in user.role_set else departments_for(user)
    form = InspectionItemForm(request.POST or None, instance=item, departments=departments)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        components = data.pop("components", None)
        data.pop("default_rate_percent", None)
        try:
            # The form has validated against a copy; the service applies and audits the change.
            saved = services.item_save(
                actor=request.user,
                item=InspectionItem.objects.get(pk=item.pk) if item else None,
                components=components,
                **data,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"已保存抽查事项「{saved.name}」。")
            return redirect("catalog:item_detail", pk=saved.pk)
    return render(request, "catalog/item_form.html", {"form": form, "item": item})


@rule("catalog.edit")
@require_POST
def item_list_publish(request: HttpRequest) -> HttpResponse:
    """Publish the user's bureau's current list on the portal as a new version (001: 清单向社会公开)."""
    from shuangsuiji.accounts.selectors import root_of
    from shuangsuiji.disclosure.services import item_list_publish as publish

    user: Any = request.user
    if user.department is None:
        messages.error(request, "您的账号未归属部门，无法发布部门清单。")
        return redirect("catalog:item_list")
    try:
        version = publish(actor=user, department=root_of(user.department), note=request.POST.get("note", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, f"已在公开网站发布{version.department.name}抽查事项清单第{version.version}版。"
        )
    return redirect("catalog:item_list")
