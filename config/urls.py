from django.urls import include, path

urlpatterns = [
    path("", include("shuangsuiji.core.urls")),
    path("", include("shuangsuiji.disclosure.urls")),
    path("staff/accounts/", include("shuangsuiji.accounts.urls")),
    path("staff/directory/", include("shuangsuiji.directory.urls")),
    path("staff/catalog/", include("shuangsuiji.catalog.urls")),
    path("staff/planning/", include("shuangsuiji.planning.urls")),
    path("staff/audit/", include("shuangsuiji.audit.urls")),
    path("staff/draws/", include("shuangsuiji.draws.urls")),
    path("staff/inspections/", include("shuangsuiji.inspections.urls")),
    path("staff/oversight/", include("shuangsuiji.oversight.urls")),
]
