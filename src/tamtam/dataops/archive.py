"""The backup archive: one tar file holding the database snapshot, the media files and a manifest.

Layout (format 1):

    database/tamtam.sqlite3   embedded mode: a consistent copy made with SQLite's online backup API
    database/tamtam.pgdump    scale-out mode: `pg_dump --format=custom` of one exported snapshot
    sandbox/sandbox.sqlite3   the sandbox network's own state, when there is one
    media/<path>              every uploaded file (post images and videos, report logos)
    manifest.json             written last: versions, migrations, engine, row counts, checksums

The manifest's checksums cover every other member, so a truncated or altered archive is refused before
anything is overwritten.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/tamtam.sqlite3"
PGDUMP_MEMBER = "database/tamtam.pgdump"
SANDBOX_MEMBER = "sandbox/sandbox.sqlite3"
MEDIA_PREFIX = "media/"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def tamtam_version() -> str:
    try:
        return metadata.version("tamtam")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def engine() -> str:
    """`sqlite` or `postgresql`: the engine of the default database."""
    name = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if name == "sqlite3":
        return "sqlite"
    if name == "postgresql":
        return "postgresql"
    raise BackupError(_("unsupported database engine %(engine)s") % {"engine": name})


def key_fingerprint() -> str:
    """A short digest of the encryption key: a restore can tell whether channel credentials in the
    backup will still decrypt, without the key itself ever being written into the archive."""
    return hashlib.sha256(b"tamtam-key-fingerprint:" + settings.ENCRYPTION_KEY.encode()).hexdigest()[:16]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Manifest:
    engine: str
    tamtam_version: str = field(default_factory=tamtam_version)
    format: int = FORMAT
    created_at: str = ""
    migrations: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_fingerprint: str = ""
    server_version: str = ""  # PostgreSQL server, or the SQLite library
    dump_tool_version: str = ""  # pg_dump's own version (pg_restore must be at least as new)
    missing_media: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BackupError(_("the archive's manifest is not valid JSON")) from None
        if not isinstance(data, dict) or "engine" not in data:
            raise BackupError(_("the archive's manifest has no database engine"))
        if data.get("format") != FORMAT:
            raise BackupError(
                _("unknown backup format %(format)s (this tamtam reads format %(ours)s)")
                % {"format": data.get("format"), "ours": FORMAT}
            )
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def database_member(self) -> str:
        return SQLITE_MEMBER if self.engine == "sqlite" else PGDUMP_MEMBER

    def applied(self) -> set[tuple[str, str]]:
        return {(app, name) for app, names in self.migrations.items() for name in names}


class ArchiveWriter:
    """Adds files to the tar while recording their size and SHA-256 for the manifest."""

    def __init__(self, fileobj: IO[bytes], manifest: Manifest, *, compress: bool) -> None:
        self.tar = tarfile.open(fileobj=fileobj, mode="w:gz" if compress else "w")  # noqa: SIM115
        self.manifest = manifest

    def add_file(self, path: Path, member: str) -> None:
        # Hashed first, then copied: media files are written once and never changed in place, and
        # the database snapshots are private temporary files, so both reads see the same bytes.
        self.manifest.files[member] = {"sha256": sha256_file(path), "size": path.stat().st_size}
        info = self.tar.gettarinfo(str(path), arcname=member)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o600
        with path.open("rb") as fh:
            self.tar.addfile(info, fh)

    def close(self) -> None:
        raw = self.manifest.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(raw)
        info.mode = 0o600
        self.tar.addfile(info, io.BytesIO(raw))
        self.tar.close()


def read_manifest(path: Path) -> Manifest:
    try:
        with tarfile.open(path) as tar:
            try:
                member = tar.getmember(MANIFEST)
            except KeyError:
                raise BackupError(
                    _("%(path)s has no manifest: not a tamtam backup, or an incomplete one") % {"path": path}
                ) from None
            fh = tar.extractfile(member)
            assert fh is not None
            return Manifest.from_json(fh.read())
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(
            _("%(path)s is not a readable archive: %(reason)s") % {"path": path, "reason": exc}
        ) from None


def safe_member(name: str) -> bool:
    """A member name that stays inside the extraction directory (no absolute path, no `..`)."""
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts


def extract_verified(path: Path, manifest: Manifest, dest: Path) -> Iterator[tuple[str, Path]]:
    """Extract every member the manifest lists into `dest`, checking each checksum; yields
    (member, extracted path). Raises on any missing, extra, unsafe or altered member."""
    seen: set[str] = set()
    with tarfile.open(path) as tar:
        for info in tar:
            if info.name == MANIFEST:
                continue
            expected = manifest.files.get(info.name)
            if expected is None or not info.isfile() or not safe_member(info.name):
                raise BackupError(
                    _("the archive holds %(member)s, which its manifest does not list")
                    % {"member": info.name}
                )
            target = dest / info.name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            src = tar.extractfile(info)
            assert src is not None
            with target.open("wb") as out:
                for chunk in iter(lambda: src.read(CHUNK), b""):  # noqa: B023 — consumed in this iteration
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != expected["sha256"]:
                raise BackupError(
                    _("%(member)s does not match its checksum: the archive is damaged")
                    % {"member": info.name}
                )
            seen.add(info.name)
            yield info.name, target
    missing = sorted(set(manifest.files) - seen)
    if missing:
        raise BackupError(
            _("the archive lacks %(count)s file(s) its manifest lists, e.g. %(member)s: it is incomplete")
            % {"count": len(missing), "member": missing[0]}
        )
