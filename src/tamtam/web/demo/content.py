"""What the demo agency is made of: two brands, their channels, audience and calendar set-up.

Their posts live in `posts.py`, their strategy kit in `strategy.py`, the shapes in `specs.py`.

Texts are written the way each brand would write them (French for Maison Lumière, English for
Northwind Coffee) and avoid seasons, so the demo reads right whatever the date it is seeded on.
Times are `(day offset from today, "HH:MM")` in the brand's own time zone.
"""

from __future__ import annotations

from tamtam.accounts.models import ApprovalPolicy
from tamtam.web.demo.posts import MAISON_POSTS, NORTHWIND_POSTS

# The shapes are re-exported: the seeding code imports them from here.
from tamtam.web.demo.specs import BrandSpec, ChannelSpec, InsightSpec, PostSpec
from tamtam.web.demo.strategy import MAISON_INSIGHTS, NORTHWIND_INSIGHTS

__all__ = ["BRANDS", "MAISON", "NORTHWIND", "BrandSpec", "ChannelSpec", "InsightSpec", "PostSpec"]


MAISON = BrandSpec(
    name="Maison Lumière",
    slug="maison-lumiere",
    time_zone="Europe/Paris",
    language="fr",
    approval_policy=ApprovalPolicy.MANAGER_CLIENT,
    color="#c2410c",
    channels=(
        ChannelSpec(
            "ig",
            "Maison Lumière · Instagram",
            "instagram",
            "@maisonlumiere",
            {"latency_ms": 150, "error_rate": 0.02, "audience_size": 18400},
        ),
        ChannelSpec(
            "fb",
            "Maison Lumière · Facebook",
            "facebook",
            "@maisonlumiere.lyon",
            {"latency_ms": 120, "error_rate": 0.01, "audience_size": 9200},
        ),
        ChannelSpec(
            "li",
            "Maison Lumière · LinkedIn",
            "linkedin",
            "@maison-lumiere",
            {"latency_ms": 180, "error_rate": 0.02, "audience_size": 2100},
        ),
        ChannelSpec(
            "bsky",
            "Maison Lumière · Bluesky",
            "bluesky",
            "@maisonlumiere.bsky.social",
            {"latency_ms": 80, "error_rate": 0.01, "idempotent": True, "audience_size": 1300},
        ),
        # The one whose answers sometimes get lost: posts end up "unconfirmed" until reconciled.
        ChannelSpec(
            "masto",
            "Maison Lumière · Mastodon",
            "mastodon",
            "@maisonlumiere@piaille.fr",
            {"latency_ms": 200, "error_rate": 0.03, "ambiguous_rate": 0.1, "audience_size": 800},
        ),
        # Its token was revoked: shows the "reconnect needed" state.
        ChannelSpec(
            "threads",
            "Maison Lumière · Threads",
            "threads",
            "@maisonlumiere",
            {"latency_ms": 100, "needs_user": True, "audience_size": 3400},
        ),
    ),
    personas=(
        (
            "Claire, la citadine cocooning",
            "34 ans, Lyon, cadre. Décore son appartement avec soin, achète peu "
            "mais bien, suit des comptes déco sur Instagram.",
            ("ig", "bsky"),
        ),
        (
            "Hélène, l'amatrice de savoir-faire",
            "52 ans, Annecy. Cherche des objets fabriqués en France, lit les "
            "histoires d'artisans sur Facebook.",
            ("fb",),
        ),
        (
            "Les acheteurs pro",
            "Concept-stores et hôtels de charme qui référencent nos collections ; actifs sur LinkedIn.",
            ("li",),
        ),
    ),
    pillars=(
        ("Savoir-faire", 35, "#c2410c"),
        ("Inspiration déco", 30, "#0f766e"),
        ("Coulisses", 20, "#7c3aed"),
        ("Offres", 15, "#ca8a04"),
    ),
    campaign=("Collection Lin & Lumière", "lin-lumiere"),
    images=(
        ("#e7c9a9", "Bougie Figuier dans un pot en céramique sur une table en chêne"),
        ("#b5c7b0", "Plaid en lin lavé et photophore en verre soufflé"),
        ("#f2e6d8", "Lampe Aube en céramique émaillée, abat-jour en lin"),
    ),
    queue=("Semaine inspiration", ((0, "09:00"), (2, "12:30"), (4, "18:00")), ("ig", "fb")),
    queued=PostSpec(
        "scheduled",
        ("ig", "fb"),
        "Une pièce, une lumière : cette semaine, l'entrée. Une applique "
        "douce et une bougie au bois de cèdre pour accueillir chaque retour à la maison. #deco",
        pillar=1,
        image=1,
    ),
    recurring=(
        "Le samedi, l'atelier est ouvert : passez nous voir de 10 h à 13 h, 14 rue des Capucins, "
        "Lyon 1er. Café offert ☕",
        ("fb", "bsky"),
        "FREQ=WEEKLY;BYDAY=FR;BYHOUR=9;BYMINUTE=0",
    ),
    posts=MAISON_POSTS,
    insights=MAISON_INSIGHTS,
)

