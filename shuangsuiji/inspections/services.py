"""Writes for inspections: opening records, entering results (谁检查、谁录入), evidence, publication,
corrections with the head's approval, and follow-ups — each on working-day deadlines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shuangsuiji.accounts.models import Department
from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.selectors import visible_department_ids
from shuangsuiji.audit.services import audit_record
from shuangsuiji.catalog.models import InspectionItem, Method, ResultCode
from shuangsuiji.core.calendar import work_calendar
from shuangsuiji.core.uploads import store_upload
from shuangsuiji.draws.models import Draw, DrawSelection, TeamMember
from shuangsuiji.inspections.models import (
    Correction,
    Evidence,
    FollowUp,
    InspectionRecord,
    RecordPart,
    Result,
)
from shuangsuiji.planning.models import Task
from shuangsuiji.workdays import RESULT_PUBLICATION_WORKDAYS, TRANSFER_WORKDAYS

# 000, 004: results entered and published within 20 working days of the inspection's end; 004: transfers
# within 7 working days of forming the result. The transfer clock is also used for the other hand-overs of
# 004 第二十三条 (经营异常名录, 立案查处, 移送公安).
RESULT_WORKDAYS = RESULT_PUBLICATION_WORKDAYS
# 001 asks for a 回访 after a rectification deadline without a number: we give the revisit 5 working days.
REVISIT_WORKDAYS = 5


def _local_today() -> date:
    return timezone.localdate()


def task_items(task: Task) -> list[tuple[Department, list[InspectionItem]]]:
    """The items each department checks: a joint item stands for its components (one visit, several
    departments); in the order of the departments' tree."""
    by_department: dict[int, tuple[Department, list[InspectionItem]]] = {}
    for item in task.items.select_related("department").prefetch_related("components__department"):
        leaves = list(item.components.all()) or [item]
        for leaf in leaves:
            entry = by_department.setdefault(leaf.department_id, (leaf.department, []))
            if all(existing.pk != leaf.pk for existing in entry[1]):
                entry[1].append(leaf)
    ordered = sorted(by_department.values(), key=lambda pair: pair[0].path)
    return [(department, sorted(items, key=lambda i: i.code)) for department, items in ordered]


@transaction.atomic
def records_open(*, actor: Any, task: Task) -> int:
    """One record per drawn entity, with an empty result for every department × item; idempotent.
    Called when a task is dispatched (or received from the upper level)."""
    draw = Draw.objects.filter(task=task).first()
    if draw is None or draw.state == Draw.State.COMMITTED:
        raise ValidationError("任务尚未抽取，不能开始检查。")
    existing = set(InspectionRecord.objects.filter(task=task).values_list("selection_id", flat=True))
    selections = [s for s in DrawSelection.objects.filter(draw=draw) if s.pk not in existing]
    if not selections:
        return 0
    plan = task_items(task)
    if not plan:
        raise ValidationError("任务没有抽查事项。")
    deadline = work_calendar().add(task.period_end, RESULT_WORKDAYS)
    records = InspectionRecord.objects.bulk_create(
        [
            InspectionRecord(
                selection=s,
                task=task,
                entity_id=s.entity_id,
                methods=list(task.methods),
                results_due=deadline.date,
                results_due_uncertain=deadline.uncertain,
            )
            for s in selections
        ]
    )
    if not all(r.pk for r in records):  # SQLite before 3.35 returns no ids: read them back
        records = list(InspectionRecord.objects.filter(task=task, selection__in=selections))
    parts = RecordPart.objects.bulk_create(
        [RecordPart(record=r, department=department) for r in records for department, _ in plan]
    )
    if not all(p.pk for p in parts):
        parts = list(RecordPart.objects.filter(record__in=records))
    items = {department.pk: department_items for department, department_items in plan}
    Result.objects.bulk_create(
        [Result(part=p, item=item) for p in parts for item in items[p.department_id]], batch_size=2000
    )
    audit_record(
        actor=actor,
        action="inspections.open",
        obj=task,
        summary=f"{task.ref} 生成检查情况记录表 {len(records)} 份",
        detail={"records": len(records)},
    )
    return len(records)


