"""Imports: a refused file (every error, and the file with its bad cells marked), the
upload of a refused job to import again, and the user's remembered column assignments.

Imports run as background jobs (``core.jobs``): the app's job kind calls its import
with the job's upload and a progress callback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


def read_sheet_rows(
    data: bytes,
    filename: str,
    spec,
    check_rows: Callable,
    *,
    what: str = "数据",
) -> tuple[list, object]:
    """Read the sheet ``spec.name`` (or a workbook's only sheet) with `core.tables` and
    check its rows with ``check_rows(table, errors)``, which returns what to write. Raises
    ImportRejected with every error (and the uploaded bytes, for the marked copy) when the
    file, the header or any row is wrong, or the sheet has no rows. Returns (what to
    write, the table). ``what`` names the sheet's contents in the message (目标, 数据)."""
    from . import tables
    from .workbooks import WorkbookUnreadable, open_book

    errors = ErrorList()
    try:
        book = open_book(data, filename)
    except WorkbookUnreadable as exc:
        raise ImportRejected([CellError(str(exc))]) from None
    with book:
        name = tables.find_sheet(list(book.sheet_names), spec.name)
        if name is None and len(book.sheet_names) == 1:
            name = book.sheet_names[0]
        if name is None:
            raise ImportRejected([CellError(
                f"找不到工作表“{spec.name}”（文件中的工作表：{'、'.join(book.sheet_names)}）："
                f"请把{what}所在的工作表命名为“{spec.name}”")])  # fmt: skip
        report = tables.TableReport(kind=book.kind)
        table = tables.read_table(book.sheet(name), spec, errors, report=report)
        if table is None:
            raise ImportRejected(errors, source=data)
        planned = check_rows(table, errors)
    header_rows = {report.sheet: report.header_rows[-1]} if report.header_rows else None
    if not planned and not errors:
        errors.file(f"工作表“{name}”没有数据行")
    if errors:
        raise ImportRejected(errors, source=data, header_rows=header_rows)
    return planned, table
