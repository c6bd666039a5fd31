"""Photos of a project's site on its monthly report: images only, bounded, re-encoded.

An upload is refused above PHOTO_MAX_BYTES before it is read, and as anything Pillow
can't open as a JPEG, PNG or WebP image (or one with too many pixels, a "decompression
bomb"). What is stored is the picture re-encoded as JPEG, at most 2,000 px on a side: no
camera metadata (the site's GPS position), no payload hidden after the image data
(`sanpi.core.images`, which the problems' attachments share). The picture is read and
re-encoded before the report is locked, so a large one holds up no other writer.
"""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.db import transaction

from sanpi.accounts.roles import Cap
from sanpi.core import audit, images
from sanpi.core.errors import PermissionDenied, ValidationFailed
from sanpi.core.scope import in_scope
from sanpi.core.services import require

from . import rules
from .models import MonthlyReport, ReportPhoto

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTOS_PER_REPORT = 6


def _may_change(by, report: MonthlyReport) -> None:
    require(by, Cap.FILE_REPORTS)
    if not in_scope(by, report.project):
        raise PermissionDenied("只能给权限范围内项目的月报添加照片")
    if rules.move_to(rules.Move.SAVE, report.status) is None:
        raise ValidationFailed("已报送或已审核的月报不能再修改照片")
    from .services import month_get

    if month_get(report.year, report.month).closed:
        raise ValidationFailed(f"{report.year}年{report.month}月已关账，月报已锁定")


def photo_add(*, by, report: MonthlyReport, upload) -> ReportPhoto:
    _may_change(by, report)  # refused before the file is read; decided again under the lock
    data = images.read_bounded(upload, max_bytes=PHOTO_MAX_BYTES, field="photo")
    picture = images.reencode(data, field="photo")
    with transaction.atomic():
        report = (
            MonthlyReport.objects.select_for_update().select_related("project").get(pk=report.pk)
        )
        _may_change(by, report)
        if report.photos.count() >= PHOTOS_PER_REPORT:
            raise ValidationFailed.of("photo", f"每份月报最多{PHOTOS_PER_REPORT}张照片")
        size = len(picture.data)
        photo = ReportPhoto(
            report=report, width=picture.width, height=picture.height, size=size, uploaded_by=by
        )
        photo.file.save(f"{uuid.uuid4().hex}.jpg", ContentFile(picture.data), save=False)
        photo.save()
        audit.record(
            user=by,
            action="create",
            obj=photo,
            after={
                "report": report.pk,
                "width": picture.width,
                "height": picture.height,
                "size": size,
            },
            message=f"上传{report.year}年{report.month}月月报照片",
        )
    return photo


@transaction.atomic
def photo_remove(*, by, photo: ReportPhoto) -> None:
    report = (
        MonthlyReport.objects.select_for_update().select_related("project").get(pk=photo.report_id)
    )
    _may_change(by, report)
    audit.record(
        user=by,
        action="delete",
        obj=photo,
        before={"report": report.pk, "size": photo.size},
        message=f"删除{report.year}年{report.month}月月报照片",
    )
    name = photo.file.name
    photo.delete()
    transaction.on_commit(lambda: photo.file.storage.delete(name))
