"""Crisis in a real browser, in French: a bad buzz in the listening stream raises an alert, the
manager opens the incident, turns crisis mode on (scheduled posts paused), then resumes, deciding
about the post whose time passed meanwhile."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "crisis"))

from crisis_helpers import start_evaluator_at, tick

from tamtam.crisis import services
from tamtam.crisis.history import floor_minute
from tamtam.crisis.models import Incident
from tamtam.listening import services as listening
from tamtam.listening.models import MentionCounter
from tamtam.listening.pipeline import Pipeline, RawItem
from tamtam.publishing.models import PostTarget
from tamtam.work import drill


def _bad_buzz(workspace, manager) -> Incident:
    query = listening.save_query(workspace, name="Lumen", expression="lumen")
    services.save_rule(workspace, manager, services.RuleInput(name="Volume", query_id=query.pk))
    now = floor_minute(timezone.now())
    live_from = now - timedelta(minutes=5)
    rows, t = [], now - timedelta(hours=26)
    while t < live_from:
        if t.minute % 3 == 0:
            rows.append(MentionCounter(query=query, bucket_start=t, mentions=1, negative=0))
        t += timedelta(minutes=1)
    MentionCounter.objects.bulk_create(rows)
    start_evaluator_at(live_from - timedelta(minutes=1))
    at = now - timedelta(minutes=2)
    Pipeline(sentiment_backend="lexicon").process(
        [
            RawItem(
                network="sandbox",
                remote_id=f"b{i}",
                text=f"lumen a menti, remboursez #lumengate {i}",
                published_at=at + timedelta(seconds=i),
                author_id=f"a{i % 5}",
                author_handle=f"client{i % 5}",
            )
            for i in range(40)
        ]
    )
    assert "1 alerts" in tick(now + timedelta(seconds=5))
    return Incident.objects.get()


@pytest.mark.django_db(transaction=True)
def test_alert_incident_crisis_mode_pauses_posts_and_resume_in_french(
    page, log_in, workspace, members, make_channel, settings
):
    settings.CRISIS_SETTLE_SECONDS = 0
    workspace.language = "fr"  # stored texts (incident title, timeline) follow the content language
    workspace.save(update_fields=["language"])
    incident = _bad_buzz(workspace, members["manager"])
    soon, later = drill.create_targets(
        [make_channel()], [timezone.now() + timedelta(minutes=30), timezone.now() + timedelta(hours=5)]
    )

    page.goto("/accounts/login/", timeout=180_000)
    log_in("manager", "pw-manager-Secret1")
    page.goto(f"/w/{workspace.id}/crisis/")
    with page.expect_navigation():
        page.select_option("[data-testid=language-form] select", "fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    main = page.locator("main")
    assert "Incidents ouverts" in main.inner_text()
    assert page.locator("[data-testid=nav-crisis-unread]").inner_text().strip() == "1"

    page.click("[data-testid=incident-link]")
    page.wait_for_url(f"**/crisis/incidents/{incident.pk}/")
    assert "Activité inhabituelle sur « Lumen »" in page.locator("[data-testid=incident-title]").inner_text()
    assert "#lumengate" in main.inner_text()

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=crisis-on]")
    page.wait_for_selector("[data-testid=crisis-banner]")
    assert "Le mode crise est actif" in page.locator("[data-testid=crisis-banner]").inner_text()
    assert set(PostTarget.objects.filter(pk__in=[soon, later]).values_list("state", flat=True)) == {"paused"}
    incident.refresh_from_db()
    assert incident.status == "crisis"

    # The first post's time passes during the crisis: the resume asks about it.
    PostTarget.objects.filter(pk=soon).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    page.click("[data-testid=crisis-resume]")
    page.wait_for_selector("[data-testid=past-due]")
    assert "Publications dont l'heure est passée" in main.inner_text()
    page.check(f"[data-testid=decide-now-{soon}]")
    page.click("[data-testid=resume-confirm]")
    page.wait_for_url(f"**/w/{workspace.id}/crisis/")
    assert page.locator("[data-testid=crisis-banner]").count() == 0
    assert "Le mode crise est désactivé" in main.inner_text()
    states = dict(PostTarget.objects.filter(pk__in=[soon, later]).values_list("pk", "state"))
    assert states == {soon: "scheduled", later: "scheduled"}
    assert PostTarget.objects.get(pk=soon).due_at <= timezone.now()
