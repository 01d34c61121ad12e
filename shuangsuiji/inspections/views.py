from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuangsuiji.catalog.models import ResultCode, ResultCodeSet
from shuangsuiji.core.calendar import work_calendar
from shuangsuiji.core.jobs import job_enqueue
from shuangsuiji.core.pagination import paginate
from shuangsuiji.core.params import number
from shuangsuiji.core.permissions import rule
from shuangsuiji.draws.models import TeamMember
from shuangsuiji.draws.selectors import task_or_404
from shuangsuiji.inspections import documents, jobs, selectors, services
from shuangsuiji.inspections.forms import (
    CorrectionForm,
    DecisionForm,
    EvidenceForm,
    FollowUpCloseForm,
    FollowUpForm,
    PartForm,
    ReopenForm,
    SignatureForm,
)
from shuangsuiji.inspections.models import (
    Correction,
    Evidence,
    FollowUp,
    InspectionRecord,
    RecordPart,
    Result,
)


def _done(form: Any, call: Any) -> bool:
    """Run a service for a form; its ValidationError messages become the form's errors (nothing saved)."""
    try:
        call()
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return False
    return True


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _record(request: HttpRequest, pk: int) -> InspectionRecord:
    record = (
        InspectionRecord.objects.select_related("task__plan", "task__result_code_set", "entity", "selection")
        .filter(pk=pk)
        .first()
    )
    if record is None or not selectors.record_visible_to(request.user, record):
        raise Http404("检查情况记录表不存在或不在您的可见范围内。")
    return record


