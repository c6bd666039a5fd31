"""Test-only: open generated documents the way people do, in LibreOffice.

A clerk opens the ledger export in Calc (or Excel), saves it again, sends a .xls; a
leader opens the bulletin in Writer. These helpers run headless LibreOffice
(``soffice``, Debian's libreoffice-calc-nogui and libreoffice-writer-nogui, installed by
scripts/install-system-deps.sh) on bytes and return what comes out:

* `resave_xlsx`: the workbook opened and saved again by Calc (.xlsx);
* `to_xls`: saved as an Excel 97 .xls;
* `to_csv`: the first sheet as UTF-8 text, cells as shown (`csv_sheets`: every sheet);
* `docx_text`: a Word document as UTF-8 plain text, through Writer.

Each input is opened with the import filter of its suffix (a .xlsx must be a real
Excel workbook, not text that Calc would guess its way through), and a file that
LibreOffice can't load or convert fails the test with soffice's own output.

soffice takes a second or two to start: `convert_many` converts several files in one
call. Each test process has its own LibreOffice profile (pytest-xdist's workers would
otherwise hand their files to one another's running instance), removed at exit.

Tests that use these are marked `needs_soffice`: skipped, with the reason, where
LibreOffice is not installed (``make test`` installs it, so CI never skips them).
"""

from __future__ import annotations

import atexit
import csv
import io
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: run `bash scripts/install-system-deps.sh` "
    "(Debian packages libreoffice-calc-nogui and libreoffice-writer-nogui; `make test` does)",
)

# Export filters (--convert-to) and their options: one argument each, so no shell quotes
# around the filter names (soffice takes quotes that reach it as part of the name).
XLSX = "xlsx:Calc MS Excel 2007 XML"
XLS = "xls:MS Excel 97"
# Field separator 44 (,), text delimiter 34 ("), character set 76 (UTF-8).
CSV = "csv:Text - txt - csv (StarCalc):44,34,76"
# ... then the defaults (first line 1, no column formats, default language, text cells not
# all quoted, special numbers, cells as shown, no formulas, spaces kept) and sheet -1:
# every sheet to a file of its own, "<name>-<sheet>.csv" (LibreOffice 7.2 and later).
CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
TXT = "txt:Text (encoded):UTF8"
# Import filters by input suffix.
IN_FILTERS = {
    "xlsx": "Calc MS Excel 2007 XML",
    "xls": "MS Excel 97",
    "docx": "MS Word 2007 XML",
}

_profile: Path | None = None


def _profile_dir() -> Path:
    """This process's LibreOffice profile, made on first use and removed at exit."""
    global _profile
    if _profile is None:
        _profile = Path(tempfile.mkdtemp(prefix="sanpi-lo-profile-"))
        atexit.register(shutil.rmtree, _profile, ignore_errors=True)
    return _profile


def _outputs(outdir: Path, stem: str, ext: str) -> list[Path]:
    return sorted(outdir.glob(f"{stem}.{ext}")) + sorted(outdir.glob(f"{stem}-*.{ext}"))


