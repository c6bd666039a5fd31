"""A generated file to hand over: its bytes and the name it downloads as. What every
export and bulletin function returns (the view sends it with `core.web.attachment`, a job
keeps it as its result)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    data: bytes
    filename: str
