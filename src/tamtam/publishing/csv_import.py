"""Bulk scheduling from a CSV file (a spreadsheet export): one post per row.

Columns (header on the first line, any order, case-insensitive; French names accepted): `text`,
`channels` (names or ids separated by `|` or `;`), `time` (ISO 8601 with an offset, or the local
wall-clock time `YYYY-MM-DD HH:MM` / `DD/MM/YYYY HH:MM` in the workspace's time zone), and optionally
`media_url`, `campaign`, `link`, `first_comment`, `pillar`.

The file is read as a stream: UTF-8 with or without a BOM, else Windows-1252 (what Excel writes by
default) with a note; the delimiter (`,` `;` or tab) is chosen from the header. Each row is checked on
its own: a bad row is reported with its physical line number and the reason, and the good rows are
imported. Every row carries `import_key`, a hash of its normalised content, so importing the same
file twice creates nothing new.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import mimetypes
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from pathlib import PurePosixPath
from typing import IO, Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tamtam.accounts.models import Workspace
from tamtam.channels.models import Channel
from tamtam.lib import timeutil
from tamtam.lib.errors import Conflict, InvalidInput
from tamtam.publishing import services
from tamtam.publishing.csv_format import COLUMNS, MAX_CELL, FileError, detect_encoding, parse_time
from tamtam.publishing.csv_format import header as _header
from tamtam.publishing.csv_format import normalise_header as _normalise_header
from tamtam.publishing.csv_format import pick_delimiter as _pick_delimiter
from tamtam.publishing.csv_format import seekable as _seekable
from tamtam.publishing.models import Media, Post, PostSource
from tamtam.publishing.services import PostInput, VariantInput
from tamtam.strategy.models import Campaign, Pillar

# The format half (columns, encodings, times) lives in csv_format; callers keep importing it from here.
__all__ = [
    "COLUMNS",
    "FileError",
    "ImportPreview",
    "ImportReport",
    "RowError",
    "RowResult",
    "check_row",
    "create_row",
    "detect_encoding",
    "iter_rows",
    "parse",
    "parse_time",
    "run",
]

MAX_LINK = 2000
_url = URLValidator(schemes=["http", "https"])

_CHANNEL_SPLIT = re.compile(r"[|;]")

Progress = Callable[[int], None]


@dataclass
class RowResult:
    line: int  # physical line in the file where the row starts (the header is line 1)
    ok: bool = True
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    channel_names: list[str] = field(default_factory=list)
    channel_ids: list[int] = field(default_factory=list)
    scheduled_at: datetime | None = None
    key: str = ""
    duplicate: bool = False  # already imported (this file or an earlier one)
    link: str = ""
    media_url: str = ""
    first_comment: str = ""
    campaign_id: int | None = None
    pillar_id: int | None = None

    def fail(self, column: str, reason: str) -> None:
        self.ok = False
        self.errors.append((column, reason))


@dataclass
class ImportPreview:
    rows: list[RowResult] = field(default_factory=list)
    file_error: str | None = None
    encoding: str = ""
    delimiter: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class ImportReport:
    created: int = 0  # with dry_run: how many would be created
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None
    notes: list[str] = field(default_factory=list)
    post_ids: list[int] = field(default_factory=list)
    dry_run: bool = False

    @property
    def failed_lines(self) -> int:
        return len({e.line for e in self.errors})


# --- one row --------------------------------------------------------------------------------------


class _Context:
    """Look-ups of one workspace, cached for the whole file."""

    def __init__(self, workspace: Workspace, now: datetime) -> None:
        self.workspace = workspace
        self.tz = workspace.tz
        self.now = now
        self.channels = list(Channel.objects.filter(workspace=workspace))
        self.by_id = {c.id: c for c in self.channels}
        self.by_name: dict[str, list[Channel]] = {}
        for channel in self.channels:
            for label in {_fold(channel.name), _fold(channel.handle.lstrip("@"))} - {""}:
                self.by_name.setdefault(label, []).append(channel)
        self.campaigns = {_fold(c.name): c.id for c in Campaign.objects.filter(workspace=workspace)}
        self.pillars = {_fold(p.name): p.id for p in Pillar.objects.filter(workspace=workspace)}
        self.seen: set[str] = set()
        self.check_variant = _check_variant()


def _fold(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


def _check_variant() -> Callable[..., Any] | None:
    try:
        return getattr(import_module("tamtam.publishing.checks"), "check_variant", None)
    except ImportError:  # the checks module ships later in some branches
        return None


def _valid_url(value: str) -> bool:
    if len(value) > MAX_LINK:
        return False
    try:
        _url(value)
    except ValidationError:
        return False
    return True


def _channels(row: RowResult, cell: str, ctx: _Context) -> list[Channel]:
    found: list[Channel] = []
    names: list[str] = []
    for name in (n.strip() for n in _CHANNEL_SPLIT.split(cell) if n.strip()):
        # "X, LinkedIn" in one quoted cell: commas separate too, unless a channel is really named so.
        known = name.isdigit() or _fold(name.lstrip("@")) in ctx.by_name
        parts = [name] if known or "," not in name else name.split(",")
        names.extend(p.strip() for p in parts if p.strip())
    if not names:
        row.fail("channels", _("no channel given"))
    for name in names:
        if name.isdigit() and int(name) in ctx.by_id:
            channel: Channel | None = ctx.by_id[int(name)]
        else:
            matches = ctx.by_name.get(_fold(name.lstrip("@")), [])
            if len(matches) > 1:
                ids = ", ".join(str(c.id) for c in matches)
                row.fail(
                    "channels",
                    _('several channels are called "%(name)s"; use their ids (%(ids)s)')
                    % {"name": name, "ids": ids},
                )
                continue
            channel = matches[0] if matches else None
        if channel is None:
            row.fail("channels", _('unknown channel "%(name)s" in this workspace') % {"name": name})
        elif channel not in found:
            found.append(channel)
    row.channel_names = [c.name for c in found]
    row.channel_ids = [c.id for c in found]
    return found


def _network_key(channel: Channel) -> str:
    return str(channel.options.get("flavor") or "") if channel.network == "sandbox" else channel.network


def _check_content(row: RowResult, channels: list[Channel], ctx: _Context) -> None:
    if ctx.check_variant is None:
        return
    from tamtam.publishing.checks import MediaInfo

    media = []
    guessed = mimetypes.guess_type(urlsplit(row.media_url).path)[0] if row.media_url else None
    if guessed:
        name = PurePosixPath(urlsplit(row.media_url).path).name
        media = [MediaInfo(content_type=guessed, size=0, name=name)]
    column = {"text": "text", "link": "link", "first_comment": "first_comment"}
    for channel in channels:
        key = _network_key(channel)
        if not key:
            continue
        try:
            problems = ctx.check_variant(key, row.text, row.link, media, row.first_comment, spelling=False)
        except KeyError:  # a network without published limits: nothing to check against
            continue
        for problem in problems:
            if problem.severity != "error":
                continue
            if row.media_url and not media and problem.field.startswith("media"):
                continue  # the file's type is known only once the engine fetches it
            row.fail(column.get(problem.field, "media_url"), f"{channel.name}: {problem.message}")


def _row_key(row: RowResult) -> str:
    assert row.scheduled_at is not None
    text = unicodedata.normalize("NFC", row.text.replace("\r\n", "\n")).strip()
    parts = [
        text,
        sorted(row.channel_ids),
        row.scheduled_at.astimezone(timeutil.zone("UTC")).isoformat(),
        row.media_url,
        row.link,
        row.campaign_id,
        row.pillar_id,
        row.first_comment.strip(),
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def check_row(line: int, values: dict[str, str], ctx: _Context) -> RowResult:
    row = RowResult(line=line, text=values.get("text", "").replace("\r\n", "\n").strip())
    if not row.text:
        row.fail("text", _("the text is empty"))
    channels = _channels(row, values.get("channels", ""), ctx)
    when = values.get("time", "").strip()
    if not when:
        row.fail("time", _("no time given"))
    else:
        try:
            row.scheduled_at, warning = parse_time(when, ctx.tz)
        except ValueError as exc:
            row.fail("time", str(exc))
        else:
            if warning:
                row.warnings.append(("time", warning))
            if row.scheduled_at <= ctx.now:
                row.fail("time", _("this time is in the past"))
    for column in ("link", "media_url"):
        value = values.get(column, "").strip()
        if value and not _valid_url(value):
            row.fail(column, _("not a web address (it must start with http:// or https://)"))
        setattr(row, column, value)
    row.first_comment = values.get("first_comment", "").strip()
    for column, known in (("campaign", ctx.campaigns), ("pillar", ctx.pillars)):
        name = values.get(column, "").strip()
        if name and _fold(name) not in known:
            message = _('unknown %(what)s "%(name)s"; create it first') % {"what": column, "name": name}
            row.fail(column, message)
        elif name:
            setattr(row, f"{column}_id", known[_fold(name)])
    if row.ok:
        _check_content(row, channels, ctx)
    if row.ok:
        row.key = _row_key(row)
        row.duplicate = (
            row.key in ctx.seen or Post.objects.filter(workspace=ctx.workspace, import_key=row.key).exists()
        )
        ctx.seen.add(row.key)
    return row


def iter_rows(
    workspace: Workspace,
    source: bytes | IO[bytes],
    *,
    notes: list[str] | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    meta: dict[str, str] | None = None,
) -> Iterator[RowResult]:
    """Check the rows one at a time, as the file is read. Raises FileError before the first row.

    `meta` receives the encoding and the delimiter found."""
    notes = notes if notes is not None else []
    meta = meta if meta is not None else {}
    stream = _seekable(source)
    meta["encoding"] = encoding = detect_encoding(stream, notes)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
    try:
        yield from _rows(text, stream, _Context(workspace, now or timezone.now()), notes, progress, meta)
    finally:
        text.detach()  # the caller owns the byte stream; closing it is theirs to do


def _rows(
    text: io.TextIOWrapper,
    raw: IO[bytes],
    ctx: _Context,
    notes: list[str],
    progress: Progress | None,
    meta: dict[str, str],
) -> Iterator[RowResult]:
    lines = iter(text)
    offset = 1
    header_line = next(lines, "")
    hint = re.match(r"^\s*sep=(.)\s*$", header_line)
    if hint:  # Excel's "sep=;" first line
        offset, header_line = 2, next(lines, "")
    delimiter, names = _pick_delimiter(header_line)
    if hint:
        delimiter = hint.group(1)
        names = [_normalise_header(c) for c in next(csv.reader([header_line], delimiter=delimiter), [])]
    columns = _header(names, notes)
    meta["delimiter"] = delimiter
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        line = offset + reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = _("Line %(line)d cannot be read as CSV: %(error)s") % {"line": line, "error": exc}
            raise FileError(message) from None
        if progress is not None:
            progress(raw.tell())
        if not any(c.strip() for c in cells):
            continue
        extra = [c for c in cells[len(names) :] if c.strip()]
        values = {name: cells[index] if index < len(cells) else "" for name, index in columns.items()}
        row = check_row(line, values, ctx)
        if extra:
            row.fail(
                "row",
                _(
                    "%(count)d cells but the header has %(columns)d columns; put text containing "
                    '"%(delimiter)s" between double quotes'
                )
                % {"count": len(cells), "columns": len(names), "delimiter": delimiter},
            )
        yield row


# --- entry points ---------------------------------------------------------------------------------


def parse(workspace: Workspace, data: bytes | IO[bytes], *, now: datetime | None = None) -> ImportPreview:
    """Every row checked, nothing written: what the import would do."""
    preview = ImportPreview()
    meta: dict[str, str] = {}
    try:
        preview.rows = list(iter_rows(workspace, data, notes=preview.notes, now=now, meta=meta))
    except FileError as exc:
        preview.file_error = str(exc)
    preview.encoding, preview.delimiter = meta.get("encoding", ""), meta.get("delimiter", "")
    return preview


# The services name their fields; the CSV user knows the columns.
_COLUMN_OF = {
    "scheduled_at": "time",
    "channel_ids": "channels",
    "text": "text",
    "link": "link",
    "media_ids": "media_url",
    "campaign_id": "campaign",
    "pillar_id": "pillar",
}


def _media_for(workspace: Workspace, url: str) -> Media:
    """A Media row that records where the file is; the engine downloads it when it publishes."""
    existing = Media.objects.filter(workspace=workspace, source_url=url, file="").first()
    if existing is not None:
        return existing
    content_type = mimetypes.guess_type(urlsplit(url).path)[0] or ""
    return Media.objects.create(
        workspace=workspace, file="", content_type=content_type, size=0, source_url=url
    )


def create_row(workspace: Workspace, actor: Any, row: RowResult) -> Post:
    assert row.scheduled_at is not None
    with transaction.atomic():
        media_ids = [_media_for(workspace, row.media_url).id] if row.media_url else []
        variants = [VariantInput(channel_id=cid, first_comment=row.first_comment) for cid in row.channel_ids]
        data = PostInput(
            text=row.text,
            link=row.link,
            channel_ids=row.channel_ids,
            media_ids=media_ids,
            variants=variants if row.first_comment else [],
            campaign_id=row.campaign_id,
            pillar_id=row.pillar_id,
        )
        post = services.create_post(workspace, actor, data, source=PostSource.CSV, import_key=row.key)
        services.schedule(post, actor, row.scheduled_at)
    return post


def run(
    workspace: Workspace,
    actor: Any,
    data: bytes | IO[bytes],
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the good rows (each in its own transaction), report the others by line; with `dry_run`
    nothing is written and `created` counts what would be."""
    report = ImportReport(dry_run=dry_run)
    try:
        for row in iter_rows(workspace, data, notes=report.notes, now=now, progress=progress):
            if not row.ok:
                report.errors.extend(RowError(row.line, column, reason) for column, reason in row.errors)
            elif row.duplicate:
                report.duplicates += 1
            elif dry_run:
                report.created += 1
            else:
                _import(workspace, actor, row, report)
    except FileError as exc:
        report.file_error = str(exc)
    return report


def _import(workspace: Workspace, actor: Any, row: RowResult, report: ImportReport) -> None:
    try:
        post = create_row(workspace, actor, row)
    except IntegrityError:
        report.duplicates += 1  # imported meanwhile by a concurrent run of the same file
    except InvalidInput as exc:
        report.errors.append(RowError(row.line, _COLUMN_OF.get(exc.field, exc.field), str(exc.message)))
    except Conflict as exc:
        report.errors.append(RowError(row.line, "row", str(exc.message)))
    else:
        report.created += 1
        report.post_ids.append(post.pk)


__all__ = [
    "FileError",
    "ImportPreview",
    "ImportReport",
    "RowError",
    "RowResult",
    "iter_rows",
    "parse",
    "parse_time",
    "run",
]
