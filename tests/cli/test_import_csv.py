"""`tamtam import-csv`: the report, each bad row by line, and exit codes 0 / 1 / 2."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from tamtam import cli
from tamtam.accounts.models import AuditEvent
from tamtam.publishing.models import Post

YEAR = timezone.now().year + 1


@pytest.fixture
def csv_file(tmp_path, workspace, make_channel):
    make_channel(name="LinkedIn", options={"flavor": "linkedin"})
    path = tmp_path / "plan.csv"
    path.write_text(
        "text;channels;time\n"
        f"Bonjour;LinkedIn;{YEAR}-04-02 09:30\n"
        f"Hello;Nowhere;{YEAR}-04-02 10:30\n"
        f"Au revoir;LinkedIn;02/04/{YEAR} 18:00\n",
        encoding="utf-8-sig",
    )
    return path


def test_it_imports_the_good_rows_prints_each_error_and_exits_1(run, csv_file, workspace):
    code, out, err = run("import_csv", str(csv_file), "--workspace", workspace.slug)
    assert code == 1
    assert "Created: 2" in out
    assert "Duplicates (already imported): 0" in out
    assert 'line 3: channels: unknown channel "Nowhere" in this workspace' in out
    assert "1 row(s) could not be imported" in err
    assert Post.objects.filter(workspace=workspace).count() == 2


def test_a_second_run_counts_duplicates_and_creates_nothing(run, csv_file, workspace):
    run("import_csv", str(csv_file), "--workspace", workspace.slug)
    code, out, _err = run("import_csv", str(csv_file), "--workspace", str(workspace.id))
    assert code == 1  # the bad row is still bad
    assert "Created: 0" in out
    assert "Duplicates (already imported): 2" in out
    assert Post.objects.count() == 2


def test_a_clean_file_exits_0(run, tmp_path, workspace, make_channel):
    make_channel(name="Bluesky")
    path = tmp_path / "ok.csv"
    path.write_text(f"text,channels,time\nSalut,Bluesky,{YEAR}-04-03T09:00:00+02:00\n", encoding="utf-8")
    code, out, _err = run("import_csv", str(path), "--workspace", workspace.slug)
    assert (code, "Created: 1" in out) == (0, True)


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(run, csv_file, workspace):
    code, out, _err = run("import_csv", str(csv_file), "--workspace", workspace.slug, "--dry-run")
    assert code == 1
    assert "Would create: 2" in out
    assert Post.objects.count() == 0


def test_a_file_level_error_exits_2_and_imports_nothing(run, tmp_path, workspace):
    path = tmp_path / "bad.csv"
    path.write_text("Bonjour,LinkedIn,2030-01-01\n", encoding="utf-8")
    code, out, _err = run("import_csv", str(path), "--workspace", workspace.slug)
    assert code == 2
    assert "File error: Missing column(s)" in out
    assert Post.objects.count() == 0


def test_a_missing_file_exits_2(run, workspace, tmp_path):
    code, _out, err = run("import_csv", str(tmp_path / "nope.csv"), "--workspace", workspace.slug)
    assert code == 2
    assert "Cannot read" in err


def test_as_user_needs_the_import_capability_and_is_audited(run, csv_file, workspace, members):
    code, _out, err = run("import_csv", str(csv_file), "--workspace", workspace.slug, "--as", "analyst")
    assert code == 1
    assert "cannot" in err
    assert Post.objects.count() == 0
    run("import_csv", str(csv_file), "--workspace", workspace.slug, "--as", "community")
    assert set(Post.objects.values_list("author__username", flat=True)) == {"community"}
    assert AuditEvent.objects.filter(action="post.created", actor=members["community"]).count() == 2


def test_an_unknown_workspace_is_a_clear_error(run, csv_file, db):
    code, _out, err = run("import_csv", str(csv_file), "--workspace", "nowhere")
    assert code == 1
    assert 'No workspace "nowhere"' in err


def test_it_reads_standard_input(run, workspace, make_channel, monkeypatch):
    make_channel(name="Mastodon")
    data = f"text,channels,time\nPouet,Mastodon,{YEAR}-04-04 12:00\n".encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _err = run("import_csv", "-", "--workspace", workspace.slug)
    assert (code, "Created: 1" in out) == (0, True)


def test_the_tamtam_entry_point_takes_the_dashed_name_and_exits_2_on_a_file_error(
    tmp_path, workspace, capsys
):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["import-csv", str(path), "--workspace", workspace.slug])
    assert exit_info.value.code == 2
    assert "The file is empty." in capsys.readouterr().out
