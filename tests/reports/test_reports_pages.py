"""The report builder and its pages: fields named on bad input, PDF/CSV downloads, the read-only
share link (secret shown once, revocable), branding, and what each role may do."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tamtam.reports.models import Report, ReportSchedule, ReportShare


def test_a_manager_builds_a_report(workspace, members, login, strategy):
    client = login(members["manager"])
    response = client.post(
        f"/w/{workspace.pk}/reports/new/",
        {
            "name": "Bilan mensuel",
            "period": "previous_month",
            "sections": ["objectives", "budget", "pillar_mix"],
        },
    )
    assert response.status_code == 302
    report = Report.objects.get(name="Bilan mensuel")
    assert report.sections == ["objectives", "budget", "pillar_mix"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bilan mensuel" in html
    assert 'data-section="budget"' in html


def test_bad_builder_input_names_the_field(workspace, members, login):
    client = login(members["manager"])
    response = client.post(
        f"/w/{workspace.pk}/reports/new/", {"name": "X", "period": "custom", "sections": []}
    )
    assert response.status_code == 400
    assert 'data-testid="sections-error"' in response.content.decode()
    response = client.post(
        f"/w/{workspace.pk}/reports/new/",
        {"name": "X", "period": "custom", "sections": ["budget"], "start": "2026-03-01", "end": "2026-02-01"},
    )
    assert response.status_code == 400
    assert 'data-testid="end-error"' in response.content.decode()
    assert not Report.objects.exists()


def test_csv_download(workspace, members, login, report):
    response = login(members["analyst"]).get(f"/w/{workspace.pk}/reports/{report.pk}/csv/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "Paid boosts" in response.content.decode()


def test_a_schedule_with_a_bad_address_is_refused_by_name(workspace, members, login, report):
    client = login(members["manager"])
    url = f"/w/{workspace.pk}/reports/{report.pk}/schedules/new/"
    data = {
        "frequency": "weekly",
        "weekday": 0,
        "day_of_month": 1,
        "hour": 8,
        "language": "fr",
        "active": "on",
    }
    response = client.post(url, {**data, "recipients": "boss@example.com\nnot-an-address"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="recipients-error"' in html
    assert "not-an-address" in html
    assert not ReportSchedule.objects.exists()
    assert (
        client.post(url, {**data, "recipients": "boss@example.com, client@brand.example"}).status_code == 302
    )
    schedule = ReportSchedule.objects.get()
    assert schedule.recipient_list() == ["boss@example.com", "client@brand.example"]
    assert schedule.due_at is not None
    assert schedule.due_at.astimezone(workspace.tz).weekday() == 0


def test_share_link_shown_once_then_revoked(workspace, members, login, report, client):
    manager = login(members["manager"])
    response = manager.post(f"/w/{workspace.pk}/reports/{report.pk}/shares/new/", {"label": "Client"})
    assert response.status_code == 200
    link = response.context["new_link"]
    assert "/r/rp_" in link
    share = ReportShare.objects.get()
    assert share.token_hash not in link  # only the hash is stored, never the token
    path = link.split("testserver", 1)[1]
    client.logout()
    public = client.get(path)
    assert public.status_code == 200
    assert public["Referrer-Policy"] == "no-referrer"
    assert "Monthly report" in public.content.decode()
    assert client.get(path + "csv/").status_code == 200
    manager = login(members["manager"])
    manager.post(f"/w/{workspace.pk}/reports/{report.pk}/shares/{share.pk}/revoke/")
    client.logout()
    assert client.get(path).status_code == 404
    assert client.get("/r/rp_guessed-token/").status_code == 404


def test_branding_accepts_a_png_and_refuses_an_svg(workspace, members, login):
    client = login(members["owner"])
    url = f"/w/{workspace.pk}/reports/branding/"
    svg = SimpleUploadedFile("logo.svg", b"<svg onload='alert(1)'/>", content_type="image/svg+xml")
    response = client.post(url, {"brand_color": "#112233", "accent_color": "#445566", "logo": svg})
    assert response.status_code == 400
    assert 'data-testid="logo-error"' in response.content.decode()
    png = SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
    assert (
        client.post(url, {"brand_color": "#112233", "accent_color": "#445566", "logo": png}).status_code
        == 302
    )
    workspace.agency.refresh_from_db()
    assert workspace.agency.brand_color == "#112233"
    assert workspace.agency.logo.name.endswith(".png")
    response = client.post(url, {"brand_color": "blue", "accent_color": "#445566"})
    assert 'data-testid="brand_color-error"' in response.content.decode()


def test_roles(workspace, members, login, report):
    base = f"/w/{workspace.pk}/reports/"
    assert login(members["client"]).get(base).status_code == 403
    assert login(members["community"]).get(base).status_code == 403
    assert login(members["analyst"]).get(base).status_code == 200
    assert login(members["analyst"]).get(base + "branding/").status_code == 403
    assert login(members["analyst"]).post(f"{base}{report.pk}/delete/").status_code == 302
    assert not Report.objects.exists()
