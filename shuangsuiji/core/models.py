from django.conf import settings
from django.db import models


class Job(models.Model):
    """A long operation (big import, big draw, export) run by the background worker, with progress the
    page can poll. The user may leave and come back: the job page shows where it is or how it ended."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField(max_length=64)
    title = models.CharField("任务", max_length=200)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # per mille
    message = models.CharField(max_length=300, blank=True)
    params = models.JSONField(default=dict)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    result_url = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_state_display()}）"

    @property
    def percent(self) -> int:
        return self.progress // 10

    @property
    def finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)


class WorkdayOverride(models.Model):
    """An administrator's correction to the holiday calendar: the State Council publishes next year's
    schedule each November and the library may lag, so a date can be declared a working day or a day off."""

    date = models.DateField("日期", unique=True)
    workday = models.BooleanField("是工作日")
    note = models.CharField("依据/说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "工作日调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'上班' if self.workday else '休息'}"


class WorkdayYear(models.Model):
    """A year whose schedule the administrators have entered completely: days without an override then
    follow the weekday rule without being flagged as uncertain."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    note = models.CharField("依据", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "已录入节假日安排的年度"
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)
