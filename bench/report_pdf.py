"""Monthly PDF report benchmark: how long from "give me the PDF" to the bytes?

    .venv/bin/python bench/report_pdf.py            # 5 runs
    .venv/bin/python bench/report_pdf.py --runs 10

What runs: a fresh SQLite database (migrated) in a temporary directory with one workspace, 5 channels,
60 published posts and 31 days of analytics rollups for each (post and channel days), a strategy
(4 objectives, 3 pillars, 6 budget lines), inbox conversations and listening mentions; then a report
holding every section for that month, built (queries), rendered to HTML (SVG charts) and printed to
PDF by the warm headless Chromium (Playwright), exactly as the PDF link and the e-mail do it. Printed:
each stage's median and worst time, the page count, against the target (3 s) and against a named
baseline: one `chromium --print-to-pdf` run per PDF (the browser started for each PDF).

Also printed: the CPU time each stage costs (this process, plus the Playwright driver and Chromium
processes under it, read from /proc), so that a run on a loaded machine can be told apart from a slow
report: wall time = CPU time + waiting for a core.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
TARGET_S = 3.0


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its live descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    mine, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in mine:
                mine.add(pid)
                frontier.append(pid)
    return sum(times.get(pid, 0.0) for pid in mine)


def setup_django(tmp: Path) -> None:
    os.environ["TAMTAM_DATA_DIR"] = str(tmp)
    os.environ["TAMTAM_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tamtam.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def seed() -> object:
    from django.utils import timezone

    from tamtam.accounts.models import Agency, Workspace
    from tamtam.analytics.models import ChannelDaily, PostDaily
    from tamtam.channels.models import Channel
    from tamtam.inbox.models import Conversation
    from tamtam.publishing.models import Post, PostTarget
    from tamtam.reports import sections
    from tamtam.reports.models import Report
    from tamtam.strategy.models import BudgetLine, Objective, Pillar

    agency = Agency.objects.create(name="Bench agency", slug="bench")
    ws = Workspace.objects.create(agency=agency, name="Bench brand", slug="bench", time_zone="Europe/Paris")
    today = timezone.now().date()
    first = today - timedelta(days=30)
    channels = [
        Channel.objects.create(workspace=ws, network="sandbox", name=f"Channel {i}", handle=f"@c{i}")
        for i in range(5)
    ]
    pillars = [
        Pillar.objects.create(workspace=ws, name=n, target_share=s)
        for n, s in (("Tips", 50), ("News", 30), ("Offers", 20))
    ]
    post_days, channel_days = [], []
    for n in range(60):
        channel = channels[n % 5]
        post = Post.objects.create(
            workspace=ws, text=f"Post {n}: conseils et nouveautés", pillar=pillars[n % 3]
        )
        target = PostTarget.objects.create(
            post=post,
            channel=channel,
            workspace=ws,
            state="published",
            published_at=timezone.now() - timedelta(days=n % 30),
        )
        for d in range(31):
            post_days.append(
                PostDaily(
                    target=target,
                    workspace=ws,
                    channel=channel,
                    day=first + timedelta(days=d),
                    impressions=800 + 13 * n + d,
                    engagements=40 + n % 7,
                    rate_basis=800 + 13 * n + d,
                )
            )
    PostDaily.objects.bulk_create(post_days)
    # The channel days are their posts' days added up, as rollups.rebuild_channel_days leaves them.
    sums: dict[tuple[int, object], list[PostDaily]] = {}
    for row in post_days:
        sums.setdefault((row.channel_id, row.day), []).append(row)
    for channel in channels:
        for d in range(31):
            rows = sums.get((channel.pk, first + timedelta(days=d)), [])
            channel_days.append(
                ChannelDaily(
                    workspace=ws,
                    channel=channel,
                    day=first + timedelta(days=d),
                    impressions=sum(r.impressions for r in rows),
                    engagements=sum(r.engagements for r in rows),
                    rate_basis=sum(r.rate_basis for r in rows),
                    post_rows=len(rows),
                    posts_published=2,
                    followers=5000 + 3 * d,
                )
            )
    ChannelDaily.objects.bulk_create(channel_days)
    for i in range(40):
        Conversation.objects.create(
            workspace=ws,
            channel=channels[i % 5],
            kind="thread",
            key=f"t{i}",
            first_inbound_at=timezone.now() - timedelta(days=i % 30, hours=2),
            first_response_at=timezone.now() - timedelta(days=i % 30, hours=1),
        )
    for metric, target in (
        ("impressions", 900000),
        ("engagements", 60000),
        ("followers", 30000),
        ("posts_published", 80),
    ):
        Objective.objects.create(
            workspace=ws,
            name=f"Reach {metric}",
            kind="awareness",
            metric=metric,
            target=Decimal(target),
            starts_on=first,
            ends_on=today + timedelta(days=30),
        )
    for i, category in enumerate(("content", "paid", "tools", "contests", "influencers", "other")):
        BudgetLine.objects.create(
            workspace=ws,
            category=category,
            label=category,
            planned_amount=Decimal(1000 + i),
            actual_amount=Decimal(600 + i),
            currency="EUR",
            starts_on=first,
            ends_on=today,
        )
    return Report.objects.create(
        workspace=ws,
        name="Monthly report",
        sections=list(sections.SECTIONS),
        period="custom",
        start=first,
        end=today,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tamtam-bench-pdf-") as tmp:
        setup_django(Path(tmp))
        from pypdf import PdfReader

        from tamtam.reports import render, services

        report = seed()
        first = time.perf_counter()
        render.to_pdf(services.build(report))  # the first PDF of a process also starts the browser
        first = time.perf_counter() - first
        stages: dict[str, list[float]] = {"build": [], "html": [], "pdf": [], "total": [], "one-off pdf": []}
        cpu: dict[str, list[float]] = {"build": [], "html": [], "pdf": [], "total": []}
        pages = 0
        for _ in range(args.runs):
            c0, t0 = cpu_seconds(), time.perf_counter()
            built = services.build(report)
            c1, t1 = cpu_seconds(), time.perf_counter()
            document = render.html(built)
            c2, t2 = cpu_seconds(), time.perf_counter()
            pdf = render.to_pdf(built, document)  # warm browser, the HTML above (not rendered twice)
            c3, t3 = cpu_seconds(), time.perf_counter()
            render.html_to_pdf(document)  # baseline: one Chromium started for this PDF alone
            t4 = time.perf_counter()
            for name, value in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t3 - t0, t4 - t3), strict=True):
                stages[name].append(value)
            for name, value in zip(cpu, (c1 - c0, c2 - c1, c3 - c2, c3 - c0), strict=True):
                cpu[name].append(value)
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(f"monthly report, every section, {args.runs} runs, {pages} pages, {len(pdf) // 1024} KiB")
        print(f"  first PDF of the process (starts the browser): {first:.3f} s")
        for name, values in stages.items():
            line = f"  {name:<11} median {statistics.median(values):6.3f} s   worst {max(values):6.3f} s"
            if name in cpu:
                line += f"   CPU time median {statistics.median(cpu[name]):6.3f} s"
            print(line)
        total = statistics.median(stages["total"])
        cold = statistics.median(stages["one-off pdf"])
        verdict = "met" if max(stages["total"]) <= TARGET_S else "NOT met"
        print(
            f"target: total <= {TARGET_S:.1f} s -> {verdict} (median {total:.2f} s, {total / TARGET_S:.0%})"
        )
        print(f"baseline 'one Chromium run per PDF' (chromium --print-to-pdf): {cold:.2f} s")
        print(f"warm browser total vs that baseline: {cold / total:.2f}x faster")


if __name__ == "__main__":
    main()
