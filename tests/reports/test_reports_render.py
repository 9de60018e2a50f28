"""Rendering: HTML, CSV and a real PDF printed by Chromium, read back (pages, text). An empty period
says so instead of showing zeros."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date

import pytest
from pypdf import PdfReader

from tamtam.reports import render, services
from tamtam.reports.render import chromium_path


def test_an_empty_period_says_so(report):
    built = services.build(report, date(2021, 1, 1), date(2021, 1, 31))
    by_key = {s.key: s for s in built.sections}
    assert by_key["pillar_mix"].empty
    assert by_key["engagement"].empty or by_key["engagement"].unavailable
    html = render.html(built)
    assert 'data-testid="section-empty"' in html
    assert "No post was published in this period." in html
    # the budget line overlaps every period: it is a fact, shown as one
    assert not by_key["budget"].empty
    assert "400" in html


def test_a_report_with_nothing_measured_says_it_has_no_figures(report):
    report.sections = ["pillar_mix", "engagement", "sentiment", "response_times"]
    built = services.build(report, date(2021, 1, 1), date(2021, 1, 31))
    assert built.empty
    html = render.html(built)
    assert 'data-testid="report-empty"' in html
    assert "0 %" not in html


def test_csv_has_every_section_and_raw_values(report):
    built = services.build(report)
    rows = list(csv.reader(io.StringIO(render.to_csv(built))))
    assert rows[0][0] == "Monthly report"
    titles = {r[0] for r in rows if len(r) == 1}
    assert {"Budget", "Pillar mix", "Objectives progress"} <= titles
    budget_at = next(i for i, r in enumerate(rows) if r == ["Budget"])
    assert rows[budget_at + 1][:3] == ["Category", "Currency", "Planned"]
    assert rows[budget_at + 2][:4] == ["Paid boosts", "EUR", "1000.00", "400.00"]


@pytest.mark.skipif(not chromium_path().exists(), reason="Chromium is not installed (CI installs it)")
def test_the_pdf_is_printed_with_its_text_and_charts(report, settings):
    built = services.build(report)
    pdf = render.to_pdf(built)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.pages  # a PDF of no page would still start with %PDF
    # NFKC: the PDF's fonts set ligatures ("ﬁ"), which the extracted text keeps.
    text = " ".join(unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in reader.pages)).split())
    # Every section the report holds is printed, not only the first page's.
    missing = [s.title for s in built.sections if " ".join(s.title.split()) not in text]
    assert not missing, missing
    assert "Monthly report" in text
    assert "Budget" in text
    assert "Paid boosts" in text
    assert "Agence Test" in text  # the agency's name brands the report when it has no logo


def test_the_logo_and_colours_brand_the_document(report, workspace):
    from django.core.files.base import ContentFile

    agency = workspace.agency
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    agency.logo.save("logo.png", ContentFile(png), save=False)
    agency.brand_color, agency.accent_color = "#112233", "#445566"
    agency.save()
    html = render.html(services.build(report))
    assert "data:image/png;base64," in html
    assert "#112233" in html
    assert "#445566" in html