# ---------------------------------------------------------------------------------------------------
# who may do what on one record (the capability itself is checked by the view's rule)


def _in_department(user: Any, department_id: int) -> bool:
    ids = visible_department_ids(user)
    return ids is not None and department_id in ids


def on_team(user: Any, part: RecordPart) -> bool:
    inspector = getattr(user, "inspector", None)
    if inspector is None:
        return False
    return TeamMember.objects.filter(
        selection_id=part.record.selection_id,
        inspector=inspector,
        active=True,
        department_id=part.department_id,
    ).exists()


def _manages(user: Any, department_id: int) -> bool:
    """A manager or leader of the department (or of a department above it)."""
    return bool(user.role_set & {Role.MANAGER, Role.LEADER}) and _in_department(user, department_id)


def may_enter(user: Any, part: RecordPart) -> bool:
    """谁检查、谁录入: the department's own team members, or its managers and leaders."""
    return _manages(user, part.department_id) or (Role.INSPECTOR in user.role_set and on_team(user, part))


def may_reopen(user: Any, part: RecordPart) -> bool:
    """退回录入: the department's managers and leaders (before publication)."""
    return _manages(user, part.department_id)


def may_request_correction(user: Any, part: RecordPart) -> bool:
    """申请更正 a published result: whoever may enter the department's part."""
    return may_enter(user, part)


def may_publish(user: Any, record: InspectionRecord) -> bool:
    return _manages(user, record.task.plan.department_id)


def may_approve(user: Any, correction: Correction) -> bool:
    """本部门主要负责人: a leader of the department whose result it is, and not the one who asked."""
    return (
        Role.LEADER in user.role_set
        and _in_department(user, correction.result.part.department_id)
        and correction.requested_by_id != user.pk
    )


def parts_for(user: Any, record: InspectionRecord) -> list[RecordPart]:
    return [p for p in record.parts.select_related("department", "record") if may_enter(user, p)]


# ---------------------------------------------------------------------------------------------------
# result entry


@dataclass(frozen=True)
class ResultInput:
    code: ResultCode | None
    finding: str = ""


def _locked_record(record: InspectionRecord) -> InspectionRecord:
    return InspectionRecord.objects.select_for_update(of=("self",)).select_related("task").get(pk=record.pk)


def _check_transition(record: InspectionRecord, to: str) -> None:
    if to not in InspectionRecord.TRANSITIONS[InspectionRecord.State(record.state)]:
        raise ValidationError(
            f"记录当前状态为“{record.get_state_display()}”，不能变为“{InspectionRecord.State(to).label}”。"
        )


def _set_due(record: InspectionRecord, calendar: Any = None) -> bool:
    """Set the record's publication deadline (RESULT_WORKDAYS after the inspection, the task's end until
    the dates are entered); whether it changed."""
    end = record.inspected_to or record.task.period_end
    deadline = (calendar or work_calendar()).add(end, RESULT_WORKDAYS)
    before = (record.results_due, record.results_due_uncertain)
    record.results_due, record.results_due_uncertain = deadline.date, deadline.uncertain
    return before != (deadline.date, deadline.uncertain)


def _followup_deadline(
    calendar: Any, *, kind: str, rectify_by: date | None, entered_at: Any, registered: date
) -> Any:
    """A follow-up's deadline: the revisit REVISIT_WORKDAYS after the rectification date the inspectors
    set; anything else (transfer, abnormal listing, …) TRANSFER_WORKDAYS after the result was formed — its
    department's part was entered — or, before that, after the day it was registered."""
    if kind == FollowUp.Kind.RECTIFICATION and rectify_by is not None:
        return calendar.add(rectify_by, REVISIT_WORKDAYS)
    formed = timezone.localtime(entered_at).date() if entered_at else registered
    return calendar.add(formed, TRANSFER_WORKDAYS)


