from django.urls import path

from . import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:key>/<int:year>/", views.year_results, name="results"),
    path("<slug:key>/<int:year>/scheme/", views.scheme_page, name="scheme"),
    path("<slug:key>/<int:year>/entry/", views.entry, name="entry"),
    path("<slug:key>/<int:year>/compute/", views.compute, name="compute"),
    path("<slug:key>/<int:year>/state/", views.state, name="state"),
    path("<slug:key>/<int:year>/template.xlsx", views.template, name="template"),
    path("<slug:key>/<int:year>/import/", views.import_page, name="import"),
    path("<slug:key>/<int:year>/results.xlsx", views.results_xlsx, name="results_xlsx"),
    path("<slug:key>/<int:year>/classes.xlsx", views.classes_xlsx, name="classes_xlsx"),
    path("<slug:key>/<int:year>/bulletin.docx", views.results_docx, name="results_docx"),
]
