"""Ledger pages through HTTP: upload, the job page and its progress, downloads, rights."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from sanpi.core import imports, jobs, xlsx
from sanpi.core.models import AuditLog, Job
from sanpi.core.tests.jobs import job_file
from sanpi.projects import jobs as project_jobs
from sanpi.projects.models import Project
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.projects.tests.ledger_files import row, signed, workbook

pytestmark = pytest.mark.django_db

IMPORTERS = ["city_office", "county", "zone"]
NOT_IMPORTERS = ["leader", "enterprise", "admin", "auditor"]


def upload(data: bytes, name: str = "台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=xlsx.XLSX_CONTENT_TYPE)


def post_file(client, data: bytes, **extra):
    return client.post("/ledger/import/", {"file": upload(data), **extra})


def job_url(job: Job, suffix: str = "") -> str:
    return f"/ledger/jobs/{job.pk}/{suffix}"


# --- rights -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", IMPORTERS)
def test_importers_get_the_upload_page(world, login, role):
    response = login(world.user(role)).get("/ledger/import/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'href="/ledger/template.xlsx"' in page
    assert "还没有导入记录" in page


@pytest.mark.parametrize("role", NOT_IMPORTERS)
def test_others_are_refused_every_import_page(world, login, role):
    owner_job = Job.objects.create(user=world.user("city_office"), kind="ledger", filename="a.xlsx")
    client = login(world.user(role))
    for response in (
        client.get("/ledger/import/"),
        post_file(client, workbook([row(1)])),
        client.get("/ledger/template.xlsx"),
    ):
        assert response.status_code == 403
    # Someone else's job does not exist for them.
    for suffix in ("", "progress/", "marked.xlsx"):
        assert client.get(job_url(owner_job, suffix)).status_code == 404
    assert client.post(job_url(owner_job, "remap/"), {"map:x": "项目单位"}).status_code in (
        403,
        404,
    )
    assert not Project.objects.filter(name="新材料项目1").exists()


@pytest.mark.parametrize(
    ("role", "status"), [("leader", 200), ("enterprise", 200), ("admin", 403), ("auditor", 403)]
)
def test_export_needs_the_export_capability(world, login, role, status):
    response = login(world.user(role)).get("/ledger/export.xlsx")
    assert response.status_code == (302 if status == 200 else status)


def test_jobs_are_visible_only_to_who_started_them(world, login):
    client = login(world.user("city_office"))
    post_file(client, workbook([row(1, **{"总投资(万元)": "x"})]))
    job = Job.objects.get()
    other = login(world.user("county"))
    for suffix in ("", "progress/", "marked.xlsx"):
        assert other.get(job_url(job, suffix)).status_code == 404
    assert other.post(job_url(job, "remap/"), {"map:总投资(万元)": ""}).status_code == 404
    assert Job.objects.count() == 1
    assert "还没有导入记录" in other.get("/ledger/import/").content.decode()
    assert other.get("/ledger/jobs/00000000-0000-0000-0000-000000000000/").status_code == 404


# --- the upload flow ----------------------------------------------------------------------


def _renamed(header: str, name: str) -> bytes:
    """A ledger whose 项目单位 column is headed ``name``."""
    from sanpi.projects.io import LEDGER

    headers = [name if h == header else h for h in LEDGER.headers]
    cells = [{(name if k == header else k): v for k, v in row(1).items()}]
    return workbook(cells, headers=headers)


def test_unmatched_columns_are_assigned_on_the_page_and_remembered(world, login):
    user = world.user("city_office")
    client = login(user)
    data = _renamed("项目单位", "企业名字")
    response = post_file(client, data)
    job = Job.objects.get()
    assert job.status == Job.Status.REJECTED
    page = client.get(response.url).content.decode()
    assert "第1行 项目单位: 找不到此列（表头在第1行）" in page
    assert 'id="remap-form"' in page and 'name="map:企业名字"' in page
    # The clerk says 企业名字 is 项目单位: the same file is imported again, and it works.
    response = client.post(job_url(job, "remap/"), {"map:企业名字": "项目单位", "map:序号": ""})
    again = Job.objects.exclude(pk=job.pk).get()
    assert response.url == job_url(again)
    assert again.status == Job.Status.DONE, again.errors
    assert again.source_file is None  # kept only while it may be imported again
    assert Project.objects.filter(name="新材料项目1").exists()
    # Only what the clerk changed is remembered (序号 was ignored already).
    assert imports.mapping_get(user=user, kind="ledger") == {"企业名字": "项目单位"}
    assert AuditLog.objects.filter(message="指定导入文件的列对应", user=user).count() == 1
    # Offered next time, and used unless unticked.
    page = client.get("/ledger/import/").content.decode()
    assert "“企业名字”→“项目单位”" in page
    other = _renamed("项目单位", "企业名字").replace(b"1", b"1")
    post_file(client, other, use_mapping="on")
    assert Job.objects.latest("created_at").status == Job.Status.DONE
    post_file(client, other)  # unticked
    assert Job.objects.latest("created_at").status == Job.Status.REJECTED


def test_a_bad_assignment_is_ignored_and_a_finished_job_cannot_be_reimported(world, login):
    client = login(world.user("city_office"))
    post_file(client, workbook([row(1)]))
    done = Job.objects.get()
    assert client.post(job_url(done, "remap/"), {"map:a": "项目单位"}).status_code == 404
    post_file(client, _renamed("项目单位", "企业名字"))
    refused = Job.objects.latest("created_at")
    client.post(job_url(refused, "remap/"), {"map:企业名字": "不是模板的列"})
    latest = Job.objects.latest("created_at")
    assert latest.status == Job.Status.REJECTED
    assert imports.mapping_get(user=world.user("city_office"), kind="ledger") == {}


def test_bad_file_lists_every_error_and_offers_the_marked_copy(world, login):
    client = login(world.user("county"))
    data = workbook(
        [
            row(1),
            row(2, **{"所属县(市、区)": "孝义市", "所属开发区": None}),
            row(3, 项目阶段="开工", 签约日期="2021-05-01", 开工日期="2021-04-01"),
        ]
    )
    before = (Project.objects.count(), AuditLog.objects.count())
    response = post_file(client, data)
    job = Job.objects.get()
    assert response.status_code == 302
    assert response.url == job_url(job)
    assert (job.status, job.user, job.filename, job.dry_run) == (
        "rejected",
        world.user("county"),
        "台账.xlsx",
        False,
    )
    # No project written; one audit row, the refusal: who sent which file and why.
    assert (Project.objects.count(), AuditLog.objects.count()) == (before[0], before[1] + 1)
    refused = AuditLog.objects.latest("id")
    assert (refused.action, refused.object_id, refused.username) == (
        "import",
        str(job.pk),
        world.user("county").username,
    )
    assert refused.message.startswith("台账导入被拒绝：台账.xlsx：文件有2处错误")

    page = client.get(job_url(job)).content.decode()
    assert "文件有2处错误，未导入任何数据，请改正后重新导入。" in page
    assert "第3行 所属县(市、区)（E列）: 超出您的管辖范围" in page
    assert "第4行 开工日期（R列）: 开工日期2021-04-01早于签约日期2021-05-01" in page
    assert f'href="{job_url(job, "marked.xlsx")}"' in page
    assert "hx-trigger" not in page  # finished: no polling

    response = client.get(job_url(job, "marked.xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"]
    marked = b"".join(response.streaming_content)
    assert xlsx.marked_cells(marked) == {
        "项目台账": {"E3": "超出您的管辖范围", "R4": "开工日期2021-04-01早于签约日期2021-05-01"}
    }
    ws = load_workbook(io.BytesIO(marked))["项目台账"]
    assert ws["E3"].fill.start_color.rgb == "FFFFC7CE"


def test_good_file_shows_the_result(world, login):
    client = login(world.user("city_office"))
    response = post_file(client, workbook([row(1), signed(2)]), dry_run="")
    job = Job.objects.get()
    assert (response.status_code, job.status) == (302, "done")
    page = client.get(response.url).content.decode()
    assert (
        "导入完成。共2行：新增项目2个，更新0个，未变化0个；新增企业2家；新增活动0个；新增活动归属1条。"
        in page
    )
    assert 'id="job-summary"' in page and "新增项目" in page
    assert "下载标注错误的文件" not in page
    assert Project.objects.filter(name__in=["新材料项目1", "新材料项目2"]).count() == 2
    summary = AuditLog.objects.get(action="import")
    assert (summary.source, summary.ip, summary.user) == (
        "web",
        "127.0.0.1",
        world.user("city_office"),
    )
    assert client.get(job_url(job, "marked.xlsx")).status_code == 404
    # The upload page lists the job.
    assert "台账.xlsx" in client.get("/ledger/import/").content.decode()


def test_dry_run_writes_nothing(world, login):
    client = login(world.user("zone"))
    before = (Project.objects.count(), AuditLog.objects.count())
    post_file(client, workbook([row(1)]), dry_run="on")
    job = Job.objects.get()
    assert (job.status, job.dry_run) == ("done", True)
    assert (Project.objects.count(), AuditLog.objects.count()) == before
    page = client.get(job_url(job)).content.decode()
    assert "校验通过，未写入任何数据（仅校验）。若正式导入将：共1行：新增项目1个" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7", "这是 PDF 文件，不是表格，请上传 .xlsx、.xls 或 .csv 文件"),
        (workbook([]), "工作表“项目台账”没有数据行"),
    ],
)
def test_unusable_files_are_refused_on_the_page(world, login, data, message):
    client = login(world.user("city_office"))
    response = post_file(client, data)
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert message in page
    assert "下载标注错误的文件" not in page


def test_form_errors(world, login, settings):
    client = login(world.user("city_office"))
    response = client.post("/ledger/import/", {})
    assert response.status_code == 200
    assert "请选择要上传的文件" in response.content.decode()
    settings.SANPI_UPLOAD_MAX_BYTES = 100
    response = post_file(client, workbook([row(1)]))
    assert "文件太大：不能超过100字节" in response.content.decode()
    assert not Job.objects.exists()


def test_an_unexpected_failure_is_a_failed_job_not_a_500(world, login, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(project_jobs, "ledger_import", broken)
    client = login(world.user("city_office"))
    response = post_file(client, workbook([row(1)]))
    job = Job.objects.get()
    assert job.status == "failed"
    page = client.get(response.url).content.decode()
    assert jobs.INTERNAL_ERROR in page
    assert 'id="job-retry"' in page


# --- progress -----------------------------------------------------------------------------


def test_progress_fragment_polls_until_the_job_is_done(world, login):
    user = world.user("city_office")
    job = Job.objects.create(user=user, kind="ledger", filename="大文件.xlsx", status="running")
    jobs.CacheProgress(job.pk)(2500, 10000, "校验")
    client = login(user)

    page = client.get(job_url(job)).content.decode()
    assert f'hx-get="{job_url(job, "progress/")}"' in page
    assert 'hx-trigger="every 500ms"' in page

    response = client.get(job_url(job, "progress/"))
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="job-status"')
    assert "<html" not in fragment
    assert 'hx-trigger="every 500ms"' in fragment
    assert 'aria-valuenow="25"' in fragment and 'data-percent="25"' in fragment
    assert "正在校验" in fragment and "2500 / 10000" in fragment

    # A file that doesn't say how many rows it has: rows counted, no percentage.
    jobs.CacheProgress(job.pk)(500, 0, "读取")
    fragment = client.get(job_url(job, "progress/")).content.decode()
    assert "正在读取" in fragment and "已处理 500 行" in fragment
    assert "aria-valuenow" not in fragment

    Job.objects.filter(pk=job.pk).update(status="done", message="导入完成。共10000行")
    fragment = client.get(job_url(job, "progress/")).content.decode()
    assert "hx-trigger" not in fragment
    assert "导入完成。共10000行" in fragment


def test_a_job_whose_worker_died_fails_and_can_be_retried(world, login):
    """The worker running it was killed: the next look at the queue marks the job
    failed (nothing of it was written), and "重试" imports the kept upload again."""
    user = world.user("city_office")
    job = Job.objects.create(
        user=user, kind="ledger", filename="a.xlsx", status="running", attempts=1,
        worker="no-such-host:999999:1", source_file=workbook([row(1)]),
    )  # fmt: skip
    assert [j.pk for j in jobs.settle_interrupted()] == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", jobs.INTERRUPTED)
    client = login(user)
    page = client.get(job_url(job)).content.decode()
    assert jobs.INTERRUPTED in page and "hx-trigger" not in page
    response = client.post(f"/jobs/{job.pk}/retry/")
    retry = Job.objects.get(retry_of=job)
    assert response.status_code == 302 and response.url == job_url(retry)
    assert retry.status == "done", retry.message
    assert Project.objects.filter(name__startswith="新材料项目").count() == 1
    assert AuditLog.objects.filter(object_id=str(retry.pk), message__contains="重试").exists()
    # Someone else's job: no retry.
    other = login(world.user("county"))
    assert other.post(f"/jobs/{job.pk}/retry/").status_code == 404


# --- downloads ----------------------------------------------------------------------------


def test_template_download(world, login):
    response = login(world.user("zone")).get("/ledger/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx.XLSX_CONTENT_TYPE
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["项目台账", "三个一批活动"]


def _exported(client, url: str = "/ledger/export.xlsx") -> list[str]:
    response = job_file(client, url)
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx.XLSX_CONTENT_TYPE
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)["项目台账"]
    return sorted(r[1] for r in ws.iter_rows(min_row=2, values_only=True))


def test_export_uses_the_list_filters_and_the_scope(world, login):
    city = login(world.user("city_office"))
    assert _exported(city, "/ledger/export.xlsx") == ["乙装备制造项目", "甲新材料项目"]
    assert _exported(city, "/ledger/export.xlsx?county=141181") == ["乙装备制造项目"]
    assert _exported(city, "/ledger/export.xlsx?q=甲") == ["甲新材料项目"]
    assert _exported(city, "/ledger/export.xlsx?stage=reached") == []
    assert _exported(city, "/ledger/export.xlsx?zone=abc&county=") == [
        "乙装备制造项目",
        "甲新材料项目",
    ]
    log = AuditLog.objects.filter(action="export").order_by("id")[1]
    assert (log.source, log.message) == ("web", "导出项目台账1个项目（筛选：county=141181）")
    county = login(world.user("county"))
    assert _exported(county, "/ledger/export.xlsx") == ["甲新材料项目"]
    assert _exported(county, "/ledger/export.xlsx?county=141181") == []


def test_export_query_count_does_not_grow_with_the_ledger(world, login):
    client = login(world.user("city_office"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/ledger/export.xlsx").status_code == 302
        return len(ctx.captured_queries)

    few = queries()
    for i in range(10):
        ProjectFactory(name=f"更多项目{i}", county=world.county_b, zone=world.zone_b)
    assert queries() == few