@transaction.atomic
def part_save(
    *,
    actor: Any,
    part: RecordPart,
    inspected_from: date | None,
    inspected_to: date | None,
    methods: list[str],
    results: Mapping[int, ResultInput],
    opinion: str = "",
    remarks: str = "",
    submit: bool = False,
) -> RecordPart:
    """Save one department's part (a draft, or submitted when `submit`); the record is complete when
    every part is submitted."""
    record = _locked_record(part.record)
    part = RecordPart.objects.select_for_update(of=("self",)).get(pk=part.pk)
    part.record = record
    if record.state == InspectionRecord.State.PUBLISHED:
        raise ValidationError("记录已公示，检查结果不得擅自改变；确有错误请申请更正（004 第二十二条）。")
    if record.state != InspectionRecord.State.OPEN:
        raise ValidationError("各部门已全部提交，记录待公示；如需修改，请本部门管理员先退回本部门的录入。")
    if part.state == RecordPart.State.ENTERED:
        raise ValidationError("本部门的检查情况已提交；如需修改，请先退回本部门的录入。")
    if not may_enter(actor, part):
        raise ValidationError("只有本部门的检查人员或管理员可以录入本部门的检查结果（谁检查、谁录入）。")
    today = _local_today()
    errors: list[str] = []
    if inspected_from and inspected_to and inspected_from > inspected_to:
        errors.append("检查日期（起）不能晚于检查日期（止）。")
    for label, value in (("检查日期（起）", inspected_from), ("检查日期（止）", inspected_to)):
        if value and value > today:
            errors.append(f"{label}不能晚于今天（{today:%Y-%m-%d}）。")
    unknown = [m for m in methods if m not in Method.values]
    if unknown:
        errors.append(f"未知的检查方式：{'、'.join(unknown)}。")
    code_set_id = record.task.result_code_set_id
    rows = {r.item_id: r for r in part.results.filter(current=True).select_related("item")}
    for item_id, entry in results.items():
        if item_id not in rows:
            errors.append("提交的检查事项不属于本部门的检查内容。")
        elif entry.code is not None and entry.code.code_set_id != code_set_id:
            errors.append(f"“{rows[item_id].item.name}”的检查结果不在本任务的检查结果代码集内。")
    if submit:
        missing = [r.item.name for item_id, r in rows.items() if (results.get(item_id) or r).code is None]
        if missing:
            errors.append(f"以下事项尚未填写检查结果：{'、'.join(missing)}。")
        if not (inspected_from or record.inspected_from) or not (inspected_to or record.inspected_to):
            errors.append("请填写检查日期。")
        chosen = [results[i].code if i in results else r.code for i, r in rows.items()]
        direct = [c for c in chosen if c is not None and c.without_inspection]
        if direct and not record.evidence.filter(department_id=part.department_id).exists():
            errors.append(
                f"检查结果“{direct[0].label}”未经实质检查直接形成，须先上传取得的证据（004 第二十一条）。"
            )
    if errors:
        raise ValidationError(errors)
    for item_id, entry in results.items():
        row = rows[item_id]
        row.code, row.finding = entry.code, entry.finding.strip()
        row.save(update_fields=["code", "finding"])
    record.inspected_from = inspected_from or record.inspected_from
    record.inspected_to = inspected_to or record.inspected_to
    if methods:
        record.methods = methods
    _set_due(record)
    record.save(
        update_fields=["inspected_from", "inspected_to", "methods", "results_due", "results_due_uncertain"]
    )
    if record.inspected_from:
        DrawSelection.objects.filter(pk=record.selection_id, inspection_started_at__isnull=True).update(
            inspection_started_at=timezone.now()
        )
    part.opinion, part.remarks = opinion.strip(), remarks.strip()
    fields = ["opinion", "remarks"]
    if submit:
        part.state, part.entered_by, part.entered_at = RecordPart.State.ENTERED, actor, timezone.now()
        fields += ["state", "entered_by", "entered_at"]
    part.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="inspections.part_submit" if submit else "inspections.part_save",
        obj=part,
        summary=f"{record.number} {part.department} {'提交' if submit else '暂存'}检查结果",
        detail={
            "task": record.task_id,
            "results": {
                str(rows[i].item.code): (e.code.number if e.code else None) for i, e in results.items()
            },
        },
    )
    if submit:
        _after_submit(actor=actor, record=record, part=part)
    return part


