from django.urls import path, register_converter

from . import views


class _Format:
    regex = "xlsx|docx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(_Format, "fmt")

app_name = "approvals"
urlpatterns = [
    path("", views.item_list, name="item_list"),
    path("overdue/", views.overdue, name="overdue"),
    path("report/", views.report, name="report"),
    path("export.xlsx", views.ledger_export, name="ledger_export"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/accept/", views.item_accept, name="item_accept"),
    path("items/<int:pk>/decide/", views.item_decide, name="item_decide"),
    path("items/<int:pk>/remove/", views.item_remove, name="item_remove"),
    path("items/<int:pk>/commitments/", views.commitment_create, name="commitment_create"),
    path("projects/<int:pk>/", views.project, name="project"),
    path("projects/<int:pk>/items/", views.project_add_items, name="project_add_items"),
    path("projects/<int:pk>/agency/", views.agency_step, name="agency_step"),
    path("projects/<int:pk>/notice.<fmt:fmt>", views.project_notice, name="project_notice"),
    path("commitments/", views.commitments, name="commitments"),
    path("commitments/<int:pk>/fulfil/", views.commitment_fulfil, name="commitment_fulfil"),
    path("commitments/credit.xlsx", views.credit_export, name="credit_export"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<int:pk>/", views.track, name="track"),
    path("catalogue/<int:pk>/notice.<fmt:fmt>", views.track_notice, name="track_notice"),
    path(
        "catalogue/<int:pk>/items/new/", views.catalogue_item_create, name="catalogue_item_create"
    ),
    path("catalogue/items/<int:pk>/", views.catalogue_item_edit, name="catalogue_item_edit"),
    path("catalogue/items/<int:pk>/materials/", views.material_add, name="material_add"),
    path("catalogue/materials/<int:pk>/remove/", views.material_remove, name="material_remove"),
    path("departments/", views.department_list, name="department_list"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
]
