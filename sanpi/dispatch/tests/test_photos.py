"""Site photos on a monthly report: images only, bounded, re-encoded without their
metadata, visible only within the project's scope."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from sanpi.core import images
from sanpi.core.errors import ValidationFailed
from sanpi.dispatch import photos, services
from sanpi.dispatch.models import ReportPhoto
from sanpi.projects.models import Project


@pytest.fixture
def report(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    Project.objects.filter(pk=world.project_a.pk).update(
        stage="started", signed_date=dt.date(2026, 1, 5), started_date=dt.date(2026, 3, 1)
    )
    world.project_a.refresh_from_db()
    return services.report_save(
        by=world.user("enterprise"),
        project=world.project_a,
        year=2026,
        month=10,
        data={"investment_wan": Decimal("10"), "progress_percent": 5},
    )


def _png(width=3000, height=1500, **info) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buf, "PNG", **info)
    return SimpleUploadedFile("工地.png", buf.getvalue(), content_type="image/png")


def _camera_jpeg(width=3000, height=1500) -> SimpleUploadedFile:
    """A phone's photo: JPEG with EXIF naming the camera and the site's GPS position."""
    exif = Image.Exif()
    exif[0x010F] = "手机厂商"  # Make
    exif.get_ifd(0x8825)[2] = (37.0, 31.0, 12.0)  # GPSLatitude
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buf, "JPEG", exif=exif)
    with Image.open(io.BytesIO(buf.getvalue())) as sent:
        assert sent.getexif().get_ifd(0x8825)  # what the test is about is really there
    return SimpleUploadedFile("工地.jpg", buf.getvalue(), content_type="image/jpeg")


def test_a_photo_is_stored_as_a_bounded_jpeg_and_shown_in_scope(world, report, login):
    photo = photos.photo_add(by=world.user("enterprise"), report=report, upload=_camera_jpeg())
    assert (photo.width, photo.height) == (2000, 1000)  # at most 2,000 px on a side
    with photo.file.open("rb") as f, Image.open(f) as stored:
        assert stored.format == "JPEG" and "exif" not in stored.info
        assert not stored.getexif()  # no camera, no GPS position
    url = f"/dispatch/photos/{photo.pk}/"
    own = login(world.user("county")).get(url)
    assert own.status_code == 200 and own["Content-Type"] == "image/jpeg"
    assert login(world.user("city_office")).get(url).status_code == 200
    for role in ("enterprise", "zone"):
        assert login(world.user(role)).get(url).status_code == 200
    page = login(world.user("county")).get(f"/dispatch/2026/10/{world.project_a.pk}/")
    assert url in page.content.decode()


def test_only_images_within_the_limits(world, report, monkeypatch):
    ent = world.user("enterprise")
    text = SimpleUploadedFile("x.png", b"<?php echo 1; ?>", content_type="image/png")
    with pytest.raises(ValidationFailed, match="只能上传照片（JPEG、PNG 或 WebP 图片）"):
        photos.photo_add(by=ent, report=report, upload=text)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    with pytest.raises(ValidationFailed, match="只能上传照片"):
        photos.photo_add(by=ent, report=report, upload=SimpleUploadedFile("a.gif", gif.getvalue()))
    monkeypatch.setattr(photos, "PHOTO_MAX_BYTES", 1000)
    with pytest.raises(ValidationFailed, match="照片最大0MB"):
        photos.photo_add(by=ent, report=report, upload=_png(100, 100, compress_level=0))
    monkeypatch.setattr(photos, "PHOTO_MAX_BYTES", 10 * 1024 * 1024)
    monkeypatch.setattr(images, "MAX_PIXELS", 100)
    with pytest.raises(ValidationFailed, match="照片像素过多"):
        photos.photo_add(by=ent, report=report, upload=_png(20, 20))
    assert not ReportPhoto.objects.exists()


def test_at_most_six_and_not_once_submitted(world, report):
    ent = world.user("enterprise")
    for _ in range(photos.PHOTOS_PER_REPORT):
        photos.photo_add(by=ent, report=report, upload=_png(50, 50))
    with pytest.raises(ValidationFailed, match="每份月报最多6张照片"):
        photos.photo_add(by=ent, report=report, upload=_png(50, 50))
    services.report_save(
        by=ent,
        project=report.project,
        year=2026,
        month=10,
        data={"investment_wan": Decimal("10"), "progress_percent": 5},
        submit=True,
    )
    with pytest.raises(ValidationFailed, match="已报送或已审核的月报不能再修改照片"):
        photos.photo_remove(by=ent, photo=ReportPhoto.objects.first())
    assert ReportPhoto.objects.count() == 6


def test_out_of_scope_photos_do_not_exist(world, report, login):
    photo = photos.photo_add(by=world.user("enterprise"), report=report, upload=_png(50, 50))
    from sanpi.accounts.tests.factories import UserFactory
    from sanpi.regions.tests.factories import EnterpriseFactory

    stranger = UserFactory(username="ent_other", role="enterprise", enterprise=EnterpriseFactory())
    client = login(stranger)
    assert client.get(f"/dispatch/photos/{photo.pk}/").status_code == 404
    assert client.post(f"/dispatch/photos/{photo.pk}/delete/").status_code == 404
    assert ReportPhoto.objects.count() == 1
    assert login(world.user("admin")).get(f"/dispatch/photos/{photo.pk}/").status_code == 403
