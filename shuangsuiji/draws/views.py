from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shuangsuiji.audit.services import audit_record, client_ip
from shuangsuiji.core.forms import set_queryset
from shuangsuiji.core.jobs import job_enqueue
from shuangsuiji.core.permissions import rule
from shuangsuiji.directory.models import Inspector
from shuangsuiji.draws import eligibility, jobs, selectors, services
from shuangsuiji.draws.forms import EntropyForm, ReceiveForm, ReplacementForm, SubstituteForm, WitnessForm
from shuangsuiji.draws.models import CeremonyMedia, Draw, DrawChange, DrawSelection, TeamMember
from shuangsuiji.planning.models import Task
from shuangsuiji.planning.selectors import plan_editable_by, plans_visible_to


def _runs(request: HttpRequest, task: Task) -> None:
    if not plan_editable_by(request.user, task.plan):
        raise PermissionDenied("只有本部门的抽查管理员可以组织抽取。")


def _draw(task: Task) -> Draw:
    draw = Draw.objects.filter(task=task).first()
    if draw is None:
        raise Http404("此任务尚未生成抽取承诺。")
    return draw


@rule("draws.run")
@require_POST
def commit(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_or_404(request.user, pk)
    _runs(request, task)
    if jobs.in_background(eligibility.scope(task).count()):
        job = job_enqueue(
            kind="draws.commit",
            title=f"生成抽取承诺：{task.ref}",
            user=request.user,
            params={"task": task.pk, "ip": client_ip(request)},
        )
        return redirect("core:job", pk=job.pk)
    try:
        services.draw_commit(actor=request.user, task=task, ip=client_ip(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("planning:task_detail", pk=task.pk)
    messages.success(request, "已生成抽取承诺。可打印公告，在抽取前公布承诺摘要。")
    return redirect("draws:ceremony", pk=task.pk)


@rule("draws.view")
def announcement(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_or_404(request.user, pk)
    draw = _draw(task)
    return render(
        request,
        "draws/announcement.html",
        {"task": task, "draw": draw, "strata": services.committed_strata(draw)},
    )


@rule("draws.run")
def ceremony(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_or_404(request.user, pk)
    _runs(request, task)
    draw = _draw(task)
    if draw.state == Draw.State.DRAWN:
        return redirect("draws:result", pk=task.pk)
    witness_form = WitnessForm(request.POST if "add_witness" in request.POST else None)
    entropy_form = EntropyForm(request.POST if "run_draw" in request.POST else None)
    if "add_witness" in request.POST and witness_form.is_valid():
        services.witness_add(actor=request.user, draw=draw, **witness_form.cleaned_data)
        messages.success(request, "已登记见证人。")
        return redirect("draws:ceremony", pk=task.pk)
    if "run_draw" in request.POST and entropy_form.is_valid() and jobs.in_background(draw.population_size):
        job = job_enqueue(
            kind="draws.execute",
            title=f"随机抽取：{task.ref}",
            user=request.user,
            params={
                "draw": draw.pk,
                "entropy": entropy_form.cleaned_data["ceremony_entropy"],
                "place": entropy_form.cleaned_data["place"],
                "ip": client_ip(request),
            },
        )
        return redirect("core:job", pk=job.pk)
    if "run_draw" in request.POST and entropy_form.is_valid():
        try:
            services.draw_execute(
                actor=request.user,
                draw=draw,
                ceremony_entropy=entropy_form.cleaned_data["ceremony_entropy"],
                place=entropy_form.cleaned_data["place"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            entropy_form.add_error(None, error.messages)
        else:
            messages.success(request, "抽取完成，结果已冻结。")
            return redirect("draws:result", pk=task.pk)
    return render(
        request,
        "draws/ceremony.html",
        {
            "task": task,
            "draw": draw,
            "witnesses": draw.witnesses.all(),
            "media": draw.media.all(),
            "witness_form": witness_form,
            "entropy_form": entropy_form,
            "strata": services.committed_strata(draw),
        },
    )


@rule("draws.run")
@require_POST
def media_upload(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_or_404(request.user, pk)
    _runs(request, task)
    upload = request.FILES.get("media")
    if upload is None:
        messages.error(request, "请选择要上传的照片或视频。")
    else:
        try:
            services.ceremony_media_add(
                actor=request.user,
                draw=_draw(task),
                upload=upload,
                filename=upload.name or "",
                size=upload.size or 0,
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, f"已上传 {upload.name}。")
    return redirect((request.POST.get("back") == "result" and "draws:result") or "draws:ceremony", pk=task.pk)


@rule("draws.view")
def media_file(request: HttpRequest, pk: int, media_pk: int) -> HttpResponseBase:
    task = selectors.task_or_404(request.user, pk)
    if not selectors.sees_whole_list(request.user, task):
        raise PermissionDenied("无权查看抽取影像资料。")
    media = get_object_or_404(CeremonyMedia, pk=media_pk, draw__task=task)
    response = FileResponse(
        open(default_storage.path(media.file.name), "rb"),
        as_attachment=True,
        filename=media.original_name,
        content_type=media.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@rule("draws.view")
def result(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_or_404(request.user, pk)
    draw = _draw(task)
    if draw.state == Draw.State.COMMITTED:
        raise Http404("此任务尚未抽取。")
    selections = list(selectors.selections_visible_to(request.user, task))
    members: dict[int, list[TeamMember]] = {}
    for member in TeamMember.objects.filter(selection__in=selections).select_related(
        "inspector", "department"
    ):
        members.setdefault(member.selection_id, []).append(member)
    rows = [
        {
            "selection": s,
            "members": sorted(
                members.get(s.pk, []), key=lambda m: (not m.active, m.department.code, m.position)
            ),
        }
        for s in selections
    ]
    audit_record(
        actor=request.user,
        action="draw.view_list",
        obj=draw,
        ip=client_ip(request),
        summary=f"查看 {task.ref} 的抽取名单（{len(rows)} 个对象）",
    )
    user: Any = request.user
    return render(
        request,
        "draws/result.html",
        {
            "task": task,
            "draw": draw,
            "rows": rows,
            "whole": selectors.sees_whole_list(user, task),
            "can_run": plan_editable_by(user, task.plan),
            "changes": draw.changes.select_related(
                "selection", "out_inspector", "in_inspector", "approved_by", "department"
            ).order_by("seq", "pk"),
            "witnesses": draw.witnesses.all(),
            "media": draw.media.all(),
            "pending": [
                c
                for c in draw.changes.filter(state=DrawChange.State.PENDING).select_related(
                    "selection", "out_inspector", "in_inspector"
                )
                if services.leader_may_approve(user, c)
            ],
        },
    )


def _seat(request: HttpRequest, task: Task, member_pk: int) -> TeamMember:
    member = get_object_or_404(
        TeamMember.objects.select_related("selection", "inspector", "department", "draw"),
        pk=member_pk,
        draw__task=task,
        active=True,
    )
    return member


@rule("draws.run")
def substitute(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    task = selectors.task_or_404(request.user, pk)
    _runs(request, task)
    member = _seat(request, task, member_pk)
    form = SubstituteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.draw_substitute(
                actor=request.user,
                selection=member.selection,
                department_code=member.department.code,
                out=member.inspector,
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"递补抽取：{change.in_inspector} 替换 {member.inspector}。")
            return redirect("draws:result", pk=task.pk)
    return render(
        request, "draws/change_form.html", {"task": task, "member": member, "form": form, "title": "递补抽取"}
    )


@rule("draws.run")
def replacement(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    task = selectors.task_or_404(request.user, pk)
    _runs(request, task)
    member = _seat(request, task, member_pk)
    form = ReplacementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        incoming = Inspector.objects.filter(cert_no=form.cleaned_data["incoming"].strip()).first()
        if incoming is None:
            form.add_error("incoming", "没有此执法证号的执法检查人员。")
        else:
            try:
                services.replacement_request(
                    actor=request.user,
                    selection=member.selection,
                    department_code=member.department.code,
                    out=member.inspector,
                    incoming=incoming,
                    reason=f"{form.cleaned_data['reason']}：{form.cleaned_data['detail']}",
                    ip=client_ip(request),
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, "调整更换申请已提交，待部门负责人审批后生效。")
                return redirect("draws:result", pk=task.pk)
    return render(
        request,
        "draws/change_form.html",
        {"task": task, "member": member, "form": form, "title": "调整更换（须部门负责人批准）"},
    )


@rule("draws.approve")
@require_POST
def decide(request: HttpRequest, pk: int, change_pk: int) -> HttpResponse:
    task = selectors.task_or_404(request.user, pk)
    change = get_object_or_404(DrawChange, pk=change_pk, draw__task=task)
    try:
        services.replacement_decide(
            actor=request.user,
            change=change,
            approve=request.POST.get("decision") == "approve",
            ip=client_ip(request),
        )
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, "已审批。")
    return redirect("draws:result", pk=task.pk)


@rule("draws.run")
@require_POST
def dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_or_404(request.user, pk)
    _runs(request, task)
    try:
        services.draw_dispatch(actor=request.user, draw=_draw(task), ip=client_ip(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, "已派发至各检查小组。")
    return redirect("draws:result", pk=task.pk)


@rule("plans.edit")
def receive(request: HttpRequest, plan_pk: int) -> HttpResponse:
    plan = plans_visible_to(request.user).filter(pk=plan_pk).first()
    if plan is None:
        raise Http404("抽查计划不存在或不在您的可见范围内。")
    if not plan_editable_by(request.user, plan):
        raise PermissionDenied("只能为本部门的计划接收下发任务。")
    form = ReceiveForm(request.POST or None, request.FILES or None)
    set_queryset(form, "items", plan.items.all())
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("bundle")
        if upload.size > settings.UPLOAD_MAX_BYTES:
            form.add_error("bundle", "文件超过上传大小限制。")
        else:
            try:
                task = services.task_receive(
                    actor=request.user, plan=plan, bundle=upload, ip=client_ip(request), **data
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, f"已接收上级下发任务 {task.ref}，抽取包核验通过。")
                return redirect("planning:task_detail", pk=task.pk)
    return render(request, "draws/receive.html", {"form": form, "plan": plan})


@rule("draws.bundle")
def bundle(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_or_404(request.user, pk)
    if not selectors.sees_whole_list(request.user, task):
        raise PermissionDenied("无权下载此任务的抽取包。")
    draw = _draw(task)
    try:
        data = services.bundle_bytes(draw)
    except ValidationError as error:
        raise Http404("；".join(error.messages)) from error
    audit_record(
        actor=request.user,
        action="draw.bundle_download",
        obj=draw,
        ip=client_ip(request),
        summary=f"下载 {task.ref} 的抽取包",
        detail={"sha256": services.sha256_hex(data)},
    )
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="ssj-draw-task{task.pk}.zip"'
    return response


__all__ = ["DrawSelection"]
