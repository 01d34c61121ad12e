from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from shuangsuiji.accounts.selectors import departments_for
from shuangsuiji.core.forms import set_queryset
from shuangsuiji.core.pagination import paginate
from shuangsuiji.core.params import number
from shuangsuiji.core.permissions import rule
from shuangsuiji.directory import selectors, services
from shuangsuiji.directory.codes import clean_reg_no, clean_uscc
from shuangsuiji.directory.forms import ConflictForm, EntityForm, InspectorForm
from shuangsuiji.directory.models import (
    CreditRiskClass,
    Entity,
    EntityType,
    FireSafetyCategory,
    Inspector,
    Status,
)


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


def entity_filters(request: HttpRequest) -> selectors.EntityFilters:
    g = request.GET
    return selectors.EntityFilters(
        q=g.get("q", "")[:100],
        jurisdiction=number(g.get("jurisdiction")),
        status=g.get("status", ""),
        entity_type=g.get("entity_type", ""),
        credit_risk_class=g.get("credit_risk_class", ""),
        fire_safety_category=g.get("fire_safety_category", ""),
        town=g.get("town", "")[:30],
    )


@rule("directory.view")
def entity_list(request: HttpRequest) -> HttpResponse:
    filters = entity_filters(request)
    # A free-text search counts at most 1,000 hits: enough to say "超过 1000 条" without scanning on.
    page = paginate(
        request, selectors.entity_search(request.user, filters), count_cap=1000 if filters.q else 10_000
    )
    return render(
        request,
        "directory/entity_list.html",
        {
            "page": page,
            "filters": filters,
            "jurisdictions": departments_for(request.user).filter(is_active=True),
            "statuses": Status.choices,
            "entity_types": EntityType.choices,
            "credit_classes": CreditRiskClass.choices,
            "fire_categories": FireSafetyCategory.choices,
        },
    )


@rule("directory.view")
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entity = selectors.entity_get(request.user, pk)
    if entity is None:
        raise Http404("检查对象不存在或不在您的可见范围内。")
    listings = entity.listings.select_related("department")
    conflicts = selectors.conflicts_visible_to(request.user).filter(entity=entity)
    return render(
        request,
        "directory/entity_detail.html",
        {"entity": entity, "listings": listings, "conflicts": conflicts},
    )


def _existing_elsewhere(request: HttpRequest) -> Entity | None:
    """An entity with the posted code that exists in the district register but is not visible to the user."""
    try:
        uscc = clean_uscc(request.POST.get("uscc", "")) if request.POST.get("uscc", "").strip() else None
        reg_no = (
            clean_reg_no(request.POST.get("reg_no", "")) if request.POST.get("reg_no", "").strip() else None
        )
    except ValidationError:
        return None
    existing = services.entity_existing_by_code(uscc=uscc, reg_no=reg_no)
    if existing is None or selectors.entity_get(request.user, existing.pk) is not None:
        return None
    return existing


@rule("directory.edit")
def entity_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    entity = selectors.entity_get(request.user, pk) if pk else None
    if pk and entity is None:
        raise Http404("检查对象不存在或不在您的可见范围内。")
    form = EntityForm(request.POST or None, instance=entity if entity else None)
    set_queryset(form, "jurisdiction", departments_for(request.user).filter(is_active=True))
    if request.method == "POST":
        existing = _existing_elsewhere(request) if entity is None else None
        if existing is not None:
            # In the district register but not yet in this department's directory: list it, don't copy it.
            services.entity_list_in_directory(actor=request.user, entity=existing)
            messages.info(request, f"「{existing.name}」已在全区名录库中，已纳入本部门检查对象名录库。")
            return redirect("directory:entity_detail", pk=existing.pk)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items()}
            try:
                if entity is None:
                    entity = services.entity_create(actor=request.user, **data)
                else:
                    services.entity_update(actor=request.user, entity=entity, **data)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"已保存检查对象「{entity.name}」。")
                return redirect("directory:entity_detail", pk=entity.pk)
    return render(request, "directory/entity_form.html", {"form": form, "entity": entity})


@rule("directory.view")
def inspector_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = selectors.inspector_search(
        request.user,
        q=g.get("q", "")[:100],
        department=number(g.get("department")),
        qualified=g.get("qualified", ""),
    )
    page = paginate(request, qs)
    return render(
        request,
        "directory/inspector_list.html",
        {
            "page": page,
            "q": g.get("q", ""),
            "department": number(g.get("department")),
            "qualified": g.get("qualified", ""),
            "departments": departments_for(request.user),
        },
    )


@rule("directory.view")
def inspector_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspector = selectors.inspectors_visible_to(request.user).filter(pk=pk).first()
    if inspector is None:
        raise Http404("执法检查人员不存在或不在您的可见范围内。")
    conflicts = selectors.conflicts_visible_to(request.user).filter(inspector=inspector)
    return render(
        request, "directory/inspector_detail.html", {"inspector": inspector, "conflicts": conflicts}
    )


@rule("directory.edit")
def inspector_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    inspector: Inspector | None = None
    if pk:
        inspector = selectors.inspectors_visible_to(request.user).filter(pk=pk).first()
        if inspector is None:
            raise Http404("执法检查人员不存在或不在您的可见范围内。")
    form = InspectorForm(request.POST or None, instance=inspector, departments=departments_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            if inspector is None:
                inspector = services.inspector_create(actor=request.user, **form.cleaned_data)
            else:
                services.inspector_update(actor=request.user, inspector=inspector, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"已保存执法检查人员「{inspector.name}」。")
            return redirect("directory:inspector_detail", pk=inspector.pk)
    return render(request, "directory/inspector_form.html", {"form": form, "inspector": inspector})


@rule("directory.view")
def conflict_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    qs = selectors.conflicts_visible_to(request.user)
    if q:
        from django.db.models import Q

        qs = qs.filter(
            Q(inspector__name__contains=q)
            | Q(inspector__cert_no=q)
            | Q(entity__name__contains=q)
            | Q(entity__uscc=q.upper())
        )
    return render(request, "directory/conflict_list.html", {"page": paginate(request, qs), "q": q})


@rule("directory.edit")
def conflict_create(request: HttpRequest) -> HttpResponse:
    form = ConflictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        inspector = selectors.inspectors_visible_to(request.user).filter(cert_no=data["cert_no"]).first()
        code = data["entity_code"].strip().upper()
        entity = (
            selectors.entities_visible_to(request.user).filter(uscc=code).first()
            or selectors.entities_visible_to(request.user).filter(reg_no=code).first()
        )
        if inspector is None:
            form.add_error("cert_no", "本部门执法检查人员名录库中没有此执法证号。")
        if entity is None:
            form.add_error("entity_code", "您可见的检查对象名录库中没有此代码。")
        if inspector and entity:
            try:
                services.conflict_declare(
                    actor=request.user,
                    inspector=inspector,
                    entity=entity,
                    reason=data["reason"],
                    declared_on=data["declared_on"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, "已登记回避申报。")
                return redirect("directory:conflict_list")
    return render(request, "directory/conflict_form.html", {"form": form})


@rule("directory.edit")
def conflict_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = selectors.conflicts_visible_to(request.user).filter(pk=pk).first()
    if conflict is None:
        raise Http404("回避申报不存在或不在您的可见范围内。")
    if request.method == "POST":
        services.conflict_withdraw(actor=request.user, conflict=conflict)
        messages.success(request, "已撤回回避申报。")
        return redirect("directory:conflict_list")
    return render(request, "directory/conflict_withdraw.html", {"conflict": conflict})


__all__ = ["Entity"]
