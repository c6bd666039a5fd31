"""Photos of a project's site on its monthly report: images only, bounded, re-encoded.

An upload is refused above PHOTO_MAX_BYTES before it is read, and as anything Pillow
can't open as a JPEG, PNG or WebP image (or one larger than PHOTO_MAX_PIXELS, a
"decompression bomb"). What is stored is the picture re-encoded as JPEG, at most
PHOTO_SIDE px on a side: no camera metadata (the site's GPS position), no payload hidden
after the image data.
"""

from __future__ import annotations

import io
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from sanpi.accounts.roles import Cap
from sanpi.core import audit
from sanpi.core.errors import PermissionDenied, ValidationFailed
from sanpi.core.scope import in_scope
from sanpi.core.services import require

from . import rules
from .models import MonthlyReport, ReportPhoto

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000  # 40 megapixels: every phone camera, no bomb
PHOTO_SIDE = 2000
PHOTOS_PER_REPORT = 6
FORMATS = {"JPEG", "PNG", "WEBP"}


def _may_change(by, report: MonthlyReport) -> None:
    require(by, Cap.FILE_REPORTS)
    if not in_scope(by, report.project):
        raise PermissionDenied("只能给权限范围内项目的月报添加照片")
    if rules.move_to(rules.Move.SAVE, report.status) is None:
        raise ValidationFailed("已报送或已审核的月报不能再修改照片")
    from .services import month_get

    if month_get(report.year, report.month).closed:
        raise ValidationFailed(f"{report.year}年{report.month}月已关账，月报已锁定")


def _reencoded(upload) -> tuple[bytes, int, int]:
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationFailed.of(
            "photo",
            f"照片最大{PHOTO_MAX_BYTES // 1024 // 1024}MB，此文件有{upload.size / 1024 / 1024:.1f}MB",
        )
    data = upload.read(PHOTO_MAX_BYTES + 1)
    refused = ValidationFailed.of("photo", "只能上传照片（JPEG、PNG 或 WebP 图片）")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise refused
            if probe.width * probe.height > PHOTO_MAX_PIXELS:
                raise ValidationFailed.of("photo", "照片像素过多，请缩小后再上传")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
            return out.getvalue(), image.width, image.height
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None


@transaction.atomic
def photo_add(*, by, report: MonthlyReport, upload) -> ReportPhoto:
    report = MonthlyReport.objects.select_for_update().select_related("project").get(pk=report.pk)
    _may_change(by, report)
    if report.photos.count() >= PHOTOS_PER_REPORT:
        raise ValidationFailed.of("photo", f"每份月报最多{PHOTOS_PER_REPORT}张照片")
    data, width, height = _reencoded(upload)
    photo = ReportPhoto(report=report, width=width, height=height, size=len(data), uploaded_by=by)
    photo.file.save(f"{uuid.uuid4().hex}.jpg", ContentFile(data), save=False)
    photo.save()
    audit.record(
        user=by,
        action="create",
        obj=photo,
        after={"report": report.pk, "width": width, "height": height, "size": len(data)},
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
