from django.db import models


class DemoLoad(models.Model):
    """Marks that the demo county was loaded (and at which size), so `shuangsuiji demo` never loads twice."""

    entities = models.PositiveIntegerField()
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "演示数据加载记录"

    def __str__(self) -> str:
        return f"演示县区（{self.entities} 个检查对象）"