NORTHWIND = BrandSpec(
    name="Northwind Coffee",
    slug="northwind-coffee",
    time_zone="America/New_York",
    language="en",
    approval_policy=ApprovalPolicy.MANAGER,
    color="#1d4ed8",
    channels=(
        ChannelSpec(
            "x",
            "Northwind · X",
            "x",
            "@northwindcoffee",
            {"latency_ms": 90, "error_rate": 0.03, "rate_limit_per_minute": 50, "audience_size": 12600},
        ),
        ChannelSpec(
            "ig",
            "Northwind · Instagram",
            "instagram",
            "@northwind.coffee",
            {"latency_ms": 160, "error_rate": 0.02, "audience_size": 21000},
        ),
        ChannelSpec(
            "li",
            "Northwind · LinkedIn",
            "linkedin",
            "@northwind-coffee-co",
            {"latency_ms": 170, "error_rate": 0.01, "audience_size": 3900},
        ),
        ChannelSpec(
            "fb",
            "Northwind · Facebook",
            "facebook",
            "@northwindcoffeenyc",
            {"latency_ms": 110, "error_rate": 0.01, "audience_size": 7600},
        ),
        ChannelSpec(
            "bsky",
            "Northwind · Bluesky",
            "bluesky",
            "@northwind.coffee",
            {"latency_ms": 60, "idempotent": True, "audience_size": 2200},
        ),
        ChannelSpec(
            "masto",
            "Northwind · Mastodon",
            "mastodon",
            "@northwind@mastodon.social",
            {"latency_ms": 190, "error_rate": 0.02, "audience_size": 950},
        ),
    ),
    personas=(
        (
            "Daily commuter Dan",
            "29, Brooklyn. Grabs coffee on the way to the subway; follows us on X and Instagram for deals.",
            ("x", "ig"),
        ),
        (
            "Home brewer Priya",
            "38, Queens. Owns a grinder and a V60; wants origin stories and brewing tips.",
            ("bsky", "masto", "ig"),
        ),
        ("Office managers", "Order coffee for teams of 20 to 200; find suppliers on LinkedIn.", ("li",)),
    ),
    pillars=(
        ("Origins", 30, "#92400e"),
        ("Brewing tips", 25, "#0e7490"),
        ("Community", 25, "#be185d"),
        ("Offers", 20, "#4d7c0f"),
    ),
    campaign=("Colombia Huila launch", "huila-launch"),
    images=(
        ("#6b4226", "Rosetta latte art in a white cup on a walnut counter"),
        ("#3f6212", "Coffee cherries drying on raised beds in Huila"),
        ("#1e3a8a", "The Northwind steel tumbler next to a bag of beans"),
    ),
    queue=("Morning brew", ((1, "07:30"), (3, "07:30")), ("x", "bsky")),
    queued=PostSpec(
        "scheduled",
        ("x", "bsky"),
        "Good morning, Brooklyn ☕ Today's pour-over: Ethiopia Guji, bright and floral. Come say hi.",
        pillar=0,
    ),
    recurring=(
        "Monday Brew Tip ☕ One small trick for better coffee at home, every Monday. This week: water "
        "just off the boil, around 200 °F.",
        ("x", "li"),
        "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0",
    ),
    posts=NORTHWIND_POSTS,
    insights=NORTHWIND_INSIGHTS,
)

BRANDS = (MAISON, NORTHWIND)
