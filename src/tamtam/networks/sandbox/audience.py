"""The sandbox audience: a deterministic (seeded) community that comments under the account's
published posts, answers our replies, mentions the account and writes it direct messages, in French
and English (pure timeline logic; the few facts it needs from the sandbox store are passed in).

What makes it realistic enough to exercise the inbox:
- questions, complaints, purchase intent, praise, spam, emoji-only, right-to-left (Arabic, Hebrew)
  text, long comments (a few thousand characters; rarely 20,000);
- authors from a fixed population: with and without a display name, with a heavy-tailed audience
  (a few influencers with 100k+ followers), some whose audience the network does not say;
- comments that are later deleted by their author (reported again with `deleted=True`);
- authors who answer our replies (kind `reply`, and DMs that go on);
- `raw["category"]` says what the generator meant, so tests can check triage against it, and
  `raw["liked_post"]` whether the author liked the post (contest rules).

Every event has a fixed time and id for a given seed, whatever the order of the calls: the cursor
"<epoch ms>:<id>" resumes exactly after the last event returned (nothing twice, nothing missed).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tamtam.networks.base import Author, InboxItem, InboxKind, InboxPage

URL_BASE = "https://sandbox.tamtam.local"


@dataclass(frozen=True)
class AudienceConfig:
    seed: int | str = 0
    brand: str = "Lumen"
    comments_per_post: int = 12  # at most, per post; drawn 40-100 % of it
    comment_spread_s: float = 6 * 3600.0  # comments arrive within this time after the post
    dm_every_s: float = 1800.0
    mention_every_s: float = 1200.0
    delete_share: float = 0.04
    answer_back_share: float = 0.5  # share of our replies the author answers
    answer_back_after_s: float = 300.0


@dataclass(frozen=True)
class OurPost:
    """What the audience needs of a post or reply we published (from the sandbox store)."""

    remote_id: str
    created_at: float  # epoch seconds
    reply_to: str = ""
    text: str = ""


@dataclass(frozen=True)
class Event:
    at_ms: int
    item: InboxItem = field(compare=False)

    @property
    def position(self) -> tuple[int, str]:
        return (self.at_ms, self.item.remote_id)


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


_FIRST = ["Camille", "Léa", "Hugo", "Manon", "Jules", "Inès", "Olivia", "Liam", "Ava", "Noah", "Zoé", "Sam"]
_LAST = ["Martin", "Dubois", "Morel", "Leroy", "Petit", "Smith", "Jones", "Brown", "Nguyen", "Haddad"]
_RTL_NAMES = ["ليلى", "يوسف", "נועה", "אורי"]

TEMPLATES: dict[str, dict[str, list[str]]] = {
    "question": {
        "fr": [
            "Bonjour, est-ce que le {b} Air est compatible avec un porte-bébé ?",
            "Comment on active la garantie {b} ? Merci d'avance",
            "Vous livrez en Belgique ?",
            "C'est quand la prochaine mise à jour de l'appli ?",
        ],
        "en": [
            "Hi, is the {b} Air compatible with a child seat?",
            "How do I activate the {b} warranty? Thanks!",
            "Do you ship to Canada?",
            "When is the next app update coming?",
        ],
    },
    "complaint": {
        "fr": [
            "Trois semaines que j'attends ma commande, jamais reçue. Je veux être remboursé 😡",
            "Mon vélo {b} ne fonctionne plus après 2 jours, vraiment déçue.",
            "Service client injoignable, c'est une honte.",
        ],
        "en": [
            "Three weeks waiting and my order never arrived. I want a refund 😡",
            "My {b} bike stopped working after 2 days, really disappointed.",
            "Customer service never answers, this is unacceptable.",
        ],
    },
    "purchase": {
        "fr": [
            "Il est à quel prix ? Je le veux pour Noël 😍",
            "Où acheter le {b} Go près de Lyon ?",
            "Encore en stock en taille M ? Je voudrais commander",
        ],
        "en": [
            "How much is it? I want one for Christmas 😍",
            "Where can I buy the {b} Go in London?",
            "Is the medium size in stock? I'd like to order one",
        ],
    },
    "praise": {
        "fr": [
            "Super vélo, je recommande à 100 % 👏",
            "Bravo {b}, la nouvelle couleur est magnifique",
            "Top !",
        ],
        "en": ["Great bike, highly recommend 👏", "Well done {b}, the new colour is gorgeous", "Love it!"],
    },
    "spam": {
        "fr": [
            "Gagnez 500 € par jour avec la crypto 🚀 bit.ly/gain-facile",
            "abonne-toi à mon compte 🔥🔥🔥",
        ],
        "en": ["Earn $500 a day with crypto 🚀 bit.ly/easy-gain", "follow for follow!! visit my profile"],
    },
    "emoji": {"fr": ["😍😍😍", "🔥🔥", "👏👏👏👏", "❤️"], "en": ["😍😍😍", "🔥🔥", "👏👏👏👏", "❤️"]},
    "rtl": {
        "fr": ["هل يتوفر التوصيل إلى الدار البيضاء؟", "מוצר מעולה, תודה רבה!"],
        "en": ["هل يتوفر التوصيل إلى الدار البيضاء؟", "מוצר מעולה, תודה רבה!"],
    },
}
# How often each category appears in comments (DMs lean to questions and complaints).
COMMENT_MIX = [
    ("question", 18),
    ("complaint", 12),
    ("purchase", 12),
    ("praise", 30),
    ("spam", 6),
    ("emoji", 10),
    ("rtl", 4),
    ("long", 8),
]
DM_MIX = [("question", 35), ("complaint", 30), ("purchase", 25), ("praise", 5), ("spam", 5)]
MENTION_MIX = [("praise", 40), ("complaint", 25), ("question", 20), ("purchase", 15)]

_LONG_SENTENCES = {
    "fr": "J'ai utilisé mon vélo tous les jours pendant trois mois, sous la pluie comme au soleil. ",
    "en": "I have ridden my bike every day for three months, in the rain and in the sun. ",
}


class Audience:
    def __init__(self, handle: str, config: AudienceConfig | None = None) -> None:
        self.handle = handle.lstrip("@")
        self.config = config or AudienceConfig()
        self.population = self._population()

    def _population(self) -> list[tuple[Author, str]]:
        rng = _rng(self.config.seed, self.handle, "population")
        people: list[tuple[Author, str]] = []
        for i in range(400):
            lang = "fr" if rng.random() < 0.55 else "en"
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            handle = (
                f"{first.lower()}_{last.lower()}{i}".replace("é", "e").replace("è", "e").replace("ï", "i")
            )
            roll = rng.random()
            name = "" if roll < 0.15 else (rng.choice(_RTL_NAMES) if roll < 0.2 else f"{first} {last}")
            # Heavy tail: most have hundreds of followers, a few are influencers; 10 % unknown.
            followers: int | None = int(rng.paretovariate(1.1) * 120)
            if rng.random() < 0.1:
                followers = None
            people.append(
                (
                    Author(
                        remote_id=f"u{i}",
                        handle=handle,
                        name=name,
                        followers=followers,
                        url=f"{URL_BASE}/@{handle}",
                    ),
                    lang,
                )
            )
        return people

    # --- texts --------------------------------------------------------------------------------------

    def _text(self, rng: random.Random, category: str, lang: str) -> str:
        if category == "long":
            # Rarely the full 20,000 characters a network may allow; usually a few thousand.
            size = 20_000 if rng.random() < 0.1 else rng.randint(1500, 4000)
            sentence = _LONG_SENTENCES[lang]
            return (sentence * (size // len(sentence) + 1))[:size]
        return rng.choice(TEMPLATES[category][lang]).format(b=self.config.brand)

    @staticmethod
    def _pick(rng: random.Random, mix: list[tuple[str, int]]) -> str:
        total = sum(w for _, w in mix)
        roll = rng.uniform(0, total)
        for name, weight in mix:
            roll -= weight
            if roll <= 0:
                return name
        return mix[-1][0]

    def _item(
        self,
        rng: random.Random,
        *,
        remote_id: str,
        kind: InboxKind,
        at: float,
        mix: list[tuple[str, int]],
        parent: str = "",
        root: str = "",
        conversation_key: str = "",
        person: tuple[Author, str] | None = None,
        category: str = "",
    ) -> InboxItem:
        author, lang = person or rng.choice(self.population)
        category = category or self._pick(rng, mix)
        return InboxItem(
            remote_id=remote_id,
            kind=kind,
            text=self._text(rng, category, lang),
            author=author,
            created_at=datetime.fromtimestamp(at, tz=UTC),
            url=f"{URL_BASE}/@{author.handle}/{remote_id}",
            parent_remote_id=parent,
            root_remote_id=root,
            conversation_key=conversation_key,
            raw={"category": category, "lang": lang, "liked_post": rng.random() < 0.6},
        )

    # --- the timeline -------------------------------------------------------------------------------

    def comments_on(self, post: OurPost) -> list[tuple[float, InboxItem, float | None]]:
        """(time, item, deleted at or None) of every comment the post will ever get."""
        cfg = self.config
        rng = _rng(cfg.seed, self.handle, "post", post.remote_id)
        count = round(cfg.comments_per_post * rng.uniform(0.4, 1.0))
        out = []
        previous: list[str] = []
        for k in range(count):
            at = post.created_at + rng.uniform(5.0, cfg.comment_spread_s) * (k + 1) / count
            item_rng = _rng(cfg.seed, self.handle, "comment", post.remote_id, k)
            # One comment in five answers another comment of the thread (a nested reply).
            parent = item_rng.choice(previous) if previous and item_rng.random() < 0.2 else post.remote_id
            remote_id = f"c{post.remote_id}-{k}"
            item = self._item(
                item_rng,
                remote_id=remote_id,
                kind=InboxKind.COMMENT,
                at=at,
                mix=COMMENT_MIX,
                parent=parent,
                root=post.remote_id,
            )
            deleted = at + item_rng.uniform(60, 3600) if item_rng.random() < cfg.delete_share else None
            out.append((at, item, deleted))
            previous.append(remote_id)
        return out

    def _periodic(self, kind: str, every: float, start: float, after: float, now: float) -> Iterator[Event]:
        if every <= 0:
            return
        first = max(0, int((after - start) // every) - 1)
        n = first
        while True:
            rng = _rng(self.config.seed, self.handle, kind, n)
            at = start + n * every + rng.uniform(0, every * 0.9)
            if at > now:
                if start + n * every > now:
                    return
                n += 1
                continue
            if at * 1000 >= after * 1000:
                if kind == "dm":
                    person = self.population[rng.randrange(len(self.population))]
                    key = f"dm-{person[0].remote_id}"
                    item = self._item(
                        rng,
                        remote_id=f"d{n}",
                        kind=InboxKind.DM,
                        at=at,
                        mix=DM_MIX,
                        conversation_key=key,
                        person=person,
                    )
                else:
                    item = self._item(rng, remote_id=f"m{n}", kind=InboxKind.MENTION, at=at, mix=MENTION_MIX)
                yield Event(int(at * 1000), item)
            n += 1

    def find(self, remote_id: str, posts: list[OurPost], now: float) -> InboxItem | None:
        """The item with this id if it exists on the network at `now` (not deleted)."""
        for event in self.events(
            posts,
            account_created=min((p.created_at for p in posts), default=now),
            after=0.0,
            now=now,
            include_periodic=remote_id[:1] in {"d", "m"},
        ):
            if event.item.remote_id == remote_id:
                return None if event.item.deleted else event.item
        return None

    def events(
        self,
        posts: list[OurPost],
        *,
        account_created: float,
        after: float,
        now: float,
        include_periodic: bool = True,
    ) -> Iterator[Event]:
        """Every event with `after` ≤ time ≤ `now` (unordered; the caller sorts)."""
        cfg = self.config
        by_id: dict[str, InboxItem] = {}
        ours = [p for p in posts if not p.reply_to]
        for post in ours:
            for at, item, deleted_at in self.comments_on(post):
                by_id[item.remote_id] = item
                if after <= at <= now:
                    yield Event(int(at * 1000), item)
                if deleted_at is not None and after <= deleted_at <= now:
                    gone = InboxItem(**{**item.__dict__, "deleted": True})
                    yield Event(int(deleted_at * 1000), gone)
        if include_periodic:
            yield from self._periodic("dm", cfg.dm_every_s, account_created, after, now)
            yield from self._periodic("mention", cfg.mention_every_s, account_created, after, now)
        # Authors answering our replies: to a comment (kind reply, same thread) or a DM (the DM goes on).
        for ours_reply in (p for p in posts if p.reply_to):
            rng = _rng(cfg.seed, self.handle, "answer", ours_reply.remote_id)
            if rng.random() >= cfg.answer_back_share:
                continue
            at = ours_reply.created_at + rng.uniform(10, cfg.answer_back_after_s)
            if not (after <= at <= now):
                continue
            parent = by_id.get(ours_reply.reply_to) or self._periodic_item(
                ours_reply.reply_to, account_created
            )
            if parent is None:
                continue
            person = next(
                ((a, lang) for a, lang in self.population if a.remote_id == parent.author.remote_id), None
            )
            is_dm = parent.kind == InboxKind.DM
            yield Event(
                int(at * 1000),
                self._item(
                    rng,
                    remote_id=f"r{ours_reply.remote_id}",
                    kind=InboxKind.DM if is_dm else InboxKind.REPLY,
                    at=at,
                    mix=[("praise", 50), ("question", 30), ("complaint", 20)],
                    parent=ours_reply.remote_id,
                    root="" if is_dm else (parent.root_remote_id or parent.remote_id),
                    conversation_key=parent.conversation_key,
                    person=person,
                ),
            )

    def _periodic_item(self, remote_id: str, start: float) -> InboxItem | None:
        kind = {"d": "dm", "m": "mention"}.get(remote_id[:1])
        try:
            n = int(remote_id[1:])
        except ValueError:
            return None
        if kind is None:
            return None
        every = self.config.dm_every_s if kind == "dm" else self.config.mention_every_s
        for event in self._periodic(kind, every, start, start + n * every, start + (n + 1) * every):
            if event.item.remote_id == remote_id:
                return event.item
        return None

    def page(
        self, posts: list[OurPost], *, account_created: float, cursor: str, now: float, limit: int
    ) -> InboxPage:
        after_ms, after_id = parse_cursor(cursor)
        after = after_ms / 1000.0 if after_ms else account_created
        found = sorted(
            (
                e
                for e in self.events(posts, account_created=account_created, after=after - 0.001, now=now)
                if e.position > (after_ms, after_id)
            ),
            key=lambda e: e.position,
        )
        chosen = found[:limit]
        if not chosen:
            return InboxPage(items=[], cursor=cursor, has_more=False)
        last = chosen[-1]
        return InboxPage(
            items=[e.item for e in chosen],
            cursor=f"{last.at_ms}:{last.item.remote_id}",
            has_more=len(found) > limit,
        )


def parse_cursor(cursor: str) -> tuple[int, str]:
    if not cursor:
        return (0, "")
    at, _, remote_id = cursor.partition(":")
    try:
        return (int(at), remote_id)
    except ValueError:
        return (0, "")


def config_from_options(options: dict[str, object], seed: int | str) -> AudienceConfig:
    def num(name: str, default: float) -> float:
        try:
            return float(options.get(name, default))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return default

    return AudienceConfig(
        seed=seed,
        brand=str(options.get("brand") or "Lumen"),
        comments_per_post=int(num("audience_comments_per_post", 12)),
        comment_spread_s=num("audience_comment_spread_s", 6 * 3600.0),
        dm_every_s=num("audience_dm_every_s", 1800.0),
        mention_every_s=num("audience_mention_every_s", 1200.0),
        delete_share=num("audience_delete_share", 0.04),
        answer_back_share=num("audience_answer_back_share", 0.5),
        answer_back_after_s=num("audience_answer_back_after_s", 300.0),
    )


# --- the network's side of the inbox (in the sandbox store's SQLite file) ----------------------------

ACTIONS_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS inbox_actions (handle TEXT NOT NULL, remote_id TEXT NOT NULL, "
    "action TEXT NOT NULL, value INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (handle, remote_id, action))"
)


def our_posts(conn: object, handle: str) -> list[OurPost]:
    """Posts and replies the account published (live ones), from the store's connection."""
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT id, created_at, reply_to, text FROM posts "
        "WHERE handle = ? AND deleted_at IS NULL ORDER BY id",
        (handle,),
    ).fetchall()
    return [
        OurPost(remote_id=str(r[0]), created_at=float(r[1]), reply_to=r[2] or "", text=r[3]) for r in rows
    ]


def account_created(conn: object, handle: str, default: float) -> float:
    row = conn.execute("SELECT created_at FROM accounts WHERE handle = ?", (handle,)).fetchone()  # type: ignore[attr-defined]
    return float(row[0]) if row else default


def record_action(conn: object, handle: str, remote_id: str, action: str, value: bool, now: float) -> None:
    conn.execute(ACTIONS_SCHEMA)  # type: ignore[attr-defined]
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO inbox_actions (handle, remote_id, action, value, at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (handle, remote_id, action) DO UPDATE SET value = excluded.value, at = excluded.at",
        (handle, remote_id, action, int(value), now),
    )


def actions(conn: object, handle: str, remote_id: str) -> dict[str, bool]:
    conn.execute(ACTIONS_SCHEMA)  # type: ignore[attr-defined]
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT action, value FROM inbox_actions WHERE handle = ? AND remote_id = ?", (handle, remote_id)
    ).fetchall()
    return {a: bool(v) for a, v in rows}
