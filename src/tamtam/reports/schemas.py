"""API schemas of reports: definitions, their content for a period, schedules and share links."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from tamtam.accounts.schemas import Text
from tamtam.reports.models import Frequency, PeriodKind, Report, ReportSchedule, ReportShare
from tamtam.reports.services import Built
from tamtam.strategy.schemas import Day


class ReportIn(Schema):
    name: Text = Field(..., min_length=1, max_length=160)
    sections: list[str] = Field(
        ..., min_length=1, max_length=20, description="Keys from GET …/reports/sections."
    )
    period: PeriodKind = PeriodKind.LAST_30_DAYS
    start: Day | None = Field(None, description="Custom period only.")
    end: Day | None = None
    compare_previous: bool = True


class ReportPatch(Schema):
    name: Text | None = Field(None, min_length=1, max_length=160)
    sections: list[str] | None = Field(None, min_length=1, max_length=20)
    period: PeriodKind | None = None
    start: Day | None = None
    end: Day | None = None
    compare_previous: bool | None = None


class ReportOut(Schema):
    id: int
    name: str
    sections: list[str]
    period: str
    start: date | None
    end: date | None
    compare_previous: bool


def report_out(r: Report) -> dict[str, Any]:
    return {
        "id": r.pk,
        "name": r.name,
        "sections": list(r.sections),
        "period": r.period,
        "start": r.start,
        "end": r.end,
        "compare_previous": r.compare_previous,
    }


class SectionKindOut(Schema):
    key: str
    label: str


class TableOut(Schema):
    title: str
    columns: list[str]
    rows: list[list[Any]]


class SectionOut(Schema):
    key: str
    title: str
    empty: bool = Field(..., description="Nothing measured in the period: `message` says so.")
    unavailable: bool
    message: str
    notes: list[str]
    tables: list[TableOut]


class ContentOut(Schema):
    title: str
    start: date
    end: date
    empty: bool
    sections: list[SectionOut]


def content_out(built: Built) -> dict[str, Any]:
    return {
        "title": built.title,
        "start": built.start,
        "end": built.end,
        "empty": built.empty,
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "empty": s.empty,
                "unavailable": s.unavailable,
                "message": s.message,
                "notes": s.notes,
                "tables": [{"title": t.title, "columns": t.columns, "rows": t.rows} for t in s.tables],
            }
            for s in built.sections
        ],
    }


class ScheduleIn(Schema):
    frequency: Frequency
    weekday: int = Field(0, ge=0, le=6, description="Weekly: 0 = Monday.")
    day_of_month: int = Field(1, ge=1, le=28, description="Monthly.")
    hour: int = Field(8, ge=0, le=23, description="In the workspace's time zone.")
    recipients: list[str] = Field(..., min_length=1, max_length=50)
    language: str = Field("en", pattern=r"^(en|fr)$")
    attach_pdf: bool = True
    attach_csv: bool = False
    active: bool = True


class ScheduleOut(Schema):
    id: int
    frequency: str
    weekday: int
    day_of_month: int
    hour: int
    recipients: list[str]
    language: str
    attach_pdf: bool
    attach_csv: bool
    state: str
    next_at: datetime | None
    last_sent_at: datetime | None
    last_error: str


def schedule_out(s: ReportSchedule) -> dict[str, Any]:
    return {
        "id": s.pk,
        "frequency": s.frequency,
        "weekday": s.weekday,
        "day_of_month": s.day_of_month,
        "hour": s.hour,
        "recipients": s.recipient_list(),
        "language": s.language,
        "attach_pdf": s.attach_pdf,
        "attach_csv": s.attach_csv,
        "state": s.state,
        "next_at": s.due_at,
        "last_sent_at": s.last_sent_at,
        "last_error": s.last_error,
    }


class ShareIn(Schema):
    label: Text = Field("", max_length=120)
    expires_at: datetime | None = None


class ShareOut(Schema):
    id: int
    label: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    views: int
    url: str | None = Field(None, description="The link, in the creation answer only (never again).")


def share_out(s: ReportShare, url: str | None = None) -> dict[str, Any]:
    return {
        "id": s.pk,
        "label": s.label,
        "prefix": s.prefix,
        "created_at": s.created_at,
        "expires_at": s.expires_at,
        "revoked_at": s.revoked_at,
        "views": s.views,
        "url": url,
    }
