"""Reads for inspections: which records a user sees, what is due, an entity's history (预查比对)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.selectors import visible_department_ids
from shuangsuiji.core.calendar import work_calendar
from shuangsuiji.draws import selectors as draw_selectors
from shuangsuiji.draws.models import TeamMember
from shuangsuiji.inspections.models import FollowUp, InspectionRecord, RecordPart, Result
from shuangsuiji.planning.models import Task
from shuangsuiji.workdays import DueStatus


def records_visible_to(user: Any, task: Task) -> QuerySet[InspectionRecord]:
    """The records of the entities the user may see in this task (the draw's confidentiality rule)."""
    selections = draw_selectors.selections_visible_to(user, task)
    return (
        InspectionRecord.objects.filter(task=task, selection__in=selections.values("pk"))
        .select_related("entity", "selection", "task__plan")
        .order_by("selection__rank")
    )


def record_visible_to(user: Any, record: InspectionRecord) -> bool:
    return records_visible_to(user, record.task).filter(pk=record.pk).exists()


def current_results(record: InspectionRecord) -> list[Result]:
    return list(
        Result.objects.filter(part__record=record, current=True)
        .select_related("part__department", "item", "code")
        .order_by("part__department__path", "item__code")
    )


def entity_history(record: InspectionRecord) -> list[dict[str, Any]]:
    """预查比对: the entity's earlier records (other tasks), newest first, with their current results."""
    earlier = (
        InspectionRecord.objects.filter(entity_id=record.entity_id)
        .exclude(pk=record.pk)
        .select_related("task")
        .order_by("-created_at")[:20]
    )
    rows = []
    for other in earlier:
        rows.append(
            {
                "record": other,
                "results": [
                    r
                    for r in Result.objects.filter(part__record=other, current=True).select_related(
                        "item", "code", "part__department"
                    )
                ],
            }
        )
    return rows


@dataclass(frozen=True)
class DueRow:
    what: str  # 结果录入 / 待公示 / 后续处置 name
    subject: str
    department: str
    url: str
    status: DueStatus
    mine: bool

    @property
    def css(self) -> str:
        return {"overdue": "overdue", "due_today": "soon", "due_soon": "soon"}.get(self.status.state, "")


def due_rows(user: Any, *, today: date | None = None, limit: int = 200) -> list[DueRow]:
    """What is due for the user and their department: parts to enter, complete records to publish,
    open follow-ups; overdue first. Overdue counts as not done (004 第二十九条)."""
    today = today or timezone.localdate()
    calendar = work_calendar()
    ids = visible_department_ids(user)
    managing = bool(user.role_set & {Role.MANAGER, Role.LEADER, Role.OVERSIGHT})
    inspector = getattr(user, "inspector", None)
    rows: list[DueRow] = []

    parts = RecordPart.objects.filter(
        state=RecordPart.State.PENDING, record__state=InspectionRecord.State.OPEN
    ).select_related("record__entity", "record__task", "department")
    mine_sel: set[tuple[int, int]] = set()
    if inspector is not None:
        mine_sel = set(
            TeamMember.objects.filter(inspector=inspector, active=True).values_list(
                "selection_id", "department_id"
            )
        )
    scope = Q(pk__in=[])
    if managing:
        scope |= Q() if ids is None else Q(department_id__in=ids)
    if mine_sel:
        scope |= Q(record__selection_id__in={s for s, _ in mine_sel})
    for part in parts.filter(scope).order_by("record__results_due")[:limit]:
        mine = (part.record.selection_id, part.department_id) in mine_sel
        if not mine and not managing:
            continue
        rows.append(
            DueRow(
                "结果录入",
                f"{part.record.task.ref} · {part.record.entity.name}",
                str(part.department),
                reverse("inspections:record", args=[part.record_id]),
                calendar.due_status(part.record.results_due, today),
                mine,
            )
        )
    if managing:
        complete = InspectionRecord.objects.filter(state=InspectionRecord.State.COMPLETE).select_related(
            "entity", "task__plan__department"
        )
        if ids is not None:
            complete = complete.filter(task__plan__department_id__in=ids)
        for record in complete.order_by("results_due")[:limit]:
            rows.append(
                DueRow(
                    "待公示",
                    f"{record.task.ref} · {record.entity.name}",
                    str(record.task.plan.department),
                    reverse("inspections:record", args=[record.pk]),
                    calendar.due_status(record.results_due, today),
                    False,
                )
            )
    followups = FollowUp.objects.filter(state=FollowUp.State.OPEN).select_related(
        "record__entity", "record__task", "department"
    )
    fscope = Q(owner_id=user.pk)
    if managing:
        fscope |= Q() if ids is None else Q(department_id__in=ids)
    for followup in followups.filter(fscope).order_by("due")[:limit]:
        rows.append(
            DueRow(
                followup.get_kind_display(),
                f"{followup.record.task.ref} · {followup.record.entity.name}",
                str(followup.department),
                reverse("inspections:followup", args=[followup.pk]),
                calendar.due_status(followup.due, today),
                followup.owner_id == user.pk,
            )
        )
    order = {"overdue": 0, "due_today": 1, "due_soon": 2, "on_track": 3}
    rows.sort(key=lambda r: (order[r.status.state], r.status.deadline, r.subject))
    return rows


def due_counts(rows: list[DueRow]) -> dict[str, int]:
    counts = {"overdue": 0, "soon": 0, "later": 0}
    for row in rows:
        if row.status.state == "overdue":
            counts["overdue"] += 1
        elif row.status.state in ("due_today", "due_soon"):
            counts["soon"] += 1
        else:
            counts["later"] += 1
    return counts
