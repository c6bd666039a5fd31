"""The size limit of uploaded files (workbooks to import), checked before anything reads them.

`settings.SANPI_UPLOAD_MAX_BYTES` (environment variable of the same name, 20MB by default)
is the one limit. `LimitedUploadHandler`, first of ``FILE_UPLOAD_HANDLERS``, counts each
file's bytes as they arrive and stops handing them on past the limit, so an oversize
upload never fills the disk; the file then reaches the view as an `OversizeUpload` that
holds no content and knows its size, and `check_upload_size` (called by every upload
form's ``clean_<file>``) refuses it with a Chinese message before any parser sees it.
Ordinary form fields are limited by Django's DATA_UPLOAD_MAX_MEMORY_SIZE (settings).
"""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from . import audit


def size_text(size: int) -> str:
    """A byte count as people read it: 20MB, 1.5MB, 300字节."""
    if size >= 2**20:
        return f"{size / 2**20:.1f}".removesuffix(".0") + "MB"
    if size >= 2**10:
        return f"{size / 2**10:.1f}".removesuffix(".0") + "KB"
    return f"{size}字节"


def check_upload_size(upload: UploadedFile) -> UploadedFile:
    """The upload, or a form error when it is larger than SANPI_UPLOAD_MAX_BYTES."""
    limit = settings.SANPI_UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise forms.ValidationError(
            f"文件太大：不能超过{size_text(limit)}（此文件{size_text(upload.size)}），未导入。"
            "请删去文件中无关的工作表、图片后另存再上传，或分成几个文件上传"
        )
    return upload


def _audit_oversize(request, name: str, size: int) -> None:
    """The refused upload's audit row: who sent what, where, and how large it was."""
    user = getattr(request, "user", None)
    audit.record(
        user=user if user is not None and user.is_authenticated else None,
        action="import",
        object_type="upload",
        object_repr=name or "",
        after={"status": "refused", "size": size, "path": request.path[:200]},
        message=(
            f"上传被拒绝：{name}：文件太大（已收到{size_text(size)}，"
            f"上限{size_text(settings.SANPI_UPLOAD_MAX_BYTES)}）"
        ),
    )


class OversizeUpload(UploadedFile):
    """An upload larger than the limit: its name and size, none of its bytes."""

    def __init__(self, *, name: str, content_type: str, size: int, charset=None) -> None:
        super().__init__(io.BytesIO(), name, content_type, size, charset)


class LimitedUploadHandler(FileUploadHandler):
    """Counts every uploaded file's bytes; beyond SANPI_UPLOAD_MAX_BYTES the rest of the
    file is read off the connection (so the page can answer) but kept nowhere."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.oversize = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.SANPI_UPLOAD_MAX_BYTES:
            self.oversize = True
        return None if self.oversize else raw_data  # None: later handlers get nothing more

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.oversize:
            return None  # the next handler (memory or temporary file) has the whole file
        if self.request is not None:  # None: a parser run outside a request
            _audit_oversize(self.request, self.file_name, self.received)
        return OversizeUpload(
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,
            charset=self.charset,
        )
