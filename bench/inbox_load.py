"""Community inbox benchmark: a 200,000-item inbox answers fast, and ingestion keeps up.

    nice -n 10 .venv/bin/python -u bench/inbox_load.py                  # the issue's size
    nice -n 10 .venv/bin/python -u bench/inbox_load.py --items 20000    # a quick one

What runs:
(a) an inbox of `--items` messages (default 200,000) over `--channels` sandbox channels (default 20),
    in a fresh SQLite file database (WAL mode) — or the database of TAMTAM_DATABASE_URL (PostgreSQL).
    The items are the sandbox audience's own (its generator, called in-process: comments under 90 days
    of posts, DMs, mentions, deletions; French and English; questions, complaints, spam, emoji, RTL,
    long texts) turned into rows by ingestion's own `ingest.build_rows` (language, sentiment, flags,
    priority) and folded into conversations by ingestion's `_absorb`; then the team's work (statuses,
    assignees, first responses, closings). Rows are written with raw executemany in large
    transactions; the search index follows through its triggers (SQLite) or GIN index (PostgreSQL).
(b) the app served on 127.0.0.1 by what `tamtam run` serves with, granian with one process per core
    (`--server`, `--workers`; waitress or gunicorn gthread selectable; bench/httpload.py, 8 threads
    per process) and
    `--clients` concurrent clients (threads, one keep-alive connection each, logged in as a community
    manager: session cookie for the pages, bearer token for the API) each asking in turn, for
    `--seconds`: the default view (`/w/<ws>/inbox/`), a filtered view (unassigned, high priority, one
    channel), a search (two words of the texts, one with an accent), and the same three through
    `/api/workspaces/<ws>/inbox/conversations`; p50/p95/p99 per kind against p95 ≤ 150 ms.
(c) ingestion from the sandbox: `--ingest` new items (comments, mentions, DMs of the simulated
    audience) fetched and stored through the inbox's own fetch work (collect.run_fetch: connector page,
    language + sentiment in batch, flags, threading, cursor) on `--ingest-channels` channels; items
    per second of wall time and CPU seconds per item, with the sandbox generator's own CPU (the
    "network" side) counted apart.

Baselines (named in the output): the issue's targets (p95 ≤ 150 ms, 1,000 items/s); the default
view's SQL with its index refused (SQLite NOT INDEXED); the search as a substring scan of the texts
(what the inbox did before its search index).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from httpload import cycle, fresh_django, load_average, run_load, serve

TARGET_P95_MS = 150.0
TARGET_INGEST_PER_S = 1000.0
SEARCH = "commande reçue"  # two words, an accent: FTS prefix match of "commande" and "recue"
DAYS = 90


# --- (a) the inbox ------------------------------------------------------------------------------------


def _memo_analyse() -> Any:
    """ingest._analyse once per distinct text (the sandbox's texts repeat; the result is the same)."""
    from tamtam.inbox import ingest

    cache: dict[str, tuple[str, Any]] = {}

    def analyse(texts: list[str]) -> tuple[list[str], list[Any]]:
        todo = list({t for t in texts if t not in cache})
        if todo:
            langs, feelings = ingest._analyse(todo)
            cache.update(zip(todo, zip(langs, feelings, strict=True), strict=True))
        return [cache[t][0] for t in texts], [cache[t][1] for t in texts]

    return analyse


def _converters(model: Any, conn: Any) -> tuple[str, list[Any]]:
    """INSERT with every column (explicit ids), and per column how to adapt a value (None: as is)."""
    quote = conn.ops.quote_name
    fields = list(model._meta.concrete_fields)
    convert: list[Any] = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "DateTimeField" and conn.vendor == "sqlite":
            # What Django's SQLite backend stores: naive UTC, str() of the datetime.
            convert.append(lambda v: None if v is None else str(v.astimezone(UTC).replace(tzinfo=None)))
        elif kind == "JSONField":
            convert.append(lambda v, f=f: f.get_db_prep_save(v, conn))
        else:
            convert.append(None)
    names = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    return sql, [(f.attname, c) for f, c in zip(fields, convert, strict=True)]


def _write(model: Any, objs: list[Any], batch: int = 20_000) -> None:
    from django.db import connection, transaction

    sql, columns = _converters(model, connection)
    for start in range(0, len(objs), batch):
        rows = [
            tuple(getattr(o, a) if c is None else c(getattr(o, a)) for a, c in columns)
            for o in objs[start : start + batch]
        ]
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(sql, rows)


def _team_work(conv: Any, rng: random.Random, users: list[Any], now: datetime) -> None:
    """What the team did with a conversation since it came in: assigned, answered, closed."""
    from tamtam.inbox.models import Status

    conv.assignee = rng.choice([None, None, *users])
    recent = now - conv.last_item_at < timedelta(days=3)
    if conv.spam:
        conv.status = Status.CLOSED  # mark_spam closes it
    else:
        weights = [4, 2, 4] if recent else [1, 1, 18]
        conv.status = rng.choices([Status.OPEN, Status.PENDING, Status.CLOSED], weights)[0]
    first_in = conv.first_inbound_at
    if conv.status != Status.OPEN and first_in is not None:
        by = conv.assignee or users[0]
        conv.first_response_at = first_in + timedelta(minutes=rng.randint(2, 600))
        conv.first_responder = by
        conv.unread = 0
        conv.awaiting_since = None
        if conv.status == Status.CLOSED:
            conv.closed_at = max(conv.first_response_at, conv.last_item_at) + timedelta(
                hours=rng.randint(1, 48)
            )
            conv.closed_by = by


def seed(items: int, channels: int) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from tamtam.accounts.models import Agency, Membership, Role, User, Workspace
    from tamtam.channels.models import Channel
    from tamtam.inbox import ingest
    from tamtam.inbox.models import Conversation, ConversationKind, Message
    from tamtam.networks.sandbox.audience import Audience, AudienceConfig, OurPost

    rng = random.Random(7)
    agency = Agency.objects.create(name="Bench", slug="bench")
    ws = Workspace.objects.create(agency=agency, name="Lumen", slug="lumen")
    users = []
    for name, role in [("cm1", Role.COMMUNITY), ("cm2", Role.COMMUNITY), ("boss", Role.MANAGER)]:
        user = User.objects.create_user(name)  # no password: the bench logs in with force_login
        Membership.objects.create(user=user, workspace=ws, role=role)
        users.append(user)
    chans = [
        Channel.objects.create(
            workspace=ws, network="sandbox", name=f"Sandbox {n}", handle=f"@bench{n}", options={"seed": n}
        )
        for n in range(channels)
    ]
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA synchronous = OFF")  # a throw-away benchmark file
    now = timezone.now()
    start_ts = (now - timedelta(days=DAYS)).timestamp()
    analyse = _memo_analyse()
    t0 = time.perf_counter()
    all_convs: list[Conversation] = []
    all_msgs: list[Message] = []
    next_conv = 1
    for n, chan in enumerate(chans):
        target = items // channels + (1 if n < items % channels else 0)
        # Comments (about 8.4 per post: 12 at most, 40-100 % of it) are 3/4 of the items; DMs and
        # mentions an eighth each, spread over the 90 days.
        posts_n = max(1, round(0.75 * target / 8.4))
        spacing = DAYS * 86400 / posts_n
        posts = [OurPost(remote_id=f"p{n}-{k}", created_at=start_ts + k * spacing) for k in range(posts_n)]
        every = DAYS * 86400 / max(1, 0.125 * target)
        audience = Audience(chan.handle, AudienceConfig(seed=n, dm_every_s=every, mention_every_s=every))
        events = sorted(
            audience.events(posts, account_created=start_ts, after=start_ts, now=now.timestamp()),
            key=lambda e: e.position,
        )
        kept: dict[str, Any] = {}
        deleted_at: dict[str, datetime] = {}
        for event in events:
            item = event.item
            if item.deleted:
                if item.remote_id in kept:
                    deleted_at[item.remote_id] = datetime.fromtimestamp(event.at_ms / 1000, tz=UTC)
            elif len(kept) < target:
                kept[item.remote_id] = item
        ready = ingest.build_rows(
            chan,
            list(kept.values()),
            via="poll",
            now=now,
            influencer_followers=10_000,
            blocked=set(),
            analyse=analyse,
        )
        by_key: dict[str, list[Message]] = defaultdict(list)
        for rid, row in ready.rows.items():
            # Polled every couple of minutes: received a little after it was written.
            row.received_at = row.created_at + timedelta(seconds=rng.uniform(5, 120))
            row.deleted_at = deleted_at.get(rid)
            by_key[ready.keys[rid][1]].append(row)
            all_msgs.append(row)
        kinds = {key: kind for kind, key in ready.keys.values()}
        for key, rows in by_key.items():
            rows.sort(key=lambda m: m.created_at)
            kind = kinds[key]
            conv = Conversation(
                id=next_conv,
                workspace_id=ws.pk,
                channel_id=chan.pk,
                kind=kind,
                key=key,
                root_remote_id=key.split(":", 1)[1] if kind == ConversationKind.THREAD else "",
                created_at=rows[0].received_at,
            )
            next_conv += 1
            ingest._absorb(conv, rows)
            _team_work(conv, rng, users, now)
            for row in rows:
                row.conversation_id = conv.pk
            all_convs.append(conv)
    built = time.perf_counter() - t0
    for m_id, row in enumerate(sorted(all_msgs, key=lambda m: m.received_at), start=1):
        row.id = m_id
    _write(Conversation, all_convs)
    _write(Message, all_msgs)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for table in ("inbox_conversation", "inbox_message"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                )
            cur.execute("ANALYZE inbox_conversation")
            cur.execute("ANALYZE inbox_message")
        else:
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("ANALYZE")
    print(
        f"seeded {len(all_msgs):,} items in {len(all_convs):,} conversations over {channels} channels "
        f"in {time.perf_counter() - t0:.1f} s ({built:.1f} s generating and analysing, the rest writing)"
    )
    return {"ws": ws, "user": users[0], "channel": chans[3]}


# --- in-process SQL baselines -------------------------------------------------------------------------


def _median_ms(run: Any, times: int = 5) -> float:
    runs = []
    for _ in range(times):
        t0 = time.perf_counter()
        run()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs)


