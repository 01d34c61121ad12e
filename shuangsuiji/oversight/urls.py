from django.urls import path

from shuangsuiji.oversight import views

app_name = "oversight"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("refresh", views.refresh, name="refresh"),
    path("tables/<slug:key>.<str:fmt>", views.table_export, name="table_export"),
    path("summary.<str:fmt>", views.summary, name="summary"),
    path("upstream.xlsx", views.upstream, name="upstream"),
]
