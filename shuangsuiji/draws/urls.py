from django.urls import path

from shuangsuiji.draws import views

app_name = "draws"
urlpatterns = [
    path("tasks/<int:pk>/commit/", views.commit, name="commit"),
    path("tasks/<int:pk>/announcement/", views.announcement, name="announcement"),
    path("tasks/<int:pk>/ceremony/", views.ceremony, name="ceremony"),
    path("tasks/<int:pk>/result/", views.result, name="result"),
    path("tasks/<int:pk>/media/", views.media_upload, name="media_upload"),
    path("tasks/<int:pk>/media/<int:media_pk>/", views.media_file, name="media_file"),
    path("tasks/<int:pk>/members/<int:member_pk>/substitute/", views.substitute, name="substitute"),
    path("tasks/<int:pk>/members/<int:member_pk>/replace/", views.replacement, name="replacement"),
    path("tasks/<int:pk>/changes/<int:change_pk>/decide/", views.decide, name="decide"),
    path("tasks/<int:pk>/dispatch/", views.dispatch, name="dispatch"),
    path("plans/<int:plan_pk>/receive/", views.receive, name="receive"),
    path("tasks/<int:pk>/bundle.zip", views.bundle, name="bundle"),
]