def sql_baselines(ws_id: int) -> None:
    from django.db import connection
    from django.db.models import Exists, OuterRef, Q

    from tamtam.inbox import services
    from tamtam.inbox.models import Message

    qs = services.conversations(ws_id, None, services.Filters())[:50]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:

        def run(query: str) -> None:
            cur.execute(query, params)
            cur.fetchall()

        indexed = _median_ms(lambda: run(sql))
        print(f"  default view SQL (50 newest open), with its index: median {indexed:.1f} ms")
        if connection.vendor == "sqlite":
            plain = sql.replace('FROM "inbox_conversation"', 'FROM "inbox_conversation" NOT INDEXED', 1)
            scan = _median_ms(lambda: run(plain))
            print(f"  baseline, the same with NOT INDEXED:          median {scan:.1f} ms")
    searched = services.conversations(ws_id, None, services.Filters(q=SEARCH))
    indexed = _median_ms(lambda: (list(searched[:50]), searched.count()))
    # What the inbox did before its index: every word a substring of some message (icontains scan).
    hit = Message.objects.filter(conversation=OuterRef("pk"))
    for word in SEARCH.split():
        hit = hit.filter(Q(text__icontains=word))
    old = services.conversations(ws_id, None, services.Filters()).filter(Exists(hit))
    scan = _median_ms(lambda: (list(old[:50]), old.count()), times=3)
    print(
        f"  search {SEARCH!r} (page + count), search index: median {indexed:.1f} ms; "
        f"baseline substring scan: {scan:.1f} ms ({scan / max(indexed, 0.001):.0f}x slower); "
        f"{searched.count():,} open conversations match"
    )


