"""Files on a problem's progress notes: photos (re-encoded as the monthly report's site
photos are, `sanpi.core.images`) and PDFs (checked by their ``%PDF-`` header), each at
most ATTACHMENT_MAX_BYTES, refused before they are read past it; at most FILES_PER_NOTE
on one note. They are served only within the problem's scope (`selectors.attachment_get`).

Every upload of a move is checked (and photos re-encoded) before anything is written, so a
refused file refuses the whole move: the note and its files are saved together or not at
all (`move_with_files`).
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import transaction

from sanpi.accounts.models import User
from sanpi.core import audit, images
from sanpi.core.errors import PermissionDenied, ValidationFailed
from sanpi.core.scope import in_scope

from . import services
from .models import Attachment, Problem, ProblemEvent

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
FILES_PER_NOTE = 6
FIELD = "files"
REFUSED = "只能上传照片（JPEG、PNG 或 WebP 图片）或 PDF 文件"
PDF = "application/pdf"
JPEG = "image/jpeg"
SUFFIX = {PDF: ".pdf", JPEG: ".jpg"}  # of what is stored, by its type


@dataclass(frozen=True)
class Checked:
    """An upload that passed: what will be stored."""

    name: str
    content_type: str
    data: bytes


def _name(upload, content_type: str) -> str:
    """The name people gave the file (no folders), with the suffix of what is stored."""
    stem = PurePath(str(getattr(upload, "name", "") or "").replace("\\", "/")).stem.strip()
    stem = "".join(c for c in stem if c.isprintable())[:150] or "附件"
    return stem + SUFFIX[content_type]


def check(upload) -> Checked:
    """An upload read (bounded) and judged: a PDF as it is, a photo re-encoded as JPEG;
    a field error for anything else or anything too large."""
    data = images.read_bounded(upload, max_bytes=ATTACHMENT_MAX_BYTES, field=FIELD, label="附件")
    if not data:
        raise ValidationFailed.of(FIELD, "上传的文件是空的")
    if data.startswith(b"%PDF-"):
        return Checked(_name(upload, PDF), PDF, data)
    photo = images.reencode(data, field=FIELD, refused=REFUSED)
    return Checked(_name(upload, JPEG), JPEG, photo.data)


def check_all(uploads) -> list[Checked]:
    uploads = list(uploads or ())
    if len(uploads) > FILES_PER_NOTE:
        raise ValidationFailed.of(
            FIELD, f"每条进展最多{FILES_PER_NOTE}个附件，选了{len(uploads)}个"
        )
    return [check(u) for u in uploads]


def _store(*, by, event: ProblemEvent, checked: Checked) -> Attachment:
    if not isinstance(by, User) or event.by_id != by.pk:
        raise PermissionDenied("只能给自己写的进展添加附件")
    if not in_scope(by, event.problem):
        raise PermissionDenied("只能给权限范围内的问题添加附件")
    if event.attachments.count() >= FILES_PER_NOTE:
        raise ValidationFailed.of(FIELD, f"每条进展最多{FILES_PER_NOTE}个附件")
    attachment = Attachment(
        event=event, name=checked.name, content_type=checked.content_type, size=len(checked.data)
    )
    stored_name = uuid.uuid4().hex + SUFFIX[checked.content_type]
    attachment.file.save(stored_name, ContentFile(checked.data), save=False)
    attachment.save()
    audit.record(
        user=by,
        action="create",
        obj=attachment,
        after={
            "event": event.pk,
            "name": checked.name,
            "content_type": checked.content_type,
            "size": len(checked.data),
        },
        message=f"上传问题附件“{checked.name}”（{event.problem.project.name}）",
    )
    return attachment


@transaction.atomic
def attachment_add(*, by, event: ProblemEvent, upload) -> Attachment:
    """One file on a progress note the user wrote, within the problem's scope."""
    checked = check(upload)
    event = ProblemEvent.objects.select_related("problem__project").get(pk=event.pk)
    stored: list[Attachment] = []
    with _removed_unless_saved(stored):
        stored.append(_store(by=by, event=event, checked=checked))
    return stored[0]


def move_with_files(*, by, problem: Problem, move: str, version=None, files=(), **data) -> Problem:
    """A move (`services.problem_move`) with files on its note: every file is checked
    first; the move and its files are saved together or not at all."""
    checked = check_all(files)
    stored: list[Attachment] = []
    with _removed_unless_saved(stored), transaction.atomic():
        event = services.problem_move_event(
            by=by, problem=problem, move=move, version=version, **data
        )
        for item in checked:
            stored.append(_store(by=by, event=event, checked=item))
    return event.problem


@contextmanager
def _removed_unless_saved(stored: list[Attachment]):
    """Files written for rows that were then rolled back are removed again."""
    try:
        yield
    except BaseException:
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise
