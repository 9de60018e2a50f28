"""Reading a CSV file of posts: its encoding, delimiter and header, and the times in its cells.

The format half of the bulk import (`csv_import` checks each row against the workspace and imports
it): what a spreadsheet export may look like, and how it is read, without touching the database.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import tempfile
from datetime import datetime
from typing import IO, Any

from django.utils.translation import gettext as _

from tamtam.lib import timeutil

COLUMNS = ("text", "channels", "time", "media_url", "campaign", "link", "first_comment", "pillar")
REQUIRED = ("text", "channels", "time")
# Header names people actually write, in English and French, mapped to ours.
ALIASES = {
    "message": "text",
    "texte": "text",
    "contenu": "text",
    "content": "text",
    "channel": "channels",
    "canal": "channels",
    "canaux": "channels",
    "réseaux": "channels",
    "reseaux": "channels",
    "networks": "channels",
    "date": "time",
    "heure": "time",
    "datetime": "time",
    "date_heure": "time",
    "scheduled_at": "time",
    "when": "time",
    "quand": "time",
    "media": "media_url",
    "média": "media_url",
    "image": "media_url",
    "image_url": "media_url",
    "url_media": "media_url",
    "url_média": "media_url",
    "campagne": "campaign",
    "lien": "link",
    "url": "link",
    "premier_commentaire": "first_comment",
    "commentaire": "first_comment",
    "pilier": "pillar",
}
DELIMITERS = (",", ";", "\t")
CHUNK = 64 * 1024
MAX_CELL = 1_000_000  # characters; csv's default (128 KiB) is below what a long LinkedIn article can need

_LOCAL_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T]+(\d{1,2})[:hH](\d{2})(?::(\d{2}))?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})[ T]+(\d{1,2})[:hH](\d{2})(?::(\d{2}))?$")


class FileError(Exception):
    """The file as a whole cannot be read (empty, not a CSV, header missing): no row is imported."""


def seekable(source: bytes | IO[bytes]) -> IO[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source))
    if source.seekable():
        return source
    # A pipe: spool it (to disk past a few MB) so the encoding check can read it twice.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed by the caller's GC
    shutil.copyfileobj(source, spool)
    spool.seek(0)
    return spool


def detect_encoding(stream: IO[bytes], notes: list[str]) -> str:
    """The file's encoding, reading it once in chunks; leaves the stream at its start."""
    start = stream.tell()
    head = stream.read(CHUNK)
    stream.seek(start)
    if not head.replace(codecs.BOM_UTF8, b"").strip():
        raise FileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        raise FileError(
            _('This is an Excel workbook, not a CSV file: save it as "CSV UTF-8" and import that.')
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    if b"\x00" in head:
        raise FileError(_("This is not a CSV file (it contains binary data)."))
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        encoding = "cp1252"
        notes.append(
            _(
                "The file is not UTF-8; it was read as Windows-1252 (Excel's default). Check the "
                'accented letters, or export as "CSV UTF-8".'
            )
        )
    stream.seek(start)
    return encoding


def normalise_header(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower())
    return ALIASES.get(key, key)


def pick_delimiter(header_line: str) -> tuple[str, list[str]]:
    best: tuple[int, int, str, list[str]] = (-1, -1, ",", [])
    for delimiter in DELIMITERS:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        names = [normalise_header(c) for c in cells]
        known = sum(1 for n in names if n in COLUMNS)
        candidate = (known, header_line.count(delimiter), delimiter, names)
        if candidate[:2] > best[:2]:
            best = candidate
    return best[2], best[3]


def header(names: list[str], notes: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in COLUMNS:
            if name in columns:
                raise FileError(_('The column "%(name)s" appears twice in the header.') % {"name": name})
            columns[name] = index
        elif name:
            notes.append(_('The column "%(name)s" is not used.') % {"name": name})
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise FileError(
            _(
                "Missing column(s): %(missing)s. The first line must be the header, e.g. "
                "text,channels,time,media_url,campaign,link"
            )
            % {"missing": ", ".join(missing)}
        )
    return columns


def parse_time(value: str, tz: Any) -> tuple[datetime, str | None]:
    """An aware instant from an ISO 8601 time with offset or a local wall-clock time in `tz`.

    Returns the instant and, for a local time that DST skips or repeats, a warning saying what was done."""
    value = value.strip()
    local: datetime | None = None
    match = _LOCAL_ISO.match(value)
    if match:
        y, mo, d, h, mi, s = match.groups()
    elif match := _DAY_FIRST.match(value):
        d, mo, y, h, mi, s = match.groups()
    if match:
        try:
            local = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))  # noqa: DTZ001 - wall clock
        except ValueError:
            raise ValueError(_("this date does not exist")) from None
    else:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                _("not a date and time: use 2026-03-29T09:00:00+02:00, 2026-03-29 09:00 or 29/03/2026 09:00")
            ) from None
        if len(value) <= 10:
            raise ValueError(_("a time of day is needed, e.g. 2026-03-29 09:00"))
        if parsed.tzinfo is not None:
            try:
                return parsed.astimezone(tz), None
            except (OverflowError, ValueError):
                raise ValueError(_("this date is out of range")) from None
        local = parsed
    return _place(local, tz)


def _place(local: datetime, tz: Any) -> tuple[datetime, str | None]:
    try:
        instant = timeutil.local_to_utc(local.date(), local.time(), tz)
    except (OverflowError, ValueError):
        raise ValueError(_("this date is out of range")) from None
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    values = {"time": local.strftime("%H:%M"), "day": local.date().isoformat(), "zone": str(tz)}
    if instant.astimezone(tz).replace(tzinfo=None) != local:
        values["moved"] = instant.astimezone(tz).strftime("%H:%M")
        return instant, _(
            "%(time)s does not exist on %(day)s in %(zone)s (the clocks go forward); scheduled at %(moved)s"
        ) % values
    if first.utcoffset() != second.utcoffset():
        return instant, _(
            "%(time)s happens twice on %(day)s in %(zone)s (the clocks go back); the first one was taken"
        ) % values
    return instant, None