def _after_submit(*, actor: Any, record: InspectionRecord, part: RecordPart) -> None:
    calendar = work_calendar()
    for row in part.results.filter(current=True, code__proposes_abnormal_listing=True).select_related("code"):
        if FollowUp.objects.filter(result=row, kind=FollowUp.Kind.ABNORMAL_LISTING).exists():
            continue
        deadline = _followup_deadline(
            calendar,
            kind=FollowUp.Kind.ABNORMAL_LISTING,
            rectify_by=None,
            entered_at=part.entered_at,
            registered=_local_today(),
        )
        FollowUp.objects.create(
            record=record,
            result=row,
            department=part.department,
            owner=actor,
            kind=FollowUp.Kind.ABNORMAL_LISTING,
            detail=f"检查结果“{row.code}”：建议列入经营异常名录。",
            due=deadline.date,
            due_uncertain=deadline.uncertain,
            created_by=actor,
        )
    if not record.parts.exclude(state=RecordPart.State.ENTERED).exists():
        _check_transition(record, InspectionRecord.State.COMPLETE)
        record.state, record.completed_at = InspectionRecord.State.COMPLETE, timezone.now()
        record.save(update_fields=["state", "completed_at"])
        audit_record(
            actor=actor,
            action="inspections.record_complete",
            obj=record,
            summary=f"{record.number} 各部门检查结果均已录入",
            detail={"task": record.task_id},
        )


@transaction.atomic
def part_reopen(*, actor: Any, part: RecordPart, reason: str) -> RecordPart:
    """退回本部门的录入 before publication (a published result changes only by correction)."""
    record = _locked_record(part.record)
    part = RecordPart.objects.select_for_update(of=("self",)).get(pk=part.pk)
    part.record = record
    if record.state == InspectionRecord.State.PUBLISHED:
        raise ValidationError("记录已公示，检查结果不得擅自改变；如确有错误请申请更正。")
    if part.state != RecordPart.State.ENTERED:
        raise ValidationError("本部门尚未提交，无需退回。")
    if not may_reopen(actor, part):
        raise ValidationError("只有本部门的管理员或负责人可以退回录入。")
    if not reason.strip():
        raise ValidationError("请填写退回理由。")
    part.state = RecordPart.State.PENDING
    part.save(update_fields=["state"])
    if record.state == InspectionRecord.State.COMPLETE:
        _check_transition(record, InspectionRecord.State.OPEN)
        record.state, record.completed_at = InspectionRecord.State.OPEN, None
        record.save(update_fields=["state", "completed_at"])
    audit_record(
        actor=actor,
        action="inspections.part_reopen",
        obj=part,
        summary=f"{record.number} {part.department} 退回修改：{reason.strip()}",
        detail={"task": record.task_id},
    )
    return part


@transaction.atomic
def signature_set(
    *, actor: Any, record: InspectionRecord, signature: str, note: str = ""
) -> InspectionRecord:
    """004 第二十条: the entity signs or seals the record; if it refuses, the inspectors sign and say so."""
    record = _locked_record(record)
    if record.state == InspectionRecord.State.PUBLISHED:
        raise ValidationError("记录已公示，不能再修改。")
    if not any(may_enter(actor, p) for p in record.parts.all()):
        raise ValidationError("只有参与本次检查的部门可以登记签字情况。")
    if signature not in InspectionRecord.Signature.values:
        raise ValidationError("未知的签字情况。")
    if signature == InspectionRecord.Signature.REFUSED and not note.strip():
        raise ValidationError("检查对象拒绝签字的，检查人员须签字说明情况（004 第二十条），请填写说明。")
    if signature == InspectionRecord.Signature.NOT_APPLICABLE:
        codes = Result.objects.filter(part__record=record, current=True).values_list(
            "code__without_inspection", flat=True
        )
        if not codes or not all(codes):
            raise ValidationError("只有全部检查结果为“无法联系”或“不配合检查”时，才可不经检查对象签字。")
    record.signature, record.signature_note = signature, note.strip()
    record.save(update_fields=["signature", "signature_note"])
    audit_record(
        actor=actor,
        action="inspections.signature",
        obj=record,
        summary=f"{record.number} 签字情况：{record.get_signature_display()}",
        detail={"task": record.task_id},
    )
    return record


