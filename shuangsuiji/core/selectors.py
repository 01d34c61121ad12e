from typing import Any


def home_summary(*, user: Any) -> dict[str, Any]:
    from shuangsuiji.directory.selectors import entities_visible_to, inspectors_visible_to

    summary: dict[str, Any] = {"roles": user.role_labels(), "department": user.department}
    if user.role_set & {"manager", "leader", "inspector", "oversight"}:
        summary["entity_count"] = entities_visible_to(user).order_by()[:100001].count()
        summary["inspector_count"] = inspectors_visible_to(user).count()
    if user.role_set & {"manager", "leader", "inspector", "oversight"}:
        from shuangsuiji.inspections.selectors import due_counts, due_rows

        rows = due_rows(user)
        summary["due_rows"] = rows[:15]
        summary["due_counts"] = due_counts(rows)
    if "leader" in user.role_set:
        from shuangsuiji.draws.models import DrawChange
        from shuangsuiji.draws.services import leader_may_approve

        pending = DrawChange.objects.filter(state=DrawChange.State.PENDING).select_related(
            "draw__task", "selection__entity", "out_inspector", "in_inspector", "department"
        )
        summary["approvals"] = [c for c in pending if leader_may_approve(user, c)]
        from shuangsuiji.inspections.models import Correction
        from shuangsuiji.inspections.services import may_approve

        corrections = Correction.objects.filter(state=Correction.State.PENDING).select_related(
            "result__part__record__entity",
            "result__part__record__task",
            "result__item",
            "result__code",
            "new_code",
        )
        summary["corrections"] = [c for c in corrections if may_approve(user, c)]
    if "manager" in user.role_set:
        from shuangsuiji.planning.models import Task
        from shuangsuiji.planning.selectors import tasks_visible_to

        summary["ready_tasks"] = list(
            tasks_visible_to(user)
            .filter(state__in=[Task.State.DRAFT, Task.State.COMMITTED])
            .order_by("period_start")[:10]
        )
    return summary