def _soffice(args: list[str], timeout: int) -> tuple[int, str]:
    """Run soffice in its own process group (killed whole on timeout); exit code and
    output."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = _profile_dir()
    command = [
        SOFFICE,
        "--headless",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        f"-env:UserInstallation={profile.as_uri()}",
        *args,
    ]
    env = {**os.environ, "HOME": str(profile)}
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    ) as process:
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, _ = process.communicate()
            raise AssertionError(
                f"soffice took more than {timeout} s:\n{out.decode(errors='replace')}"
            ) from None
    return process.returncode, out.decode(errors="replace")


def convert_many(
    files: Sequence[bytes], *, suffix: str, to: str, timeout: int = 120
) -> list[bytes]:
    """Convert several files of the same kind (``suffix``, e.g. "xlsx") with one soffice
    call; ``to`` is the --convert-to argument (e.g. `CSV`). One output per input, in
    order. Fails (AssertionError, with soffice's output) when any file can't be loaded
    or converted."""
    return [outputs[0][1] for outputs in _convert(files, suffix=suffix, to=to, timeout=timeout)]


def convert(data: bytes, *, suffix: str, to: str, timeout: int = 120) -> bytes:
    """Convert one file; see `convert_many`."""
    return convert_many([data], suffix=suffix, to=to, timeout=timeout)[0]


def _convert(
    files: Sequence[bytes], *, suffix: str, to: str, timeout: int
) -> list[list[tuple[str, bytes]]]:
    """For each input, its output files as (name after the input's stem, bytes): one
    file, or one per sheet when the filter writes every sheet ("-SheetName")."""
    suffix = suffix.lstrip(".")
    ext = to.split(":", 1)[0]
    with tempfile.TemporaryDirectory(prefix="sanpi-lo-") as tmp:
        indir, outdir = Path(tmp, "in"), Path(tmp, "out")
        indir.mkdir()
        outdir.mkdir()
        paths = []
        for i, data in enumerate(files):
            path = indir / f"doc{i}.{suffix}"
            path.write_bytes(data)
            paths.append(path)
        args = []
        if suffix in IN_FILTERS:
            args.append(f"--infilter={IN_FILTERS[suffix]}")
        args += ["--convert-to", to, "--outdir", str(outdir), *map(str, paths)]
        code, output = _soffice(args, timeout)
        results, failed = [], []
        for path in paths:
            found = _outputs(outdir, path.stem, ext)
            if not found or not path.stat().st_size:  # LibreOffice opens "" as a new document
                failed.append(f"{path.name} ({path.stat().st_size} bytes)")
            results.append([(p.stem[len(path.stem) :].lstrip("-"), p.read_bytes()) for p in found])
        if failed or code != 0 or "Error:" in output:
            raise AssertionError(
                f"soffice could not convert {', '.join(failed) or 'every file'} to {to} "
                f"(exit status {code}); its output:\n{output.strip()}"
            )
        return results


# --- what people do with the files --------------------------------------------------------


def resave_xlsx(data: bytes) -> bytes:
    """The workbook as a clerk leaves it after opening it in Calc and saving (.xlsx)."""
    return convert(data, suffix="xlsx", to=XLSX)


def to_xls(data: bytes) -> bytes:
    """The workbook saved as Excel 97-2003 (.xls) by Calc."""
    return convert(data, suffix="xlsx", to=XLS)


def to_csv(data: bytes) -> str:
    """The first sheet of a .xlsx as CSV (UTF-8, cells as Calc shows them)."""
    return to_csv_many([data])[0]


def to_csv_many(files: Sequence[bytes]) -> list[str]:
    """`to_csv` of several workbooks, with one soffice call."""
    return [out.decode("utf-8") for out in convert_many(files, suffix="xlsx", to=CSV)]


def csv_sheets(data: bytes) -> dict[str, str]:
    """Every sheet of a .xlsx as CSV (UTF-8, cells as Calc shows them), by sheet name."""
    return csv_sheets_many([data])[0]


def csv_sheets_many(files: Sequence[bytes]) -> list[dict[str, str]]:
    """`csv_sheets` of several workbooks, with one soffice call."""
    return [
        {name: content.decode("utf-8") for name, content in outputs}
        for outputs in _convert(files, suffix="xlsx", to=CSV_ALL_SHEETS, timeout=120)
    ]


def rows(text: str) -> list[list[str]]:
    """CSV text as rows of cells."""
    return list(csv.reader(io.StringIO(text)))


def docx_text(data: bytes) -> str:
    """A Word document as the plain text Writer saves (UTF-8; a table's cells one a line)."""
    return docx_text_many([data])[0]


def docx_text_many(files: Sequence[bytes]) -> list[str]:
    """`docx_text` of several documents, with one soffice call."""
    return [out.decode("utf-8-sig") for out in convert_many(files, suffix="docx", to=TXT)]