@transaction.atomic
def evidence_add(
    *, actor: Any, record: InspectionRecord, upload: IO[bytes], size: int, original_name: str, note: str = ""
) -> Evidence:
    parts = parts_for(actor, record)
    if not parts:
        raise ValidationError("只有参与本次检查的部门可以上传证据。")
    stored = store_upload(upload, folder=f"evidence/{record.task_id}", size=size)
    evidence = Evidence.objects.create(
        record=record,
        department=parts[0].department,
        file=stored.name,
        original_name=original_name[:200],
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        note=note.strip()[:200],
        uploaded_by=actor,
    )
    audit_record(
        actor=actor,
        action="inspections.evidence_add",
        obj=evidence,
        summary=f"{record.number} 上传证据 {evidence.original_name}（SHA-256 {stored.sha256[:16]}…）",
        detail={"task": record.task_id, "record": record.pk, "sha256": stored.sha256, "size": stored.size},
    )
    return evidence


@transaction.atomic
def record_publish(*, actor: Any, record: InspectionRecord) -> InspectionRecord:
    record = _locked_record(record)
    _check_transition(record, InspectionRecord.State.PUBLISHED)
    if not may_publish(actor, record):
        raise ValidationError("只有牵头部门的抽查管理员或负责人可以公示检查结果。")
    if record.signature == InspectionRecord.Signature.PENDING:
        raise ValidationError("请先登记检查对象的签字情况（签字盖章，或拒绝签字由检查人员说明）。")
    record.state, record.published_at, record.published_by = (
        InspectionRecord.State.PUBLISHED,
        timezone.now(),
        actor,
    )
    record.save(update_fields=["state", "published_at", "published_by"])
    from shuangsuiji.disclosure.services import results_publish  # the public record, in this transaction

    results_publish(record)
    audit_record(
        actor=actor,
        action="inspections.publish",
        obj=record,
        summary=f"公示 {record.number} 的检查结果",
        detail={
            "task": record.task_id,
            "results": [
                [r.part.department.code, r.item.code, r.code.number if r.code else None]
                for r in Result.objects.filter(part__record=record, current=True).select_related(
                    "part__department", "item", "code"
                )
            ],
        },
    )
    return record


# ---------------------------------------------------------------------------------------------------
# corrections of published results (004 第二十二条)


@transaction.atomic
def correction_request(
    *, actor: Any, result: Result, new_code: ResultCode, new_finding: str, reason: str
) -> Correction:
    result = (
        Result.objects.select_for_update(of=("self",)).select_related("part__record__task").get(pk=result.pk)
    )
    record = result.part.record
    if record.state != InspectionRecord.State.PUBLISHED:
        raise ValidationError("未公示的结果可直接退回修改，无需更正。")
    if not result.current:
        raise ValidationError("只能更正现行版本的检查结果。")
    if not may_request_correction(actor, result.part):
        raise ValidationError("只有本部门可以申请更正本部门的检查结果。")
    if new_code.code_set_id != record.task.result_code_set_id:
        raise ValidationError("更正后的结果不在本任务的检查结果代码集内。")
    if new_code.pk == result.code_id and new_finding.strip() == result.finding:
        raise ValidationError("更正后的结果与现行结果相同。")
    if len(reason.strip()) < 4:
        raise ValidationError("请写明更正理由（发现检查结果确有错误的依据）。")
    if result.corrections.filter(state=Correction.State.PENDING).exists():
        raise ValidationError("该结果已有待审批的更正申请。")
    correction = Correction.objects.create(
        result=result,
        new_code=new_code,
        new_finding=new_finding.strip(),
        reason=reason.strip(),
        requested_by=actor,
    )
    audit_record(
        actor=actor,
        action="inspections.correction_request",
        obj=correction,
        summary=f"{record.number} 申请更正 {result.item.name}：{result.code} → {new_code}",
        detail={"task": record.task_id, "reason": correction.reason},
    )
    return correction