# --- (b) pages and API under load ---------------------------------------------------------------------


def session_cookie(user: Any) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def report(result: Any, kinds: list[str]) -> bool:
    ok = True
    for kind in kinds:
        values = result.values(kind)
        p95 = result.pct(0.95, kind)
        good = bool(values) and p95 <= TARGET_P95_MS
        ok = ok and good
        verdict = (
            f"{'ok' if good else 'MISSED'} ({p95 / TARGET_P95_MS:.2f}x the {TARGET_P95_MS:.0f} ms target)"
        )
        print(f"  {result.line(kind, kind)}  {verdict}")
    if result.errors:
        ok = False
        print(f"  {len(result.errors)} errors, first: {result.errors[:3]}")
    return ok


# --- (c) ingestion ------------------------------------------------------------------------------------


def ingest(count: int, ws: Any, channels: int) -> float:
    """Items per second through collect.run_fetch from the sandbox audience (fetch + triage + store)."""
    from django.utils import timezone

    from tamtam.channels.models import Channel
    from tamtam.inbox import collect
    from tamtam.inbox.models import InboxFetch, Message
    from tamtam.networks.base import PublishRequest
    from tamtam.networks.sandbox.connector import SandboxConnector
    from tamtam.publishing.engine.ledger import connector_for

    per_post = 100
    hours = 7
    fetches = []
    # `channels` measured channels, then a small warm-up one (fetched first, not timed).
    for c in range(channels + 1):
        target = max(8, count // channels) if c < channels else 200
        # Comments are 3/4 of the items (70 per post on average: 40-100 % of 100), DMs and mentions
        # an eighth each, over the `hours` the audience's clock is moved forward.
        every = hours * 3600 / max(1, 0.125 * target)
        channel = Channel.objects.create(
            workspace=ws,
            network="sandbox",
            name=f"Ingest {c}",
            handle=f"@ingest{c}",
            options={
                "seed": 99 + c,
                "latency_ms": 0,
                "error_rate": 0.0,
                "ambiguous_rate": 0.0,
                "audience_comments_per_post": per_post,
                "audience_dm_every_s": every,
                "audience_mention_every_s": every,
            },
        )
        connector = connector_for(channel)  # also imports every connector once (not timed below)
        for n in range(max(1, round(0.75 * target / 70))):
            connector.publish(PublishRequest(text=f"Post {n}", idempotency_key=f"ingest-{c}-{n}"))
        channel.options = {**channel.options, "audience_clock_offset_s": hours * 3600}
        channel.save(update_fields=["options"])
        collect.ensure_fetches(channel.workspace_id)
        fetches.append(InboxFetch.objects.get(channel=channel))
    generator_cpu = generator_wall = 0.0
    original = SandboxConnector.fetch_inbox

    def timed(self: SandboxConnector, cursor: str = "", limit: int = 100) -> Any:
        nonlocal generator_cpu, generator_wall
        c0, w0 = time.thread_time(), time.perf_counter()
        try:
            return original(self, cursor, limit)
        finally:
            generator_cpu += time.thread_time() - c0
            generator_wall += time.perf_counter() - w0

    # No fetch row is due but the one fetched next: a claim takes every due row, and a row claimed
    # along with another one would not be claimable (so not fetched) on its own turn.
    later = timezone.now() + timedelta(days=1)
    InboxFetch.objects.update(due_at=later)

    def fetch_all(fetch: Any) -> None:
        while True:
            InboxFetch.objects.filter(pk=fetch.pk).update(due_at=timezone.now())
            if collect.claim_due(timezone.now(), 1, "bench") != [fetch.pk]:
                raise SystemExit(f"fetch {fetch.pk} could not be claimed")
            result = collect.run_fetch(fetch.pk, "bench")
            InboxFetch.objects.filter(pk=fetch.pk).update(due_at=later)
            if not result.startswith("ok") or result.startswith("ok: 0 "):
                if not result.startswith("ok"):
                    print("  fetch:", result)
                break

    # A worker is a long-lived process: the first page's one-off costs (imports, the language and
    # sentiment models loaded, regular expressions compiled) are paid once, on a warm-up channel.
    fetch_all(fetches.pop())
    ids = [f.channel_id for f in fetches]
    SandboxConnector.fetch_inbox = timed  # type: ignore[method-assign]
    before = Message.objects.filter(channel_id__in=ids).count()
    cpu0, start = time.process_time(), time.perf_counter()
    for fetch in fetches:
        fetch_all(fetch)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    SandboxConnector.fetch_inbox = original  # type: ignore[method-assign]
    stored = max(1, Message.objects.filter(channel_id__in=ids).count() - before)
    ours_cpu, ours_wall = cpu - generator_cpu, elapsed - generator_wall
    rate = stored / ours_wall
    print(
        f"  ingested {stored:,} items on {channels} channels in {elapsed:.1f} s of wall time, "
        f"{generator_wall:.1f} s of it in the sandbox generator (the network side)"
    )
    print(
        f"  inbox side: {rate:,.0f} items/s of wall time ({rate / TARGET_INGEST_PER_S:.2f}x the 1,000/s "
        f"target); CPU {ours_cpu / stored * 1000:.2f} ms per item = {stored / ours_cpu:,.0f} items per "
        f"CPU-second (generator: {generator_cpu / stored * 1000:.2f} ms per item); "
        f"page size {collect.PAGE_SIZE}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ingest", type=int, default=20_000)
    parser.add_argument("--ingest-channels", type=int, default=10)
    parser.add_argument("--skip-load", action="store_true", help="seed, baselines and ingestion only")
    parser.add_argument(
        "--server",
        choices=["granian", "waitress", "gunicorn"],
        default="granian",
        help="granian (what `tamtam run` serves with), waitress (one process), gunicorn gthread (scale-out)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="granian or gunicorn processes (default: one per CPU core, as `tamtam run --web-workers`)",
    )
    parser.add_argument("--threads", type=int, default=8, help="threads per server process")
    args = parser.parse_args()
    if args.workers is None:
        # As `tamtam run`'s default_web_workers (not imported: that module needs Django set up).
        args.workers = max(
            1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        )
    with tempfile.TemporaryDirectory(prefix="tamtam-inbox-bench-") as tmpdir:
        tmp = Path(tmpdir)
        os.environ["TAMTAM_SANDBOX_DB"] = str(tmp / "sandbox.sqlite3")
        fresh_django(tmp, "inbox-bench")
        from django.db import connection

        from tamtam.accounts.models import ApiToken

        print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {load_average()}")
        world = seed(args.items, args.channels)
        ws, user, channel = world["ws"], world["user"], world["channel"]
        print(f"database: {connection.vendor}; {os.cpu_count()} CPUs; load average {load_average()}")
        sql_baselines(ws.pk)
        ok = True
        if not args.skip_load:
            cookie = session_cookie(user)
            _token, raw = ApiToken.issue(user, "bench")
            connection.close()
            w, c = ws.pk, channel.pk
            filtered = f"view=unassigned&priority=high&channel={c}"
            q = quote_plus(SEARCH)
            paths = {
                "page: default view": f"/w/{w}/inbox/",
                "page: filtered view": f"/w/{w}/inbox/?{filtered}",
                "page: search": f"/w/{w}/inbox/?q={q}",
                "api: default view": f"/api/workspaces/{w}/inbox/conversations",
                "api: filtered view": f"/api/workspaces/{w}/inbox/conversations?{filtered}",
                "api: search": f"/api/workspaces/{w}/inbox/conversations?q={q}",
            }
            headers = {"Cookie": f"sessionid={cookie}", "Authorization": f"Bearer {raw}"}
            with serve(args.server, threads=args.threads, workers=args.workers) as server:
                workers = f", {args.workers} workers" if args.server != "waitress" else ""
                print(f"server: {args.server}, {args.threads} threads{workers}")
                run_load(server.port, cycle(paths), clients=1, seconds=3, headers=headers)  # warm-up
                print(
                    f"{args.clients} concurrent clients, {args.seconds:.0f} s; load average {load_average()}"
                )
                result = run_load(
                    server.port, cycle(paths), clients=args.clients, seconds=args.seconds, headers=headers
                )
            ok = report(result, list(paths))
        print(f"ingestion: load average {load_average()}")
        rate = ingest(args.ingest, ws, args.ingest_channels)
        ok = ok and rate >= TARGET_INGEST_PER_S
        print(f"finished {datetime.now(UTC):%H:%M} UTC; load average {load_average()}")
        print("all targets met" if ok else "SOME TARGETS MISSED")


if __name__ == "__main__":
    sys.exit(main())
