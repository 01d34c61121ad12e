from django.urls import path

from shuangsuiji.inspections import views

app_name = "inspections"
urlpatterns = [
    path("due/", views.due_list, name="due"),
    path("tasks/<int:pk>/", views.task_records, name="task_records"),
    path("tasks/<int:pk>/archive/", views.archive_start, name="archive_start"),
    path("tasks/<int:pk>/archive.zip", views.archive_file, name="archive_file"),
    path("records/<int:pk>/", views.record_detail, name="record"),
    path("records/<int:pk>/parts/<int:part_pk>/", views.part_edit, name="part_edit"),
    path("records/<int:pk>/parts/<int:part_pk>/reopen/", views.part_reopen, name="part_reopen"),
    path("records/<int:pk>/signature/", views.signature, name="signature"),
    path("records/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("records/<int:pk>/evidence/<int:evidence_pk>/", views.evidence_file, name="evidence_file"),
    path("records/<int:pk>/publish/", views.publish, name="publish"),
    path("records/<int:pk>/record.pdf", views.record_pdf, name="record_pdf"),
    path("records/<int:pk>/record.docx", views.record_docx, name="record_docx"),
    path("records/<int:pk>/results/<int:result_pk>/correct/", views.correction_new, name="correction_new"),
    path(
        "records/<int:pk>/corrections/<int:correction_pk>/decide/",
        views.correction_decide,
        name="correction_decide",
    ),
    path("records/<int:pk>/followups/new/", views.followup_new, name="followup_new"),
    path("followups/<int:pk>/", views.followup_detail, name="followup"),
    path("forms/<slug:code_set>/blank.<str:fmt>", views.blank_form, name="blank_form"),
]
