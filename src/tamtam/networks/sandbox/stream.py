"""The sandbox mention stream: a deterministic (seeded) flow of public posts about a brand, its
competitors and its products, in French and English (pure, no Django).

What makes it realistic enough to exercise listening and crisis detection:
- a volume that follows the hour of the day, with **bad-buzz episodes** (a product recall, a failing
  customer service, a viral complaint) where the volume jumps several times and turns negative;
- authors drawn from a fixed population with a heavy-tailed audience (a few influencers with 100k+
  followers, most with a few hundred), each with their own language;
- varied sentiment, hashtags, @mentions, links with tracking parameters, emoji;
- **near-duplicates**: retweets ("RT @x: …"), copies with an emoji or a hashtag added, and the same
  press article syndicated by several sites (about 10 % of the items).

Item `k` of minute `m` is the same for a given seed whatever the order of the calls, so a cursor
"minute:k" resumes exactly (nothing fetched twice, nothing missed). `episodes()` says where the bad
buzz is, for tests that check detection. Besides the random episodes, a configuration can stage
some at given times (`stream_episodes` option): the demo uses that for a bad buzz of yesterday and
one that starts a few minutes after it is seeded.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from tamtam.networks.base import Author, FoundPost, SearchPage

BASE_PER_MINUTE = 12.0
EPISODE_CHANCE_PER_HOUR = 0.06
BACKFILL_MINUTES = 60


@dataclass(frozen=True)
class Episode:
    start: datetime
    minutes: int
    multiplier: float
    topic: str

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    def option(self) -> dict[str, object]:
        """As an entry of the `stream_episodes` option (JSON)."""
        return {
            "start": self.start.isoformat(),
            "minutes": self.minutes,
            "multiplier": self.multiplier,
            "topic": self.topic,
        }


@dataclass(frozen=True)
class StreamConfig:
    brand: str = "Lumen"
    competitors: tuple[str, ...] = ("Kaldo", "Brivio")
    products: tuple[str, ...] = ("Lumen Air", "Lumen Go")
    per_minute: float = BASE_PER_MINUTE
    seed: int = 0
    staged: tuple[Episode, ...] = ()  # episodes at given times, on top of the random ones


_FIRST = [
    "camille",
    "lea",
    "hugo",
    "lucas",
    "emma",
    "louis",
    "chloe",
    "jules",
    "manon",
    "nathan",
    "ines",
    "arthur",
    "sarah",
    "tom",
    "julia",
    "noah",
]
_FIRST_EN = [
    "olivia",
    "liam",
    "ava",
    "mason",
    "mia",
    "ethan",
    "amelia",
    "james",
    "harper",
    "logan",
    "ella",
    "jack",
    "grace",
    "ryan",
    "zoe",
    "sam",
]
_LAST = [
    "martin",
    "bernard",
    "dubois",
    "morel",
    "laurent",
    "simon",
    "michel",
    "leroy",
    "roux",
    "petit",
    "smith",
    "jones",
    "brown",
    "lee",
]
_MEDIA = [("lemonde_tech", 850_000), ("techcrunch", 2_400_000), ("numerama", 420_000), ("01net", 610_000)]

_POS = {
    "fr": [
        "Franchement {b} c'est top, livraison rapide et la batterie tient 3 jours 😍",
        "Très contente de mon {p}, je recommande ! #velo",
        "Le service client de {b} m'a rappelé en 10 minutes, bravo 👏",
        "Meilleur achat de l'année : le {p}. Merci {h} !",
        "J'adore la nouvelle appli {b}, enfin simple",
    ],
    "en": [
        "Honestly {b} is great, fast delivery and the battery lasts for days 😍",
        "Loving my new {p}, highly recommend! #ebike",
        "{b} support fixed my issue in 10 minutes, impressive 👏",
        "Best purchase this year: the {p}. Thanks {h}!",
        "The new {b} app is so much simpler, well done",
    ],
}
_NEU = {
    "fr": [
        "Quelqu'un a testé le {p} de {b} ? Je compare avec {c}",
        "{b} annonce un nouveau {p} pour le printemps {u}",
        "Comparatif {b} vs {c} : lequel choisir pour aller au travail ?",
        "Le {p} est dispo en magasin à partir de lundi",
    ],
    "en": [
        "Has anyone tried the {p} from {b}? Comparing it with {c}",
        "{b} announces a new {p} for spring {u}",
        "{b} vs {c}: which one for commuting?",
        "The {p} is in stores from Monday",
    ],
}
_NEG = {
    "fr": [
        "Trois semaines que j'attends mon {p}, {b} ne répond plus 😡",
        "Service client {b} injoignable, c'est une honte",
        "Mon {p} est tombé en panne au bout d'une semaine. Nul.",
        "Je suis passé chez {c}, {b} c'est fini pour moi",
    ],
    "en": [
        "Three weeks waiting for my {p}, {b} stopped answering 😡",
        "{b} customer service is unreachable, disgraceful",
        "My {p} broke down after one week. Terrible.",
        "Switched to {c}, done with {b}",
    ],
}
_BUZZ = {
    "battery": {
        "fr": [
            "ALERTE : la batterie du {p} a pris feu dans mon garage 🔥🔥 {h} #rappel{b}",
            "Encore un {p} qui surchauffe... {b} doit rappeler ces batteries #boycott{b}",
            "Vidéo : un {p} de {b} en flammes dans le métro, c'est dangereux",
        ],
        "en": [
            "WARNING: my {p} battery caught fire in the garage 🔥🔥 {h} #{b}recall",
            "Another {p} overheating... {b} must recall these batteries #boycott{b}",
            "Video: a {b} {p} on fire in the subway, this is dangerous",
        ],
    },
    "support": {
        "fr": [
            "{b} a supprimé mon compte et garde mon argent, aucune réponse {h} 😡 #arnaque",
            "Des centaines de clients {b} sans réponse depuis une semaine, scandale",
        ],
        "en": [
            "{b} deleted my account and kept my money, zero answers {h} 😡 #scam",
            "Hundreds of {b} customers left without answers for a week, outrageous",
        ],
    },
}
# Openers, closers and details make organic posts differ from one another: only the real copies
# (retweets, pasted texts, syndicated articles) should look like near-duplicates.
_OPENERS = {
    "fr": ["", "", "Bon. ", "Alors voilà : ", "Petit retour : ", "Avis perso : ", "Sérieusement, ", "Hmm. "],
    "en": ["", "", "So. ", "Quick review: ", "Hot take: ", "PSA: ", "Honestly, ", "Ok so "],
}
_CLOSERS = {
    "fr": [
        "",
        " (vu à {city})",
        " — {day} matin",
        " depuis {n} jours",
        ", testé sur {n} km",
        " 🤷",
        " Qu'en pensez-vous ?",
        " ({city}, {day})",
    ],
    "en": [
        "",
        " (seen in {city})",
        " on {day}",
        " for {n} days now",
        ", {n} miles in",
        " 🤷",
        " Thoughts?",
        " ({city})",
    ],
}
_CITIES = [
    "Paris",
    "Lyon",
    "Lille",
    "Nantes",
    "Bordeaux",
    "London",
    "Brussels",
    "Geneva",
    "Montréal",
    "Marseille",
]
_DAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
_HASHTAGS = ["#velo", "#ebike", "#mobilite", "#commute", "#greentech", "#paris", "#london"]


def _rng(*parts: object) -> random.Random:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


class MentionStream:
    """The stream for one configuration. `items(minute)` is pure; `page` and `search` walk minutes."""

    def __init__(self, config: StreamConfig | None = None) -> None:
        self.config = config or StreamConfig()
        self._authors = self._population()
        # Influencers speak more often than their share of the population, not in proportion to
        # their audience (a 2M-follower account would then write most of the stream).
        self._cum_weights = list(accumulate(math.sqrt(a.followers or 1) for a in self._authors))
        self._episodes: dict[int, Episode | None] = {}
        self._slug = "".join(ch for ch in self.config.brand.lower() if ch.isalnum())

    # --- population ---------------------------------------------------------------------------------

    def _population(self) -> list[Author]:
        rng = _rng(self.config.seed, "authors")
        people: list[Author] = []
        for i in range(1500):
            lang = "fr" if i % 5 < 3 else "en"
            first = rng.choice(_FIRST if lang == "fr" else _FIRST_EN)
            handle = f"{first}{rng.choice(_LAST)}{i}"
            # Pareto audience: most accounts have a few hundred followers, a few have 100k+.
            followers = int(80 * rng.paretovariate(1.1))
            people.append(
                Author(
                    remote_id=f"u{i}",
                    handle=handle,
                    name=f"{first.title()} {handle[len(first) :].rstrip('0123456789').title()}",
                    followers=min(followers, 3_000_000),
                    url=f"https://sandbox.tamtam.local/@{handle}",
                )
            )
        for j, (handle, followers) in enumerate(_MEDIA):
            people.append(
                Author(f"m{j}", handle, handle, followers, f"https://sandbox.tamtam.local/@{handle}")
            )
        return people

    def author_lang(self, author: Author) -> str:
        if author.remote_id.startswith("m"):
            return "en" if author.handle == "techcrunch" else "fr"
        return "fr" if int(author.remote_id[1:]) % 5 < 3 else "en"

    # --- timeline -----------------------------------------------------------------------------------

    @staticmethod
    def minute_of(when: datetime) -> int:
        return int(when.timestamp() // 60)

    def _hour_episode(self, hour: int) -> Episode | None:
        if hour not in self._episodes:
            rng = _rng(self.config.seed, "episode", hour)
            episode = None
            if rng.random() < EPISODE_CHANCE_PER_HOUR:
                begin = hour * 60 + rng.randrange(60)
                episode = Episode(
                    start=datetime.fromtimestamp(begin * 60, tz=UTC),
                    minutes=rng.randrange(20, 46),
                    multiplier=rng.uniform(5, 10),
                    topic=rng.choice(sorted(_BUZZ)),
                )
            self._episodes[hour] = episode
        return self._episodes[hour]

    def episodes(self, start: datetime, end: datetime) -> list[Episode]:
        """Bad-buzz episodes starting in [start, end)."""
        found = [e for e in self.config.staged if start <= e.start < end]
        for hour in range(self.minute_of(start) // 60, self.minute_of(end) // 60 + 1):
            episode = self._hour_episode(hour)
            if episode is not None and start <= episode.start < end:
                found.append(episode)
        return sorted(found, key=lambda e: e.start)

    def _episode_at(self, minute: int) -> Episode | None:
        for staged in self.config.staged:  # a staged episode wins over a random one
            if self.minute_of(staged.start) <= minute < self.minute_of(staged.end):
                return staged
        # A random episode lasts under an hour: it started this hour or the one before.
        for hour in (minute // 60, minute // 60 - 1):
            episode = self._hour_episode(hour)
            if episode is not None and self.minute_of(episode.start) <= minute < self.minute_of(episode.end):
                return episode
        return None

    def volume(self, minute: int) -> int:
        hour = (minute // 60) % 24
        daily = 0.35 + 0.65 * math.sin(math.pi * max(0, hour - 6) / 18) ** 2 if hour >= 6 else 0.25
        rate = self.config.per_minute * daily
        episode = self._episode_at(minute)
        if episode is not None:
            rate *= episode.multiplier
        return _poisson(_rng(self.config.seed, "volume", minute), rate)

    def items(self, minute: int) -> list[FoundPost]:
        """Every item of one minute, in order."""
        rng = _rng(self.config.seed, "items", minute)
        episode = self._episode_at(minute)
        out: list[FoundPost] = []
        for k in range(self.volume(minute)):
            out.append(self._item(rng, minute, k, episode, out))
        return out

    def _item(
        self, rng: random.Random, minute: int, k: int, episode: Episode | None, earlier: list[FoundPost]
    ) -> FoundPost:
        cfg = self.config
        created = datetime.fromtimestamp(minute * 60 + rng.uniform(0, 59.9), tz=UTC)
        if rng.random() < 0.15:
            author = rng.choices(self._authors, cum_weights=self._cum_weights, k=1)[0]
        else:
            author = rng.choice(self._authors)
        lang = self.author_lang(author)
        remote_id = f"s{cfg.seed}-{minute}-{k}"
        if earlier and rng.random() < 0.10:
            original = rng.choice(earlier)
            text = self._near_duplicate(rng, original)
        else:
            text = self._text(rng, lang, episode)
        fame = (author.followers or 0) ** 0.5
        return FoundPost(
            remote_id=remote_id,
            text=text,
            author=author,
            created_at=created,
            url=f"https://sandbox.tamtam.local/@{author.handle}/{remote_id}",
            lang=lang,
            likes=int(rng.expovariate(1.0) * fame * 0.3),
            shares=int(rng.expovariate(1.0) * fame * 0.05),
            replies=int(rng.expovariate(1.0) * fame * 0.03),
            raw={"episode": episode.topic if episode else ""},
        )

    def _text(self, rng: random.Random, lang: str, episode: Episode | None) -> str:
        cfg = self.config
        if episode is not None and rng.random() < 0.75:
            template = rng.choice(_BUZZ[episode.topic][lang])
        else:
            roll = rng.random()
            bank = _POS if roll < 0.35 else _NEU if roll < 0.75 else _NEG
            template = rng.choice(bank[lang])
        brand = rng.choice([cfg.brand] * 6 + list(cfg.competitors)) if "{c}" not in template else cfg.brand
        opener = rng.choice(_OPENERS[lang])
        closer = rng.choice(_CLOSERS[lang])
        text = opener + template.format(
            b=brand,
            p=rng.choice(cfg.products) if brand == cfg.brand else f"{brand} {rng.choice(['X1', 'City'])}",
            c=rng.choice(cfg.competitors),
            h=f"@{self._slug}",
            u=f"https://www.{self._slug}.example/news?utm_source=social&id={rng.randrange(100)}",
        )
        text += closer.format(city=rng.choice(_CITIES), n=rng.randrange(2, 60), day=rng.choice(_DAYS[lang]))
        if rng.random() < 0.3:
            text += " " + rng.choice(_HASHTAGS)
        return text

    def _near_duplicate(self, rng: random.Random, original: FoundPost) -> str:
        roll = rng.random()
        if roll < 0.6:
            return f"RT @{original.author.handle}: {original.text}"
        if roll < 0.85:
            return original.text + rng.choice([" !!", " 👍", " #" + self._slug, " +1"])
        # A syndicated article: same body, another site's headline prefix.
        return f"{rng.choice(['[Dépêche]', '[Wire]', 'Via AFP :'])} {original.text}"

    # --- reading ------------------------------------------------------------------------------------

    def walk(self, cursor: str, now: datetime) -> Iterator[tuple[str, FoundPost]]:
        """(cursor after this item, item) from `cursor` up to `now`; "" starts an hour back."""
        last = self.minute_of(now)
        if cursor:
            minute, k = (int(x) for x in cursor.split(":"))
        else:
            minute, k = last - BACKFILL_MINUTES, 0
        while minute <= last:
            items = self.items(minute)
            for index in range(k, len(items)):
                if items[index].created_at > now:
                    return
                yield f"{minute}:{index + 1}", items[index]
            minute, k = minute + 1, 0

    def page(
        self, cursor: str = "", limit: int = 100, now: datetime | None = None, query: str = ""
    ) -> SearchPage:
        """The next items after `cursor` (at most `limit`), optionally only those naming a word of
        `query` (a network's keyword search: any word, case and accents ignored)."""
        now = now or datetime.now(tz=UTC)
        # Words and "quoted phrases"; the boolean operators a network search accepts are ignored.
        words = [
            (phrase or word).strip()
            for phrase, word in re.findall(r'"([^"]+)"|(\S+)', _fold(query))
            if (phrase or word) not in {"or", "and", "not"}
        ]
        items: list[FoundPost] = []
        position = cursor
        for position, item in self.walk(cursor, now):
            if not words or any(w in _fold(item.text) for w in words):
                items.append(item)
                if len(items) >= limit:
                    return SearchPage(items=items, cursor=position, has_more=True)
        return SearchPage(items=items, cursor=position, has_more=False)

    def generate(self, count: int, start: datetime) -> list[FoundPost]:
        """`count` items from `start` on (benchmarks): the timeline, minute after minute."""
        out: list[FoundPost] = []
        minute = self.minute_of(start)
        while len(out) < count:
            out.extend(self.items(minute))
            minute += 1
        return out[:count]


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:  # normal approximation: Knuth's loop is slow for large means
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def config_from_options(options: dict[str, object], seed: int = 0) -> StreamConfig:
    """A channel's or a source's options → StreamConfig (`stream_brand`, `stream_competitors`…)."""

    def _names(value: object, default: tuple[str, ...]) -> tuple[str, ...]:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip()) or default
        if isinstance(value, list | tuple):
            return tuple(str(v) for v in value) or default
        return default

    base = StreamConfig()
    try:
        per_minute = float(str(options.get("stream_per_minute", base.per_minute)))
    except ValueError:
        per_minute = base.per_minute
    with contextlib.suppress(ValueError):
        seed = int(str(options.get("seed", seed)))
    return StreamConfig(
        brand=str(options.get("stream_brand") or base.brand),
        competitors=_names(options.get("stream_competitors"), base.competitors),
        products=_names(options.get("stream_products"), base.products),
        per_minute=max(0.0, per_minute),
        seed=seed,
        staged=_staged(options.get("stream_episodes")),
    )


def _staged(value: object) -> tuple[Episode, ...]:
    """`stream_episodes`: [{"start": ISO time, "minutes": n, "multiplier": x, "topic": t}]; an entry
    that does not parse is left out (a sandbox option, not user data worth failing a fetch for)."""
    staged = []
    for entry in value if isinstance(value, list) else []:
        if not isinstance(entry, dict):
            continue
        try:
            start = datetime.fromisoformat(str(entry["start"]))
            episode = Episode(
                start=start if start.tzinfo else start.replace(tzinfo=UTC),
                minutes=max(1, int(entry.get("minutes", 30))),
                multiplier=max(1.0, float(entry.get("multiplier", 8.0))),
                topic=str(entry.get("topic", "battery")),
            )
        except (KeyError, TypeError, ValueError):
            continue
        if episode.topic in _BUZZ:
            staged.append(episode)
    return tuple(staged)
