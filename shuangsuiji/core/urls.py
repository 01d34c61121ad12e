from django.urls import path

from shuangsuiji.core import views

app_name = "core"
urlpatterns = [
    path("", views.root, name="root"),
    path("staff/", views.home, name="home"),
    path("staff/jobs/<int:pk>/", views.job_status, name="job"),
]
