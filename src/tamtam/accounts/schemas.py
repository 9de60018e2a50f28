"""API schemas of accounts, and the small validated types every app's API shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Path, Schema
from pydantic import AfterValidator, AwareDatetime

# Ids are 64-bit in both databases; a bigger number is refused here rather than overflowing the driver.
MAX_ID = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def clean_text(value: str) -> str:
    """Text safe for both databases: PostgreSQL refuses NUL, and a lone surrogate cannot be encoded."""
    if "\x00" in value:
        raise ValueError(_("NUL characters are not allowed"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(_("invalid characters (unpaired surrogates)")) from None
    return value


def _storable_instant(value: datetime) -> datetime:
    # An offset near year 1 or 9999 moves the instant out of range once converted to UTC.
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(_("this date is out of range")) from None


Text = Annotated[str, AfterValidator(clean_text)]
# ISO 8601 *with* an offset; a naive time is refused with a message saying the offset is required.
Instant = Annotated[AwareDatetime, AfterValidator(_storable_instant)]


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


class AgencyOut(Schema):
    id: int
    name: str
    slug: str


class WorkspaceOut(Schema):
    id: int
    name: str
    slug: str
    agency: AgencyOut
    time_zone: str
    language: str
    approval_policy: str
    crisis_mode: bool
    color: str
    role: str = Field(description="The caller's role in this workspace.")
