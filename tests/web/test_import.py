"""CSV import page: preview with line-numbered errors, import of the valid rows, duplicates skipped."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tamtam.accounts.models import Membership
from tamtam.publishing import csv_import
from tamtam.publishing.models import Post, PostSource
from tamtam.publishing.views import imports

GOOD = "Spring is here,Bluesky,2027-04-02 09:30\n"
CSV = (
    "text,channels,time\n"
    + GOOD
    + "Nowhere,Myspace,2027-04-02 10:00\n"
    + "Too late,Bluesky,2020-01-01 09:00\n"
    + "Whenever,Bluesky,next tuesday\n"
)


@pytest.fixture
def channel(make_channel):
    return make_channel(name="Bluesky")


def url(workspace, name="import"):
    return reverse(f"publishing:{name}", kwargs={"ws": workspace.pk})


def upload(client, workspace, content: str, name="plan.csv"):
    file = SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")
    return client.post(url(workspace), {"action": "preview", "file": file})


def confirm(client, workspace, response):
    return client.post(url(workspace), {"action": "import", "token": response.context["token"]})


def test_the_preview_lists_every_row_with_its_line_and_errors_and_creates_nothing(
    workspace, members, channel, login
):
    response = upload(login(members["community"]), workspace, CSV)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-line="2" data-ok="1"' in html
    for line in (3, 4, 5):
        assert f'data-line="{line}" data-ok="0"' in html
    row3 = html.split('data-line="3"', 1)[1].split("</tr>", 1)[0]
    assert "<code>channels</code>" in row3
    assert "Myspace" in row3
    assert "in the past" in html.split('data-line="4"', 1)[1].split("</tr>", 1)[0]
    assert "<code>time</code>" in html.split('data-line="5"', 1)[1].split("</tr>", 1)[0]
    assert "Fri 2 Apr 2027, 09:30" in html  # the local time in the workspace zone
    assert "Import 1 valid row" in html
    assert not Post.objects.exists()


def test_importing_creates_the_valid_rows_and_reports_the_others_by_line(workspace, members, channel, login):
    client = login(members["community"])
    response = confirm(client, workspace, upload(client, workspace, CSV))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.created, report.duplicates) == (1, 0)
    assert sorted({e.line for e in report.errors}) == [3, 4, 5]
    html = response.content.decode()
    assert 'data-testid="import-created">1<' in html
    assert 'data-testid="import-error" data-line="3"' in html
    post = Post.objects.get(workspace=workspace)
    assert post.source == PostSource.CSV
    assert post.scheduled_at == datetime(2027, 4, 2, 7, 30, tzinfo=UTC)


def test_importing_the_same_file_again_skips_the_duplicates(workspace, members, channel, login):
    client = login(members["community"])
    confirm(client, workspace, upload(client, workspace, CSV))
    preview = upload(client, workspace, CSV)
    assert 'data-duplicate="1"' in preview.content.decode()
    assert preview.context["valid"] == 0  # nothing new: no import button
    assert preview.context["duplicates"] == 1
    bigger = upload(client, workspace, CSV + "Second wave,Bluesky,2027-04-03 09:30\n")
    report = confirm(client, workspace, bigger).context["report"]
    assert (report.created, report.duplicates) == (1, 1)
    assert Post.objects.filter(workspace=workspace).count() == 2


def test_the_import_parses_the_file_again_rather_than_trusting_the_preview(
    workspace, members, channel, login
):
    client = login(members["community"])
    preview = upload(client, workspace, GOOD.join(["text,channels,time\n", ""]))
    channel.delete()  # between the preview and the click
    report = confirm(client, workspace, preview).context["report"]
    assert report.created == 0
    assert [(e.line, e.field) for e in report.errors] == [(2, "channels")]


def test_a_stale_or_foreign_token_imports_nothing(workspace, members, channel, make_workspace, login):
    client = login(members["community"])
    response = client.post(url(workspace), {"action": "import", "token": "made-up"})
    assert response.status_code == 400
    assert "upload the file again" in response.content.decode()
    other = make_workspace()
    Membership.objects.create(user=members["community"], workspace=other, role="community")
    token = upload(client, workspace, CSV).context["token"]
    assert client.post(url(other), {"action": "import", "token": token}).status_code == 400
    assert not Post.objects.exists()
    confirm_once = client.post(url(workspace), {"action": "import", "token": token})
    assert confirm_once.context["report"].created == 1
    assert client.post(url(workspace), {"action": "import", "token": token}).status_code == 400  # used up


def test_a_file_without_the_required_header_is_refused_as_a_whole(workspace, members, channel, login):
    html = upload(login(members["community"]), workspace, "message;when\nHi;tomorrow\n").content.decode()
    assert 'data-testid="import-file-error"' in html
    assert "Missing column" in html
    assert 'data-testid="import-confirm"' not in html


def test_a_too_large_file_is_refused(workspace, members, channel, login, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 10)
    response = upload(login(members["community"]), workspace, CSV)
    assert response.status_code == 400
    assert 'data-testid="import-upload-error"' in response.content.decode()


def test_the_template_has_the_expected_header(workspace, members, channel, login):
    response = login(members["community"]).get(url(workspace, "import_template"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, example = list(csv.reader(io.StringIO(response.content.decode())))
    assert header == list(csv_import.COLUMNS)
    assert example[header.index("channels")] == "Bluesky"
    assert csv_import.parse(workspace, response.content).file_error is None


def test_only_roles_that_import_see_the_page(workspace, members, make_user, login):
    assert login(members["community"]).get(url(workspace)).status_code == 200
    assert login(members["analyst"]).get(url(workspace)).status_code == 403
    assert login(members["client"]).get(url(workspace, "import_template")).status_code == 403
    assert login(make_user("stranger")).get(url(workspace)).status_code == 404
