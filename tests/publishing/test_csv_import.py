"""CSV import: line-numbered errors with the good rows kept, Excel's French exports, DST-day local times,
idempotent re-imports, file-level errors."""

from __future__ import annotations

import codecs
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tamtam.accounts.models import ApprovalPolicy
from tamtam.publishing import csv_import
from tamtam.publishing.models import Media, Post, PostSource, PostTarget
from tamtam.publishing.states import TargetState as S
from tamtam.strategy.models import Campaign, Pillar

PARIS = ZoneInfo("Europe/Paris")
YEAR = timezone.now().year + 1


def last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


SPRING = last_sunday(YEAR, 3)  # Paris: 02:00 → 03:00
AUTUMN = last_sunday(YEAR, 10)  # Paris: 03:00 → 02:00


@pytest.fixture
def ws(make_workspace):
    return make_workspace(approval_policy=ApprovalPolicy.NONE, time_zone="Europe/Paris", language="fr")


@pytest.fixture
def chans(ws, make_channel):
    return {
        "x": make_channel(ws=ws, name="X Maison", handle="@maison", options={"flavor": "x"}),
        "li": make_channel(ws=ws, name="LinkedIn", handle="@maison-li", options={"flavor": "linkedin"}),
    }


@pytest.fixture
def author(ws, make_user):
    return make_user("importer", ws, "community")


def test_bad_rows_are_reported_by_line_and_the_good_ones_are_imported(ws, chans, author):
    data = (
        "text,channels,time,media_url,campaign,link\n"
        f"Hello world,X Maison,{YEAR}-05-04T09:00:00+02:00,,,\n"
        f"No channel here,Nowhere,{YEAR}-05-04T10:00:00+02:00,,,\n"
        ",LinkedIn,2020-01-01T09:00:00+01:00,,,\n"
        f"Two networks,X Maison|LinkedIn,{YEAR}-05-05 08:30,,,https://maison.example/printemps\n"
        f"Bad link,LinkedIn,{YEAR}-05-06 08:30,,,ftp://maison.example\n"
    ).encode()
    report = csv_import.run(ws, author, data)
    assert report.file_error is None
    assert (report.created, report.duplicates) == (2, 0)
    assert [(e.line, e.field) for e in report.errors] == [
        (3, "channels"),
        (4, "text"),
        (4, "time"),
        (6, "link"),
    ]
    assert "Nowhere" in report.errors[0].message
    assert "past" in report.errors[2].message
    assert str(report.errors[0]) == f"line 3: channels: {report.errors[0].message}"
    posts = Post.objects.filter(workspace=ws).order_by("scheduled_at")
    assert [p.text for p in posts] == ["Hello world", "Two networks"]
    assert {p.source for p in posts} == {PostSource.CSV}
    assert all(len(p.import_key or "") == 64 for p in posts)
    assert posts[1].link == "https://maison.example/printemps"
    assert posts[1].scheduled_at == datetime(YEAR, 5, 5, 8, 30, tzinfo=PARIS)
    assert set(PostTarget.objects.values_list("state", flat=True)) == {S.SCHEDULED}


def test_a_french_excel_export_with_semicolons_bom_and_day_first_dates_imports(ws, chans, author):
    text = (
        "Texte;Canaux;Date;Lien;Premier commentaire\n"
        f'"Nouvelle collection ; printemps\nà Lyon";X Maison;04/05/{YEAR} 09:00;;#maison\n'
        f"Soldes d'été;@maison-li;05/05/{YEAR} 18h30;https://maison.example;\n"
        f"Date impossible;LinkedIn;31/02/{YEAR} 09:00;;\n"
    )
    data = codecs.BOM_UTF8 + text.encode("utf-8")
    preview = csv_import.parse(ws, data)
    assert (preview.encoding, preview.delimiter) == ("utf-8-sig", ";")
    assert [r.line for r in preview.rows] == [2, 4, 5]  # the quoted line break makes row 2 two lines long
    first, second, third = preview.rows
    assert first.text == "Nouvelle collection ; printemps\nà Lyon"
    assert first.scheduled_at == datetime(YEAR, 5, 4, 9, 0, tzinfo=PARIS)
    assert first.first_comment == "#maison"
    assert second.channel_names == ["LinkedIn"]
    assert second.scheduled_at == datetime(YEAR, 5, 5, 18, 30, tzinfo=PARIS)
    assert third.errors == [("time", "this date does not exist")]
    report = csv_import.run(ws, author, data)
    assert report.created == 2
    assert PostTarget.objects.get(channel=chans["x"]).first_comment == "#maison"