@transaction.atomic
def correction_decide(*, actor: Any, correction: Correction, approve: bool, note: str = "") -> Correction:
    correction = (
        Correction.objects.select_for_update(of=("self",))
        .select_related("result__part__record", "result__item", "new_code")
        .get(pk=correction.pk)
    )
    if correction.state != Correction.State.PENDING:
        raise ValidationError("此更正申请已处理。")
    if not may_approve(actor, correction):
        raise ValidationError("更正须经本部门主要负责人审批，且申请人不能审批自己的申请。")
    old = Result.objects.select_for_update(of=("self",)).get(pk=correction.result_id)
    correction.decided_by, correction.decided_at, correction.decision_note = (
        actor,
        timezone.now(),
        note.strip(),
    )
    if approve:
        if not old.current:
            raise ValidationError("该结果已被更正过，请重新申请。")
        old.current = False
        old.save(update_fields=["current"])
        new = Result.objects.create(
            part_id=old.part_id,
            item_id=old.item_id,
            version=old.version + 1,
            current=True,
            code=correction.new_code,
            finding=correction.new_finding,
        )
        correction.state, correction.new_result = Correction.State.APPROVED, new
        from shuangsuiji.disclosure.services import result_correct

        result_correct(old, new)
    else:
        correction.state = Correction.State.REJECTED
    correction.save()
    record = correction.result.part.record
    audit_record(
        actor=actor,
        action="inspections.correction_approve" if approve else "inspections.correction_reject",
        obj=correction,
        summary=f"{'批准' if approve else '驳回'} {record.number} {correction.result.item.name} 的更正"
        + (f"：{note.strip()}" if note.strip() else ""),
        detail={"task": record.task_id},
    )
    return correction


# ---------------------------------------------------------------------------------------------------
# follow-ups (后续处置)


@transaction.atomic
def followup_create(
    *,
    actor: Any,
    record: InspectionRecord,
    kind: str,
    detail: str,
    rectify_by: date | None = None,
    result: Result | None = None,
    owner: Any = None,
) -> FollowUp:
    record = _locked_record(record)
    parts = [p for p in parts_for(actor, record) if result is None or p.pk == result.part_id]
    if not parts:
        raise ValidationError("只有参与本次检查的部门可以登记后续处置。")
    part = parts[0]
    if kind not in FollowUp.Kind.values:
        raise ValidationError("未知的后续处置类型。")
    calendar = work_calendar()
    today = _local_today()
    if kind == FollowUp.Kind.RECTIFICATION:
        if rectify_by is None:
            raise ValidationError("限期整改须由检查人员确定整改期限。")
        inspected = record.inspected_to or today
        if rectify_by <= inspected:
            raise ValidationError(f"整改期限应晚于检查日期（{inspected:%Y-%m-%d}）。")
    else:
        rectify_by = None
    deadline = _followup_deadline(
        calendar, kind=kind, rectify_by=rectify_by, entered_at=part.entered_at, registered=today
    )
    followup = FollowUp.objects.create(
        record=record,
        result=result,
        department=part.department,
        owner=owner or actor,
        kind=kind,
        detail=detail.strip(),
        rectify_by=rectify_by,
        due=deadline.date,
        due_uncertain=deadline.uncertain,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="inspections.followup_create",
        obj=followup,
        summary=f"{record.number} 登记后续处置：{followup.get_kind_display()}，期限 {followup.due:%Y-%m-%d}",
        detail={"task": record.task_id},
    )
    return followup


