from django.urls import path

from . import service_views, views

app_name = "problems"

urlpatterns = [
    # The problem ledger and a problem's loop (views.py).
    path("", views.problem_list, name="list"),
    path("board/", views.board, name="board"),
    path("new/", views.problem_raise, name="raise"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/files/<int:file_pk>/", views.attachment, name="attachment"),
    path("from-report/<int:report_pk>/", views.from_report, name="from_report"),
    path("rules/", views.policies, name="policies"),
    path("rules/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    # Figures, exports, leaders' liaison and the service team's visits (service_views.py).
    path("figures/", service_views.figures, name="figures"),
    path("export/", service_views.export, name="export"),
    path("<int:pk>/notice.docx", service_views.notice, name="notice"),
    path("leaders/", service_views.leaders, name="leaders"),
    path("leaders/<int:user_pk>/", service_views.leader, name="leader"),
    path("liaisons/new/", service_views.liaison_new, name="liaison_new"),
    path("liaisons/<int:pk>/end/", service_views.liaison_end, name="liaison_end"),
    path("visits/", service_views.visits, name="visits"),
    path("visits/new/", service_views.visit_new, name="visit_new"),
]