def test_local_times_on_dst_days_land_on_the_right_instant_with_a_warning_when_shifted(ws, chans, author):
    data = (
        "text,channels,time\n"
        f"Avant,X Maison,{SPRING.isoformat()} 01:30\n"
        f"Trou,X Maison,{SPRING.isoformat()} 02:30\n"
        f"Après,X Maison,{SPRING.isoformat()} 09:00\n"
        f"Double,X Maison,{AUTUMN.isoformat()} 02:30\n"
        f"Hiver,X Maison,{AUTUMN.isoformat()} 09:00\n"
    ).encode()
    rows = csv_import.parse(ws, data).rows
    utc = [r.scheduled_at.astimezone(UTC).strftime("%H:%M") for r in rows]
    # 01:30 CET=00:30Z; 02:30 does not exist → 03:30 CEST=01:30Z; 09:00 CEST=07:00Z;
    # 02:30 twice in autumn → the first (CEST)=00:30Z; 09:00 CET=08:00Z.
    assert utc == ["00:30", "01:30", "07:00", "00:30", "08:00"]
    assert [len(rows[n].warnings) for n in (0, 2, 4)] == [0, 0, 0]
    assert "03:30" in rows[1].warnings[0][1]
    assert "twice" in rows[3].warnings[0][1]
    assert csv_import.run(ws, author, data).created == 5


def test_importing_the_same_file_again_creates_nothing_new(ws, chans, author):
    data = (
        "text,channels,time\n"
        f"Un,X Maison,{YEAR}-06-01T09:00:00+02:00\n"
        f"Deux,LinkedIn,{YEAR}-06-02 09:00\n"
        f"Un,X Maison,{YEAR}-06-01 09:00\n"  # the same row written the other way: a duplicate
    ).encode()
    first = csv_import.run(ws, author, data)
    assert (first.created, first.duplicates) == (2, 1)
    again = csv_import.run(ws, author, data)
    assert (again.created, again.duplicates, again.errors) == (0, 3, [])
    assert Post.objects.filter(workspace=ws).count() == 2


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (codecs.BOM_UTF8 + b"\r\n", "empty"),
        (b"Hello,X Maison,2030-01-01 09:00\n", "Missing column"),
        (b"text;time\nHi;2030-01-01 09:00\n", "channels"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV"),
        (b"text,channels,text\na,b,c\n", "twice"),
    ],
)
def test_a_file_that_is_not_an_importable_csv_gets_one_clear_file_error(ws, chans, author, data, words):
    report = csv_import.run(ws, author, data)
    assert report.file_error is not None
    assert words in report.file_error
    assert (report.created, report.errors) == (0, [])
    assert csv_import.parse(ws, data).file_error == report.file_error


def test_a_windows_1252_file_is_read_with_a_note(ws, chans, author):
    data = f"text;channels;time\nCrème brûlée à 9 h;LinkedIn;{YEAR}-06-03 09:00\n".encode("cp1252")
    report = csv_import.run(ws, author, data)
    assert report.created == 1
    assert "Windows-1252" in report.notes[0]
    assert Post.objects.get().text == "Crème brûlée à 9 h"


def test_channels_are_found_by_name_handle_or_id_and_ambiguity_is_an_error(ws, chans, author, make_channel):
    make_channel(ws=ws, name="Twin")
    make_channel(ws=ws, name="twin")
    data = (
        "text,channels,time\n"
        f"A,{chans['x'].id};@maison-li,{YEAR}-06-04 09:00\n"
        f"B,Twin,{YEAR}-06-04 10:00\n"
        f"C,,{YEAR}-06-04 11:00\n"
        f'D,"X Maison, LinkedIn",{YEAR}-06-04 12:00\n'
    ).encode()
    rows = csv_import.parse(ws, data).rows
    assert rows[0].channel_ids == [chans["x"].id, chans["li"].id]
    assert rows[1].errors[0][0] == "channels"
    assert "ids" in rows[1].errors[0][1]
    assert rows[2].errors == [("channels", "no channel given")]
    assert rows[3].channel_names == ["X Maison", "LinkedIn"]


def test_a_text_over_the_networks_limit_is_a_row_error(ws, chans, author):
    data = f"text,channels,time\n{'a' * 300},X Maison|LinkedIn,{YEAR}-06-05 09:00\n".encode()
    report = csv_import.run(ws, author, data)
    assert report.created == 0
    assert [(e.line, e.field) for e in report.errors] == [(2, "text")]
    assert "X Maison" in report.errors[0].message
    assert "280" in report.errors[0].message


def test_a_media_url_is_recorded_for_the_engine_to_fetch(ws, chans, author):
    data = (
        "text,channels,time,media_url\n"
        f"Photo,LinkedIn,{YEAR}-06-06 09:00,https://cdn.maison.example/printemps.jpg\n"
        f"Pas une URL,LinkedIn,{YEAR}-06-06 10:00,printemps.jpg\n"
    ).encode()
    report = csv_import.run(ws, author, data)
    assert report.created == 1
    assert [(e.line, e.field) for e in report.errors] == [(3, "media_url")]
    media = Media.objects.get()
    assert (media.source_url, media.content_type, media.size) == (
        "https://cdn.maison.example/printemps.jpg",
        "image/jpeg",
        0,
    )
    assert list(PostTarget.objects.get().media.all()) == [media]