@transaction.atomic
def followup_close(
    *,
    actor: Any,
    followup: FollowUp,
    outcome: str,
    receiver: str = "",
    document_no: str = "",
    revisit_on: date | None = None,
    rectified: bool | None = None,
    cancel: bool = False,
) -> FollowUp:
    followup = FollowUp.objects.select_for_update(of=("self",)).select_related("record").get(pk=followup.pk)
    target = FollowUp.State.CANCELLED if cancel else FollowUp.State.DONE
    if target not in FollowUp.TRANSITIONS[FollowUp.State(followup.state)]:
        raise ValidationError(f"此后续处置已{followup.get_state_display()}。")
    if not (followup.owner_id == actor.pk or _manages(actor, followup.department_id)):
        raise ValidationError("只有承办人或承办部门的管理员、负责人可以办结。")
    if not outcome.strip():
        raise ValidationError("请填写办理结果。" if not cancel else "请填写撤销理由。")
    if not cancel:
        if followup.kind == FollowUp.Kind.RECTIFICATION:
            if revisit_on is None or rectified is None:
                raise ValidationError("限期整改须记录回访日期和是否整改到位。")
            if followup.rectify_by and revisit_on < followup.rectify_by:
                raise ValidationError(f"回访应在整改期限（{followup.rectify_by:%Y-%m-%d}）之后。")
            if revisit_on > _local_today():
                raise ValidationError("回访日期不能晚于今天。")
        elif followup.kind in (FollowUp.Kind.TRANSFER, FollowUp.Kind.POLICE) and not receiver.strip():
            raise ValidationError("请填写接收移送的机关。")
    followup.state = target
    followup.outcome, followup.receiver, followup.document_no = (
        outcome.strip(),
        receiver.strip(),
        document_no.strip(),
    )
    followup.revisit_on, followup.rectified = revisit_on, rectified
    followup.done_at, followup.done_by = timezone.now(), actor
    followup.save()
    audit_record(
        actor=actor,
        action="inspections.followup_cancel" if cancel else "inspections.followup_done",
        obj=followup,
        summary=f"{followup.get_kind_display()}{'撤销' if cancel else '办结'}：{followup.outcome}",
        detail={"task": followup.record.task_id},
    )
    return followup


def deadlines_refresh() -> int:
    """Recompute the stored deadlines of what is still open (after the working-day table changes), by the
    same rules as when they were set; the changed rows are written in batches."""
    calendar = work_calendar()
    records = [
        record
        for record in InspectionRecord.objects.exclude(state=InspectionRecord.State.PUBLISHED)
        .select_related("task")
        .only("results_due", "results_due_uncertain", "inspected_to", "task", "task__period_end")
        .iterator(chunk_size=2000)
        if _set_due(record, calendar)
    ]
    InspectionRecord.objects.bulk_update(records, ["results_due", "results_due_uncertain"], batch_size=2000)
    open_followups = list(FollowUp.objects.filter(state=FollowUp.State.OPEN))
    entered = {
        (record_id, department_id): entered_at
        for record_id, department_id, entered_at in RecordPart.objects.filter(
            record_id__in={f.record_id for f in open_followups}
        ).values_list("record_id", "department_id", "entered_at")
    }
    followups = []
    for followup in open_followups:
        deadline = _followup_deadline(
            calendar,
            kind=followup.kind,
            rectify_by=followup.rectify_by,
            entered_at=entered.get((followup.record_id, followup.department_id)),
            registered=timezone.localtime(followup.created_at).date(),
        )
        if (followup.due, followup.due_uncertain) != (deadline.date, deadline.uncertain):
            followup.due, followup.due_uncertain = deadline.date, deadline.uncertain
            followups.append(followup)
    FollowUp.objects.bulk_update(followups, ["due", "due_uncertain"], batch_size=2000)
    return len(records) + len(followups)
