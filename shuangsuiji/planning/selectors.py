from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from shuangsuiji.accounts.selectors import visible_department_ids
from shuangsuiji.planning.models import Plan, Task


def plans_visible_to(user: Any) -> QuerySet[Plan]:
    """Own and joined plans by department scope; the 联席办 sees every plan once submitted."""
    ids = visible_department_ids(user)
    qs = Plan.objects.select_related("department")
    if ids is None:
        return qs.exclude(state=Plan.State.DRAFT)
    return qs.filter(Q(department_id__in=ids) | Q(participants__in=ids)).distinct()


def tasks_visible_to(user: Any) -> QuerySet[Task]:
    return Task.objects.filter(plan__in=plans_visible_to(user)).select_related("plan", "plan__department")


def plan_editable_by(user: Any, plan: Plan) -> bool:
    ids = visible_department_ids(user)
    return "manager" in user.role_set and ids is not None and plan.department_id in ids
