"""Uploaded photos: bounded, opened only as JPEG, PNG or WebP, and re-encoded.

An upload is refused above ``max_bytes`` before it is read (and read no further than
that, whatever size it claims), and as anything Pillow can't open as a JPEG, PNG or WebP
image, or one larger than MAX_PIXELS (a "decompression bomb"). What is kept is the
picture re-encoded as JPEG, at most SIDE px on a side: no camera metadata (a site's
GPS position), no payload hidden after the image data. Serves the monthly report's site
photos and the problems' attachments alike, with the same limits.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ValidationFailed

FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
NOT_A_PHOTO = "只能上传照片（JPEG、PNG 或 WebP 图片）"
MAX_PIXELS = 40_000_000  # 40 megapixels: every phone camera, no bomb
SIDE = 2000  # px, the longer side of what is kept


@dataclass(frozen=True)
class Photo:
    data: bytes  # JPEG
    width: int
    height: int


def read_bounded(upload, *, max_bytes: int, field: str, label: str = "照片") -> bytes:
    """The upload's bytes, refused (a field error) when it has more than ``max_bytes``:
    by its declared size before anything is read, and by what is actually read."""
    size = upload.size or 0
    if size <= max_bytes:
        data = upload.read(max_bytes + 1)
        size = max(size, len(data))
    if size > max_bytes:
        raise ValidationFailed.of(
            field, f"{label}最大{max_bytes // 1024 // 1024}MB，此文件有{size / 1024 / 1024:.1f}MB"
        )
    return data


def reencode(data: bytes, *, field: str, refused: str = NOT_A_PHOTO) -> Photo:
    """``data`` re-encoded as a JPEG of at most SIDE px on a side; a field error
    (``refused``) when it is not a JPEG, PNG or WebP image, or has more than MAX_PIXELS."""
    not_a_photo = ValidationFailed.of(field, refused)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise not_a_photo
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationFailed.of(field, "照片像素过多，请缩小后再上传")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((SIDE, SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
            return Photo(out.getvalue(), image.width, image.height)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_a_photo from None
