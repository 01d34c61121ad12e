from django.urls import path

from shuangsuiji.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("verify/", views.verify, name="verify"),
    path("export/", views.export, name="export"),
]
