"""Who may see a draw's confidential list (002 八(三)): until an entity's inspection starts, only the
task's managers, the team, the departments' leaders and the oversight office."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from shuangsuiji.accounts.roles import Role
from shuangsuiji.accounts.selectors import visible_department_ids
from shuangsuiji.draws.models import DrawSelection, TeamMember
from shuangsuiji.planning.models import Task


def task_department_ids(task: Task) -> set[int]:
    ids = {task.plan.department_id}
    ids |= set(task.plan.participants.values_list("pk", flat=True))
    ids |= set(task.departments.values_list("department_id", flat=True))
    return ids


def _manages(user: Any, task: Task) -> bool:
    """Managers and leaders of any department running the task (its bureaus and their stations)."""
    if not user.role_set & {Role.MANAGER, Role.LEADER}:
        return False
    ids = visible_department_ids(user)
    return ids is None or bool(ids & _subtree_ids(task))


def _subtree_ids(task: Task) -> set[int]:
    from shuangsuiji.accounts.models import Department

    ids = task_department_ids(task)
    paths = Department.objects.filter(pk__in=ids).values_list("path", flat=True)
    found: set[int] = set()
    for path in paths:
        found |= set(Department.objects.filter(path__startswith=path).values_list("pk", flat=True))
    return found


def sees_whole_list(user: Any, task: Task) -> bool:
    return Role.OVERSIGHT in user.role_set or _manages(user, task)


def selections_visible_to(user: Any, task: Task) -> QuerySet[DrawSelection]:
    qs = DrawSelection.objects.filter(draw__task=task).select_related("entity", "entity__jurisdiction")
    if sees_whole_list(user, task):
        return qs
    inspector = getattr(user, "inspector", None)
    if inspector is None:
        return qs.none()
    mine = TeamMember.objects.filter(draw__task=task, inspector=inspector, active=True).values("selection_id")
    return qs.filter(pk__in=mine)


def task_visible_to(user: Any, task: Task) -> bool:
    from shuangsuiji.planning.selectors import tasks_visible_to

    if tasks_visible_to(user).filter(pk=task.pk).exists():
        return True
    inspector = getattr(user, "inspector", None)
    return inspector is not None and TeamMember.objects.filter(draw__task=task, inspector=inspector).exists()


def task_get(user: Any, pk: int) -> Task | None:
    """The task, if the user may see it: through its plan, or as a member of a team drawn for it (who
    reaches their own entity even when the task is another department's)."""
    from shuangsuiji.planning.selectors import tasks_visible_to

    task = tasks_visible_to(user).filter(pk=pk).first()
    if task is None:
        task = Task.objects.filter(pk=pk).select_related("plan").first()
        if task is None or not task_visible_to(user, task):
            return None
    return task


def task_or_404(user: Any, pk: int) -> Task:
    """`task_get`, or the page's 404."""
    from django.http import Http404

    task = task_get(user, pk)
    if task is None:
        raise Http404("抽查任务不存在或不在您的可见范围内。")
    return task
