"""Post-mortem of an incident: a Markdown report (what happened, what was done, the alerts and why
they fired, crisis-mode periods) and the timeline as CSV."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from tamtam.crisis.incidents import alert_summary
from tamtam.crisis.models import CrisisPeriod, EventKind, Incident, IncidentStatus


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def markdown(incident: Incident) -> str:
    # Labels first: xgettext does not look inside f-strings.
    l_post_mortem = _("Post-mortem")
    l_workspace = _("Workspace")
    l_status = _("Status")
    l_owner = _("Owner")
    l_opened = _("Opened")
    l_resolved = _("Resolved")
    l_alerts = _("Alerts")
    l_new_terms = _("New terms")
    l_authors = _("Authors")
    l_sentiment = _("Sentiment")
    l_crisis_mode = _("Crisis mode")
    l_timeline = _("Timeline")
    l_time = _("Time")
    l_event = _("Event")
    l_by = _("By")
    l_details = _("Details")
    l_notes = _("Notes")
    alerts = list(incident.alerts.order_by("bucket_start"))
    events = list(incident.events.select_related("actor").order_by("at", "pk"))
    periods = list(CrisisPeriod.objects.filter(incident=incident).order_by("started_at"))
    resolved = f"{incident.resolved_at:%Y-%m-%d %H:%M} UTC" if incident.resolved_at else "—"
    lines = [
        f"# {l_post_mortem}: {_md(incident.title)}",
        "",
        f"- **{l_workspace}:** {_md(incident.workspace.name)}",
        f"- **{l_status}:** {IncidentStatus(incident.status).label}",
        f"- **{l_owner}:** {incident.owner.get_username() if incident.owner else '—'}",
        f"- **{l_opened}:** {incident.opened_at:%Y-%m-%d %H:%M} UTC",
        f"- **{l_resolved}:** {resolved}",
        f"- **{l_alerts}:** {len(alerts)}",
        "",
        f"## {l_alerts}",
        "",
    ]
    for alert in alerts:
        why = alert.explanation or {}
        lines.append(f"### {alert.bucket_start:%Y-%m-%d %H:%M} UTC — {_md(alert.rule_name)}")
        lines.append("")
        lines.append(f"- {alert_summary(alert)}")
        terms = ", ".join(t["term"] for t in why.get("terms", []))
        if terms:
            lines.append(f"- {l_new_terms}: {_md(terms)}")
        authors = ", ".join(f"@{a['handle']} ({a['mentions']})" for a in why.get("authors", []))
        if authors:
            lines.append(f"- {l_authors}: {_md(authors)}")
        mix = why.get("sentiment", {})
        if mix:
            lines.append(f"- {l_sentiment}: " + ", ".join(f"{k} {v}" for k, v in mix.items()))
        for sample in why.get("samples", [])[:3]:
            lines.append(f"  > {_md(sample['text'])}")
        lines.append("")
    if periods:
        lines += [f"## {l_crisis_mode}", ""]
        for period in periods:
            end = f"{period.ended_at:%Y-%m-%d %H:%M}" if period.ended_at else _("still on")
            lines.append(
                f"- {period.started_at:%Y-%m-%d %H:%M} → {end}: "
                + _("%(n)s scheduled posts paused") % {"n": len(period.paused)}
            )
            for item in period.paused:
                outcome = period.outcome.get(str(item["target"]), "")
                lines.append(
                    f"  - {_md(item['channel'])}: {_md(item['text'])} {f'({outcome})' if outcome else ''}"
                )
        lines.append("")
    lines += [
        f"## {l_timeline}",
        "",
        f"| {l_time} (UTC) | {l_event} | {l_by} | {l_details} |",
        "|---|---|---|---|",
    ]
    for ev in events:
        who = ev.actor.get_username() if ev.actor else _("tamtam")
        lines.append(
            f"| {ev.at:%Y-%m-%d %H:%M:%S} | {EventKind(ev.kind).label} | {_md(who)} | {_md(ev.text)} |"
        )
    notes = [ev for ev in events if ev.kind == EventKind.NOTE]
    if notes:
        lines += ["", f"## {l_notes}", ""]
        for ev in notes:
            lines += [
                f"**{ev.at:%Y-%m-%d %H:%M}, {ev.actor.get_username() if ev.actor else '—'}:**",
                "",
                ev.text,
                "",
            ]
    return "\n".join(lines) + "\n"


def timeline_csv(incident: Incident) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time_utc", "kind", "actor", "text"])
    for ev in incident.events.select_related("actor").order_by("at", "pk"):
        text = ev.text
        if text[:1] in ("=", "+", "-", "@"):
            text = "'" + text  # a spreadsheet must not run a note as a formula
        writer.writerow([ev.at.isoformat(), ev.kind, ev.actor.get_username() if ev.actor else "", text])
    return out.getvalue()
