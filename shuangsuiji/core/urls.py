from django.urls import path

from shuangsuiji.core import views, workday_views

app_name = "core"
urlpatterns = [
    path("staff/", views.home, name="home"),
    path("staff/jobs/<int:pk>/", views.job_status, name="job"),
    path("staff/workdays/", workday_views.workday_list, name="workdays"),
    path("staff/workdays/<int:pk>/delete/", workday_views.workday_delete, name="workday_delete"),
]
