"""The role → capability matrix. Every view and API endpoint asks `can(role, capability)`.

Roles follow the trade: the owner runs the workspace; the manager (social media manager) decides and
approves; the community manager writes, schedules within the rules and answers; the analyst reads;
the client reviews and approves what is sent to them and sees nothing else.
"""

from __future__ import annotations

from enum import StrEnum

from tamtam.accounts.models import Role


class Cap(StrEnum):
    VIEW_CALENDAR = "view_calendar"  # calendar, posts, channels list, status
    COMPOSE = "compose"  # create and edit drafts, submit for review, comment
    SCHEDULE = "schedule"  # schedule, queue, publish now (approval rules still apply)
    APPROVE = "approve"  # the manager's approval step
    CLIENT_REVIEW = "client_review"  # the client's approval step, and only the posts sent for it
    DELETE_POST = "delete_post"
    RETRY = "retry"  # retry a failed target, resolve an unconfirmed one
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_WORKSPACE = "manage_workspace"  # settings, members, approval policy, queues
    VIEW_AUDIT = "view_audit"
    IMPORT = "import"  # CSV import
    VIEW_LISTENING = "view_listening"  # mentions, volume, share of voice, trends, influencers, CSV export
    MANAGE_LISTENING = "manage_listening"  # listening queries, sources, the influencer watch list
    VIEW_CRISIS = "view_crisis"  # crisis alerts, incidents, back-test, post-mortem export
    RESPOND_CRISIS = "respond_crisis"  # work an incident: owner, status, notes, acknowledge, statements
    MANAGE_CRISIS = "manage_crisis"  # alert rules, holding statements, crisis mode on and off
    INBOX_VIEW = "inbox_view"  # the community inbox, its conversations and response metrics
    INBOX_ACT = "inbox_act"  # assign, status, notes, tags, reply, like, hide, spam, bulk
    INBOX_MANAGE = "inbox_manage"  # approve replies, SLA and approval rules, saved replies, contests
    VIEW_STRATEGY = "view_strategy"  # objectives and their progress, personas, pillars, budget
    MANAGE_STRATEGY = "manage_strategy"  # create, edit and delete objectives, personas, pillars, budget lines
    VIEW_REPORTS = "view_reports"  # report definitions and their renderings (HTML, PDF, CSV)
    MANAGE_REPORTS = "manage_reports"  # build, schedule and e-mail reports, share and revoke read-only links
    VIEW_ANALYTICS = "view_analytics"  # dashboards, metrics, best times, links, conversions, ROI
    MANAGE_ANALYTICS = "manage_analytics"  # conversion import, webhook secret and pixel, short links
    EXPORT_DATA = "export_data"  # download everything the workspace holds (GDPR), as JSON
    DELETE_WORKSPACE = "delete_workspace"  # delete the workspace and everything in it, for good


_ALL = frozenset(Cap)

MATRIX: dict[str, frozenset[Cap]] = {
    Role.OWNER: _ALL,
    Role.MANAGER: _ALL - {Cap.MANAGE_WORKSPACE, Cap.CLIENT_REVIEW, Cap.EXPORT_DATA, Cap.DELETE_WORKSPACE},
    Role.COMMUNITY: frozenset(
        {Cap.VIEW_CALENDAR, Cap.COMPOSE, Cap.SCHEDULE, Cap.RETRY, Cap.IMPORT}
        | {Cap.VIEW_LISTENING, Cap.MANAGE_LISTENING}
        | {Cap.INBOX_VIEW, Cap.INBOX_ACT}
        | {Cap.VIEW_STRATEGY, Cap.VIEW_ANALYTICS}
        | {Cap.VIEW_CRISIS, Cap.RESPOND_CRISIS}
    ),
    Role.ANALYST: frozenset(
        {Cap.VIEW_CALENDAR, Cap.VIEW_AUDIT, Cap.VIEW_LISTENING, Cap.INBOX_VIEW}
        | {Cap.VIEW_STRATEGY, Cap.VIEW_REPORTS, Cap.MANAGE_REPORTS}
        | {Cap.VIEW_ANALYTICS, Cap.MANAGE_ANALYTICS}
        | {Cap.VIEW_CRISIS}
    ),
    Role.CLIENT: frozenset({Cap.CLIENT_REVIEW}),
}


def can(role: str | None, cap: Cap) -> bool:
    return role is not None and cap in MATRIX.get(role, frozenset())