def test_campaign_and_pillar_are_matched_by_name(ws, chans, author):
    campaign = Campaign.objects.create(workspace=ws, name="Soldes d'été")
    pillar = Pillar.objects.create(workspace=ws, name="Savoir-faire")
    data = (
        "text,channels,time,campaign,pillar\n"
        f"A,LinkedIn,{YEAR}-06-07 09:00,soldes d'été,SAVOIR-FAIRE\n"
        f"B,LinkedIn,{YEAR}-06-07 10:00,Noël,\n"
    ).encode()
    report = csv_import.run(ws, author, data)
    assert report.created == 1
    post = Post.objects.get()
    assert (post.campaign_id, post.pillar_id) == (campaign.id, pillar.id)
    assert [(e.line, e.field) for e in report.errors] == [(3, "campaign")]


def test_a_row_with_too_many_cells_is_an_error_but_trailing_empty_cells_are_fine(ws, chans, author):
    data = (
        "text,channels,time\n"
        f"Bonjour, le monde,LinkedIn,{YEAR}-06-08 09:00\n"
        f"Fine,LinkedIn,{YEAR}-06-08 10:00,,,\n"
    ).encode()
    report = csv_import.run(ws, author, data)
    assert report.created == 1
    assert {(e.line, e.field) for e in report.errors} >= {(2, "row")}


def test_a_rule_of_the_services_becomes_a_row_error(ws, chans, author):
    chans["li"].daily_cap = 1
    chans["li"].save()
    data = (
        f"text,channels,time\nMatin,LinkedIn,{YEAR}-06-09 09:00\nSoir,LinkedIn,{YEAR}-06-09 18:00\n"
    ).encode()
    report = csv_import.run(ws, author, data)
    assert report.created == 1
    assert [(e.line, e.field) for e in report.errors] == [(3, "time")]
    assert "1 posts a day" in report.errors[0].message or "a day" in report.errors[0].message


def test_a_dry_run_writes_nothing(ws, chans, author):
    data = f"text,channels,time,media_url\nA,LinkedIn,{YEAR}-06-10 09:00,https://cdn.example/a.png\n".encode()
    report = csv_import.run(ws, author, data, dry_run=True)
    assert (report.created, report.dry_run) == (1, True)
    assert Post.objects.count() == Media.objects.count() == 0


class _Pipe(io.RawIOBase):
    """A non-seekable byte stream, like stdin."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_large_file_is_streamed_with_progress_even_from_a_pipe(ws, chans, author):
    lines = ["text,channels,time"] + [
        f"Post {n},LinkedIn,{YEAR}-07-{1 + n % 28:02d} {8 + n % 12:02d}:{n % 60:02d}" for n in range(400)
    ]
    data = ("\n".join(lines) + "\n").encode()
    seen: list[int] = []
    report = csv_import.run(ws, author, io.BufferedReader(_Pipe(data)), dry_run=True, progress=seen.append)
    assert report.created + report.duplicates == 400
    assert seen == sorted(seen)
    assert seen[-1] == len(data)
    path_report = csv_import.run(ws, author, io.BytesIO(data), dry_run=True)
    assert path_report.created == report.created


def test_an_excel_sep_hint_line_is_honoured_and_lines_counted_after_it(ws, chans, author):
    data = f"sep=;\ntext;channels;time\nA;LinkedIn;{YEAR}-06-11 09:00\nB;Nope;{YEAR}-06-11 10:00\n".encode()
    report = csv_import.run(ws, author, data)
    assert report.created == 1
    assert [(e.line, e.field) for e in report.errors] == [(4, "channels")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"{YEAR}-03-01T09:00:00+01:00", datetime(YEAR, 3, 1, 8, 0, tzinfo=UTC)),
        (f"{YEAR}-03-01T08:00:00Z", datetime(YEAR, 3, 1, 8, 0, tzinfo=UTC)),
        (f"{YEAR}-03-01 09:00", datetime(YEAR, 3, 1, 8, 0, tzinfo=UTC)),
        (f"{YEAR}/03/01 09:00:30", datetime(YEAR, 3, 1, 8, 0, 30, tzinfo=UTC)),
        (f"01.03.{YEAR} 09:00", datetime(YEAR, 3, 1, 8, 0, tzinfo=UTC)),
        (f"1/3/{YEAR} 9h00", datetime(YEAR, 3, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_time_formats_are_understood(value, expected):
    assert csv_import.parse_time(value, PARIS)[0] == expected


@pytest.mark.parametrize(
    "value", ["tomorrow", f"{YEAR}-03-01", "13/13/2030 09:00", "9999-12-31T23:59:59-12:00"]
)
def test_unreadable_times_are_refused_with_a_reason(value):
    with pytest.raises(ValueError, match=r"\w"):
        csv_import.parse_time(value, PARIS)