@rule("inspections.view")
def task_records(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_or_404(request.user, pk)
    records = selectors.records_visible_to(request.user, task).prefetch_related("parts__department")
    state = request.GET.get("state", "")
    if state in InspectionRecord.State.values:
        records = records.filter(state=state)
    page = paginate(request, records, order="selection__rank", size=50)
    calendar = work_calendar()
    rows = [
        {"record": r, "due": calendar.due_status(r.results_due, timezone.localdate())} for r in page.items
    ]
    user: Any = request.user
    return render(
        request,
        "inspections/task_records.html",
        {
            "task": task,
            "rows": rows,
            "page": page,
            "state": state,
            "states": InspectionRecord.State.choices,
            "can_archive": bool(user.role_set & {"manager", "leader", "oversight"}),
            "archive_ready": default_storage.exists(jobs.archive_name(task)),
        },
    )


@rule("inspections.view")
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    user: Any = request.user
    parts = list(record.parts.select_related("department", "entered_by"))
    results = (
        Result.objects.filter(part__record=record)
        .select_related("item", "code", "part__department")
        .order_by("part__department__path", "item__code", "version")
    )
    by_part: dict[int, list[Result]] = {}
    for result in results:
        by_part.setdefault(result.part_id, []).append(result)
    corrections = list(
        Correction.objects.filter(result__part__record=record).select_related(
            "result__item", "result__code", "new_code", "requested_by", "decided_by", "result__part"
        )
    )
    calendar = work_calendar()
    today = timezone.localdate()
    followups = list(record.followups.select_related("department", "owner"))
    return render(
        request,
        "inspections/record.html",
        {
            "record": record,
            "task": record.task,
            "entity": record.entity,
            "parts": [
                {
                    "part": p,
                    "results": by_part.get(p.pk, []),
                    "can_enter": record.state == InspectionRecord.State.OPEN
                    and p.state == RecordPart.State.PENDING
                    and services.may_enter(user, p),
                    "can_reopen": record.state != InspectionRecord.State.PUBLISHED
                    and p.state == RecordPart.State.ENTERED
                    and services.may_reopen(user, p),
                    "can_correct": record.state == InspectionRecord.State.PUBLISHED
                    and services.may_request_correction(user, p),
                }
                for p in parts
            ],
            "team": TeamMember.objects.filter(selection_id=record.selection_id)
            .select_related("inspector", "department")
            .order_by("-active", "department__code", "position"),
            "due": calendar.due_status(record.results_due, today),
            "history": selectors.entity_history(record),
            "evidence": record.evidence.select_related("department", "uploaded_by"),
            "followups": [{"f": f, "due": calendar.due_status(f.due, today)} for f in followups],
            "corrections": corrections,
            "approvable": {
                c.pk for c in corrections if c.state == "pending" and services.may_approve(user, c)
            },
            "participant": bool(services.parts_for(user, record)),
            "can_publish": record.state == InspectionRecord.State.COMPLETE
            and services.may_publish(user, record),
            "signature_form": SignatureForm(
                initial={"signature": record.signature, "note": record.signature_note}
            ),
            "evidence_form": EvidenceForm(),
        },
    )


@rule("inspections.enter")
def part_edit(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    record = _record(request, pk)
    part = get_object_or_404(RecordPart.objects.select_related("department"), pk=part_pk, record=record)
    part.record = record
    if not services.may_enter(request.user, part):
        raise Http404("您不能录入此部门的检查结果（谁检查、谁录入）。")
    codes = list(ResultCode.objects.filter(code_set_id=record.task.result_code_set_id).order_by("number"))
    form = PartForm(request.POST or None, part=part, codes=codes)
    if request.method == "POST" and form.is_valid():
        if _done(
            form,
            lambda: services.part_save(
                actor=request.user,
                part=part,
                inspected_from=form.cleaned_data["inspected_from"],
                inspected_to=form.cleaned_data["inspected_to"],
                methods=form.cleaned_data["methods"],
                results=form.results(),
                opinion=form.cleaned_data["opinion"],
                remarks=form.cleaned_data["remarks"],
                submit="submit" in request.POST,
            ),
        ):
            messages.success(request, "已提交本部门的检查结果。" if "submit" in request.POST else "已暂存。")
            return redirect("inspections:record", pk=record.pk)
    return render(
        request,
        "inspections/part_form.html",
        {"record": record, "part": part, "form": form, "codes": codes, "evidence_form": EvidenceForm()},
    )


@rule("inspections.enter")
@require_POST
def part_reopen(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    record = _record(request, pk)
    part = get_object_or_404(RecordPart, pk=part_pk, record=record)
    form = ReopenForm(request.POST)
    try:
        services.part_reopen(actor=request.user, part=part, reason=form.data.get("reason", ""))
        messages.success(request, "已退回本部门的录入，可以修改后重新提交。")
    except ValidationError as error:
        _errors(request, error)
    return redirect("inspections:record", pk=record.pk)


@rule("inspections.enter")
@require_POST
def signature(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    form = SignatureForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择签字情况。")
    else:
        try:
            services.signature_set(
                actor=request.user,
                record=record,
                signature=form.cleaned_data["signature"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, "已登记签字情况。")
        except ValidationError as error:
            _errors(request, error)
    return redirect("inspections:record", pk=record.pk)


@rule("inspections.enter")
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要上传的文件。")
    else:
        upload = form.cleaned_data["file"]
        try:
            services.evidence_add(
                actor=request.user,
                record=record,
                upload=upload,
                size=upload.size,
                original_name=upload.name,
                note=form.cleaned_data["note"],
            )
            messages.success(request, f"已上传 {upload.name}。")
        except ValidationError as error:
            _errors(request, error)
    back = number(request.POST.get("back"))
    if back is not None and RecordPart.objects.filter(pk=back, record=record).exists():
        return redirect("inspections:part_edit", pk=record.pk, part_pk=back)
    return redirect("inspections:record", pk=record.pk)


@rule("inspections.view")
def evidence_file(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponseBase:
    record = _record(request, pk)
    evidence = get_object_or_404(Evidence, pk=evidence_pk, record=record)
    response = FileResponse(
        default_storage.open(evidence.file.name, "rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@rule("inspections.publish")
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    try:
        services.record_publish(actor=request.user, record=record)
        messages.success(request, "检查结果已公示。公示后不得擅自改变，确有错误须申请更正。")
    except ValidationError as error:
        _errors(request, error)
    return redirect("inspections:record", pk=record.pk)


def _attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@rule("inspections.view")
def record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    data = documents.render_pdf([documents.record_form(record)])
    return _attachment(data, f"检查情况记录表_{record.number}.pdf", "application/pdf")


@rule("inspections.view")
def record_docx(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    data = documents.render_docx(documents.record_form(record))
    return _attachment(
        data,
        f"检查情况记录表_{record.number}.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


@rule("inspections.view")
def blank_form(request: HttpRequest, code_set: str, fmt: str) -> HttpResponse:
    if fmt not in ("pdf", "docx"):
        raise Http404("只提供 PDF 和 DOCX 两种格式。")
    codes = get_object_or_404(ResultCodeSet, code=code_set)
    form = documents.blank_form(codes)
    if fmt == "pdf":
        return _attachment(
            documents.render_pdf([form]), f"检查情况记录表_空白_{codes.code}.pdf", "application/pdf"
        )
    return _attachment(
        documents.render_docx(form),
        f"检查情况记录表_空白_{codes.code}.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


@rule("inspections.enter")
def correction_new(request: HttpRequest, pk: int, result_pk: int) -> HttpResponse:
    record = _record(request, pk)
    result = get_object_or_404(
        Result.objects.select_related("item", "code", "part__department"), pk=result_pk, part__record=record
    )
    if result.part_id not in {p.pk for p in services.parts_for(request.user, record)}:
        raise Http404("只有本部门可以申请更正本部门的检查结果。")
    form = CorrectionForm(request.POST or None)
    form.fields["new_code"].queryset = ResultCode.objects.filter(  # type: ignore[attr-defined]
        code_set_id=record.task.result_code_set_id
    ).order_by("number")
    if request.method == "POST" and form.is_valid():
        if _done(
            form,
            lambda: services.correction_request(
                actor=request.user,
                result=result,
                new_code=form.cleaned_data["new_code"],
                new_finding=form.cleaned_data["new_finding"],
                reason=form.cleaned_data["reason"],
            ),
        ):
            messages.success(request, "已提交更正申请，待本部门主要负责人审批。")
            return redirect("inspections:record", pk=record.pk)
    return render(
        request, "inspections/correction_form.html", {"record": record, "result": result, "form": form}
    )


@rule("inspections.approve")
@require_POST
def correction_decide(request: HttpRequest, pk: int, correction_pk: int) -> HttpResponse:
    record = _record(request, pk)
    correction = get_object_or_404(Correction, pk=correction_pk, result__part__record=record)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.correction_decide(
                actor=request.user,
                correction=correction,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
            messages.success(request, "已审批。")
        except ValidationError as error:
            _errors(request, error)
    return redirect("inspections:record", pk=record.pk)


@rule("inspections.enter")
def followup_new(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    parts = services.parts_for(request.user, record)
    if not parts:
        raise Http404("只有参与本次检查的部门可以登记后续处置。")
    form = FollowUpForm(request.POST or None, initial={"result": request.GET.get("result")})
    form.fields["result"].queryset = Result.objects.filter(  # type: ignore[attr-defined]
        part__in=parts, current=True
    ).select_related("item", "code")
    if request.method == "POST" and form.is_valid():
        if _done(
            form,
            lambda: services.followup_create(
                actor=request.user,
                record=record,
                kind=form.cleaned_data["kind"],
                detail=form.cleaned_data["detail"],
                rectify_by=form.cleaned_data["rectify_by"],
                result=form.cleaned_data["result"],
            ),
        ):
            messages.success(request, "已登记后续处置。")
            return redirect("inspections:record", pk=record.pk)
    return render(request, "inspections/followup_form.html", {"record": record, "form": form})


@rule("inspections.view")
def followup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    followup = get_object_or_404(FollowUp.objects.select_related("record", "department", "owner"), pk=pk)
    record = _record(request, followup.record_id)
    form = FollowUpCloseForm(request.POST or None)
    if request.method == "POST":
        user: Any = request.user
        if not user.role_set & {"manager", "leader", "inspector"}:
            raise Http404()
        if form.is_valid():
            if _done(
                form,
                lambda: services.followup_close(
                    actor=request.user,
                    followup=followup,
                    outcome=form.cleaned_data["outcome"],
                    receiver=form.cleaned_data["receiver"],
                    document_no=form.cleaned_data["document_no"],
                    revisit_on=form.cleaned_data["revisit_on"],
                    rectified=form.cleaned_data["rectified"],
                    cancel=form.cleaned_data["cancel"],
                ),
            ):
                messages.success(request, "已办结。" if not form.cleaned_data["cancel"] else "已撤销。")
                return redirect("inspections:record", pk=record.pk)
    calendar = work_calendar()
    return render(
        request,
        "inspections/followup.html",
        {
            "record": record,
            "followup": followup,
            "due": calendar.due_status(followup.due, timezone.localdate()),
            "form": form,
        },
    )


@rule("inspections.view")
def due_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.due_rows(request.user, limit=1000)
    return render(request, "inspections/due.html", {"rows": rows, "counts": selectors.due_counts(rows)})


@rule("inspections.archive")
@require_POST
def archive_start(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_or_404(request.user, pk)
    job = job_enqueue(
        kind="inspections.archive", title=f"立卷归档：{task.ref}", user=request.user, params={"task": task.pk}
    )
    return redirect("core:job", pk=job.pk)


@rule("inspections.archive")
def archive_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    task = task_or_404(request.user, pk)
    name = jobs.archive_name(task)
    if not default_storage.exists(name):
        raise Http404("尚未生成归档包。")
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=f"归档_{task.ref}.zip",
        content_type="application/zip",
    )
