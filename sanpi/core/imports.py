"""Imports: a refused file (every error, and the file with its bad cells marked), the
upload of a refused job to import again, and the user's remembered column assignments.

Imports run as background jobs (``core.jobs``): the app's job kind calls its import
with the job's upload and a progress callback.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from . import audit
from .errors import NotFound, ServiceError
from .jobs import job_get
from .models import ImportMapping, Job
from .xlsx import CellError, ErrorList, marked_copy


class ImportRejected(ServiceError):
    """Bad input: nothing was written. Carries every error and the marked workbook.

    Given the uploaded bytes as ``source``, the marked copy (slow for big files) is made
    only when someone asks for ``marked``: the web job does, the command line doesn't.
    """

    code = "import_rejected"

    def __init__(
        self,
        errors: ErrorList | Sequence[CellError],
        marked: bytes | None = None,
        *,
        source: bytes | None = None,
        details: dict | None = None,
        header_rows: dict[str, int] | None = None,
    ) -> None:
        if not isinstance(errors, ErrorList):
            errors = ErrorList(list(errors))
        self.errors: list[CellError] = errors.sorted()
        self.lines: list[str] = errors.lines()  # with the note when the list stopped
        self._marked = marked
        self._source = source
        self._header_rows = header_rows
        self.details = details or {}  # what was understood of the file, for the page
        super().__init__(f"文件有{errors.count_text()}处错误，未导入任何数据，请改正后重新导入。")

    @property
    def marked(self) -> bytes | None:
        """The uploaded file with the bad cells marked (None if nothing can be marked)."""
        if self._marked is None and self._source is not None:
            self._marked = marked_copy(self._source, self.errors, header_rows=self._header_rows)
            self._source = None
        return self._marked

    def as_dict(self) -> dict:
        out = super().as_dict()
        out["error"]["rows"] = self.lines
        return out


# --- files imported again, and users' column assignments -----------------------------------------


def job_source(*, user, pk) -> bytes:
    """The upload of one of the user's refused jobs, to import again."""
    job = job_get(user=user, pk=pk)
    if job.status != Job.Status.REJECTED or not job.source_file:
        raise NotFound("该导入任务没有可重新导入的文件，请重新上传")
    return bytes(job.source_file)


def mapping_get(*, user, kind: str) -> dict[str, str]:
    """The user's remembered column assignments for this kind of import ({} if none)."""
    row = ImportMapping.objects.filter(user_id=user.pk, kind=kind).first()
    return dict(row.mapping) if row else {}


def mapping_save(*, user, kind: str, mapping: dict[str, str]) -> None:
    """Remember the user's column assignments (merged into those remembered before)."""
    with transaction.atomic():
        row, _ = ImportMapping.objects.select_for_update().get_or_create(user_id=user.pk, kind=kind)
        before = dict(row.mapping)
        row.mapping = {**before, **mapping}
        if row.mapping == before:
            return
        row.save()
        audit.record(
            user=user,
            action="update",
            obj=row,
            before={"mapping": before},
            after={"mapping": row.mapping},
            message="指定导入文件的列对应",
        )
