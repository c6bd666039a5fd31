"""Notifications on the web: the list (with mark-read), the channel preferences, and the
group robots' page for the system administrator."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from sanpi.accounts.roles import Cap
from sanpi.core.web import paginate, require_cap, submit, web_view

from . import selectors, services
from .forms import PreferencesForm, WebhookForm
from .selectors import unit_choice

PER_PAGE = 20


@require_GET
@web_view
def notification_list(request):
    show = request.GET.get("show", "all")
    if show not in selectors.SHOW:
        show = "all"
    user = request.user
    page = paginate(request, selectors.notification_list(user=user, show=show), PER_PAGE)
    return render(
        request,
        "notifications/list.html",
        {"page": page, "show": show, "unread": selectors.unread_count(user)},
    )


@require_POST
@web_view
def notification_open(request, pk: int):
    """Mark one's own notification read and go where it leads (a same-site path only)."""
    notification = selectors.notification_get(user=request.user, pk=pk)
    link = services.notification_open(user=request.user, notification=notification)
    return redirect(link or "notifications:list")


@require_POST
@web_view
def notification_read_all(request):
    count = services.mark_all_read(user=request.user)
    messages.success(request, f"已将{count}条通知标为已读" if count else "没有未读通知")
    return redirect("notifications:list")


@web_view
def preferences(request):
    user = request.user
    form = PreferencesForm(request.POST or None, rows=selectors.preference_rows(user=user))
    if request.method == "POST" and form.is_valid():
        services.preferences_set(user=user, choices=form.choices())
        messages.success(request, "通知设置已保存")
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "has_email": bool((user.email or "").strip()),
            "webhook": selectors.user_webhook(user),
        },
    )


# --- group robots (system administrator) -------------------------------------------------


@require_GET
@web_view
def webhook_list(request):
    rows = selectors.webhook_list(by=request.user)
    return render(request, "notifications/webhook_list.html", {"page": paginate(request, rows)})


@web_view
def webhook_create(request):
    by = request.user
    require_cap(by, Cap.MANAGE_USERS)
    form = WebhookForm(request.POST or None)
    webhook = submit(
        request,
        form,
        lambda d: services.webhook_create(
            by=by, unit=d["unit"], format=d["format"], url=d["url"], enabled=d["enabled"]
        ),
    )
    if webhook is not None:
        messages.success(request, f"已设置{webhook}")
        return redirect("notifications:webhook_list")
    return render(request, "notifications/webhook_form.html", {"form": form, "webhook": None})


@web_view
def webhook_edit(request, pk: int):
    by = request.user
    webhook = selectors.webhook_get(by=by, pk=pk)
    initial = {
        "unit": unit_choice(webhook),
        "format": webhook.format,
        "enabled": webhook.enabled,
    }
    form = WebhookForm(request.POST or None, initial=initial, editing=webhook)
    saved = submit(
        request,
        form,
        lambda d: services.webhook_update(
            by=by,
            webhook=webhook,
            unit=d["unit"],
            format=d["format"],
            url=d["url"],
            enabled=d["enabled"],
        ),
    )
    if saved is not None:
        messages.success(request, f"已保存{saved}")
        return redirect("notifications:webhook_list")
    return render(request, "notifications/webhook_form.html", {"form": form, "webhook": webhook})


@require_POST
@web_view
def webhook_set_enabled(request, pk: int):
    by = request.user
    webhook = selectors.webhook_get(by=by, pk=pk)
    enabled = request.POST.get("enabled") == "1"
    webhook = services.webhook_set_enabled(by=by, webhook=webhook, enabled=enabled)
    messages.success(request, f"已{'启用' if enabled else '停用'}{webhook}")
    return redirect("notifications:webhook_list")
