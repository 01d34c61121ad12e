from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "shuangsuiji.inspections"
    verbose_name = "检查与结果"

    def ready(self) -> None:
        from shuangsuiji.core.calendar import calendar_changed
        from shuangsuiji.inspections import jobs  # noqa: F401  (registers the background job kinds)

        calendar_changed.connect(_refresh_deadlines, dispatch_uid="inspections.deadlines")


def _refresh_deadlines(**_: object) -> None:
    from shuangsuiji.inspections.services import deadlines_refresh

    deadlines_refresh()
