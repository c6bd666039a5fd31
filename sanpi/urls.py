from django.urls import include, path

urlpatterns = [
    path("", include("sanpi.cockpit.urls")),
    path("accounts/", include("sanpi.accounts.urls")),
    path("regions/", include("sanpi.regions.urls")),
    path("projects/", include("sanpi.projects.urls")),
    path("approvals/", include("sanpi.approvals.urls")),
    path("notifications/", include("sanpi.notifications.urls")),
    path("dispatch/", include("sanpi.dispatch.urls")),
    path("health/", include("sanpi.health.urls")),
    path("targets/", include("sanpi.targets.urls")),
    path("assessment/", include("sanpi.assessment.urls")),
    path("finance/", include("sanpi.finance.urls")),
    path("problems/", include("sanpi.problems.urls")),
    path("indicators/", include("sanpi.indicators.urls")),
    path("ledger/", include("sanpi.projects.io_urls")),
    path("api/", include("sanpi.api_urls")),
    path("", include("sanpi.core.urls")),  # /audit/, /calendar/
]

# 400, and 413 for a post too large to read: a Chinese page, never a 500 (core.views).
handler400 = "sanpi.core.views.bad_request"
