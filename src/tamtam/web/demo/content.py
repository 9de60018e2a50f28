"""What the demo agency is made of: two brands, their channels, strategy and two weeks of posts.

Texts are written the way each brand would write them (French for Maison Lumière, English for
Northwind Coffee) and avoid seasons, so the demo reads right whatever the date it is seeded on.
Times are `(day offset from today, "HH:MM")` in the brand's own time zone.
"""
# ruff: noqa: E501 - this module is prose; a sentence cut to fit the line is harder to proofread

from __future__ import annotations

from dataclasses import dataclass, field

from tamtam.accounts.models import ApprovalPolicy


@dataclass(frozen=True)
class ChannelSpec:
    key: str
    name: str
    flavor: str
    handle: str
    dials: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class PostSpec:
    state: str  # the TargetState the post's targets should end in
    channels: tuple[str, ...]
    text: str
    when: tuple[int, str] | None = None
    pillar: int | None = None  # index in the brand's pillars
    campaign: bool = False
    image: int | None = None  # index in the brand's images
    link: str = ""
    comment: str = ""  # the reviewer's comment (changes requested, or with the approval)
    variants: dict[str, str] = field(default_factory=dict)
    first_comment: str = ""


@dataclass(frozen=True)
class ObjectiveSpec:
    kind: str  # strategy.ObjectiveKind
    name: str
    metric: str  # strategy.Metric
    target: str  # a decimal, as typed in the form
    channels: tuple[str, ...] = ()  # none: every channel counts
    campaign: bool = False


@dataclass(frozen=True)
class BudgetSpec:
    category: str  # strategy.BudgetCategory
    label: str
    planned: str
    actual: str
    campaign: bool = False


@dataclass(frozen=True)
class ListeningSpec:
    """What the sandbox mention stream talks about, and the two queries that listen to it."""

    brand: str
    competitors: tuple[str, ...]
    products: tuple[str, ...]
    brand_query: tuple[str, str]  # name, expression
    competitor_query: tuple[str, str]
    source_name: str


@dataclass(frozen=True)
class InsightSpec:
    """The brand's objectives, budget, tracking, report, listening and crisis kit (strategy,
    analytics, reports, listening and crisis apps)."""

    currency: str
    objectives: tuple[ObjectiveSpec, ...]
    budget: tuple[BudgetSpec, ...]
    tracking: bool  # links shortened and counted; clicks and conversions recorded
    order_label: str  # the label of the demo's conversions (an online order)
    report_name: str
    listening: ListeningSpec
    rule_name: str
    # (language, title, text): every brand keeps a statement in French and one in English.
    statements: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class BrandSpec:
    name: str
    slug: str
    time_zone: str
    language: str
    approval_policy: str
    color: str
    channels: tuple[ChannelSpec, ...]
    personas: tuple[tuple[str, str, tuple[str, ...]], ...]  # name, description, channel keys
    pillars: tuple[tuple[str, int, str], ...]  # name, target share %, colour
    campaign: tuple[str, str]  # name, utm_campaign
    images: tuple[tuple[str, str], ...]  # (colour, alt text)
    queue: tuple[str, tuple[tuple[int, str], ...], tuple[str, ...]]  # name, (weekday, HH:MM), channels
    queued: PostSpec
    recurring: tuple[str, tuple[str, ...], str]  # text, channels, RRULE (wall clock)
    posts: tuple[PostSpec, ...]
    insights: InsightSpec | None = None


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
    posts=(
        PostSpec(
            "published",
            ("ig", "fb"),
            "Nouvelle bougie « Figuier » 🌿 Coulée à la main dans notre atelier "
            "de Lyon, 45 heures de combustion. #bougie #faitmain",
            (-6, "09:00"),
            0,
            True,
            image=0,
        ),
        PostSpec(
            "published",
            ("li",),
            "Dans notre atelier lyonnais, chaque bougie passe entre les mains de trois "
            "artisanes. Inès coule la cire depuis douze ans : « Le secret, c'est la patience. »",
            (-5, "12:30"),
            0,
            link="https://maisonlumiere.example/atelier",
        ),
        PostSpec(
            "published",
            ("bsky", "masto"),
            "Petit rituel du soir : lumière tamisée, plaid en lin et une "
            "bougie au bois de cèdre. Et vous, quel est votre rituel cocooning ? 🕯️",
            (-4, "18:00"),
            1,
        ),
        PostSpec(
            "published",
            ("ig",),
            "Les coulisses du shooting : deux jours, quarante bougies et un chat qui "
            "voulait absolument être sur la photo 🐈 #coulisses",
            (-3, "09:00"),
            2,
            image=1,
        ),
        PostSpec(
            "published",
            ("fb", "li"),
            "-15 % sur toute la collection Lin jusqu'à dimanche avec le code "
            "LUMIERE15. Livraison offerte dès 60 €.",
            (-2, "12:00"),
            3,
            True,
            link="https://maisonlumiere.example/lin",
        ),
        PostSpec(
            "failed",
            ("ig",),
            "Notre lampe « Aube » en céramique émaillée arrive la semaine prochaine. Restez à l'écoute ✨",
            (-2, "18:00"),
            1,
        ),  # no picture: Instagram refuses it
        PostSpec(
            "needs_user",
            ("threads",),
            "Question du jour : plutôt bougie parfumée ou bougie naturelle ? Dites-le-nous en commentaire 👇",
            (-1, "10:00"),
            1,
        ),
        PostSpec(
            "unconfirmed",
            ("masto",),
            "Merci pour vos 10 000 abonnés ! Pour fêter ça, une surprise se "
            "prépare à l'atelier cette semaine 🎉",
            (-1, "17:30"),
            2,
        ),
        PostSpec(
            "cancelled",
            ("fb",),
            "Vente privée réservée aux abonnés : rendez-vous jeudi à 19 h en story.",
            (-1, "12:00"),
            3,
        ),
        PostSpec(
            "retry_wait",
            ("li",),
            "Nous recrutons un·e artisan·e cirier·ère en CDI pour notre atelier de "
            "Lyon. Candidatures en lien.",
            None,
            2,
            link="https://maisonlumiere.example/emplois",
        ),
        PostSpec(
            "scheduled",
            ("ig", "fb"),
            "Lin & Lumière : des bougies aux notes de fleur d'oranger et de "
            "mimosa, des plaids en lin lavé. La collection est en ligne. #deco #faitmain",
            (1, "09:00"),
            1,
            True,
            image=0,
            first_comment="#bougie #artisanat #lyon",
        ),
        PostSpec(
            "scheduled",
            ("li",),
            "Pourquoi une cire 100 % colza française : moins de suie, une combustion "
            "plus longue et des agriculteurs à 80 km de l'atelier.",
            (2, "12:30"),
            0,
            link="https://maisonlumiere.example/engagements",
            variants={
                "li": "Pourquoi nous avons choisi une cire 100 % colza française : moins de suie, une "
                "combustion plus longue, et des agriculteurs installés à 80 km de l'atelier. Un "
                "choix qui nous coûte 20 % de plus, et que nous ne regrettons pas."
            },
        ),
        PostSpec(
            "scheduled",
            ("bsky", "masto"),
            "Astuce : recoupez la mèche à 5 mm avant chaque allumage. La "
            "bougie brûlera plus longtemps et plus proprement. 🕯️",
            (3, "18:00"),
            1,
        ),
        PostSpec(
            "scheduled",
            ("ig",),
            "Nouveau : le coffret « Lumière du matin », trois mini-bougies et un "
            "photophore en verre soufflé. Idéal à offrir 💐",
            (5, "09:30"),
            3,
            True,
            image=2,
        ),
        PostSpec(
            "paused",
            ("fb",),
            "Jeu concours : gagnez un coffret Lin & Lumière ! Abonnez-vous et identifiez "
            "une amie en commentaire.",
            (4, "11:00"),
            3,
            True,
        ),
        PostSpec(
            "draft",
            ("ig",),
            "Idée de série « Une pièce, une lumière » : chaque semaine, une pièce de la "
            "maison et la lampe qui lui va. À développer avec des photos de clientes.",
            None,
            1,
        ),
        PostSpec(
            "draft",
            ("li", "fb"),
            "Bilan de notre première année sans plastique dans les colis : 2,3 tonnes "
            "évitées. Merci à vous 💚",
            (6, "10:00"),
            2,
        ),
        PostSpec(
            "in_review",
            ("ig", "fb"),
            "Atelier bougie à Lyon le 12 : apprenez à couler votre propre bougie "
            "en deux heures. 8 places, 45 € par personne.",
            (3, "09:00"),
            0,
            link="https://maisonlumiere.example/ateliers",
        ),
        # Approved by the manager, waiting for the client: what the client user sees in review.
        PostSpec(
            "in_review",
            ("ig",),
            "La lampe « Aube » est là : céramique émaillée à la main, abat-jour en lin "
            "naturel. Trois coloris, 129 €. #deco",
            (4, "18:30"),
            1,
            True,
            image=2,
            comment="manager",
        ),
        PostSpec(
            "changes_requested",
            ("fb",),
            "SOLDES !!! Tout doit disparaître, -50% sur tout le site !!!",
            (2, "17:00"),
            3,
            comment="Le ton ne correspond pas à la marque : pas de majuscules ni de points "
            "d'exclamation en série, et ce n'est pas -50 % sur tout. Reprenons avec l'offre Lin à -15 %.",
        ),
        PostSpec(
            "approved",
            ("bsky",),
            "Nos bougies sont désormais chez nos revendeurs d'Annecy et de Bordeaux. "
            "La liste complète en lien.",
            None,
            1,
            link="https://maisonlumiere.example/revendeurs",
        ),
    ),
    insights=InsightSpec(
        currency="EUR",
        objectives=(
            ObjectiveSpec("engagement", "Taux d'engagement au-dessus de 4 %", "engagement_rate", "4"),
            ObjectiveSpec("traffic", "300 clics vers la boutique", "clicks", "300"),
            # A level, not a growth: the seed reads each account once, the worker's later polls show growth.
            ObjectiveSpec(
                "awareness",
                "30 000 abonnés sur Instagram et Facebook",
                "followers",
                "30000",
                channels=("ig", "fb"),
            ),
            ObjectiveSpec(
                "revenue",
                "25 commandes venues des réseaux (Lin & Lumière)",
                "conversions",
                "25",
                campaign=True,
            ),
        ),
        budget=(
            BudgetSpec("content", "Shooting photo de la collection Lin", "1200", "1150", campaign=True),
            BudgetSpec("paid", "Publicités Instagram Lin & Lumière", "800", "640", campaign=True),
            BudgetSpec(
                "influencers", "Partenariat avec une créatrice déco lyonnaise", "600", "600", campaign=True
            ),
            BudgetSpec("contests", "Jeu concours : coffrets à gagner", "150", "0"),
            BudgetSpec("tools", "Abonnements (banque d'images, montage vidéo)", "90", "90"),
        ),
        tracking=True,
        order_label="Commande boutique en ligne",
        report_name="Bilan mensuel Maison Lumière",
        listening=ListeningSpec(
            brand="Maison Lumière",
            competitors=("Cirelle", "Flammea"),
            products=("Bougie Figuier", "Lampe Aube"),
            brand_query=("Maison Lumière", '"Maison Lumière" OR @maisonlumiere OR #maisonlumiere'),
            competitor_query=("Concurrents bougies", "Cirelle OR Flammea"),
            source_name="Flux de démonstration (bac à sable)",
        ),
        rule_name="Pic de mentions Maison Lumière",
        statements=(
            (
                "fr",
                "Premier message d'attente",
                "Nous avons bien vu vos messages et nous prenons la situation très au "
                "sérieux. Notre équipe examine ce qui s'est passé et reviendra vers vous ici avant ce soir. Merci de "
                "votre patience.",
            ),
            (
                "en",
                "First holding statement",
                "We have seen your messages and we are taking this very seriously. "
                "Our team is looking into what happened and will update you here before the end of the day. Thank "
                "you for your patience.",
            ),
        ),
    ),
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
    posts=(
        PostSpec(
            "published",
            ("x", "bsky"),
            "Monday fuel ☕ Our new Ethiopia Guji is in: blueberry, jasmine and "
            "dark chocolate. Roasted in Brooklyn this morning.",
            (-6, "07:30"),
            0,
        ),
        PostSpec(
            "published",
            ("li",),
            "Every bag we roast is now direct trade: bought from farms we have "
            "visited, at prices set with the growers. Here is what it took.",
            (-5, "12:00"),
            0,
            link="https://northwind.example/direct-trade",
        ),
        PostSpec(
            "published",
            ("ig", "fb"),
            "Latte art Friday: Maya from our Williamsburg shop poured this rosetta "
            "in one take. Tag a barista who deserves a shout-out 👇 #latteart",
            (-4, "08:00"),
            2,
            image=0,
        ),
        PostSpec(
            "published",
            ("x",),
            "Pro tip: grind right before you brew. Ground coffee loses most of its aroma within 15 minutes.",
            (-3, "16:00"),
            1,
        ),
        PostSpec(
            "published",
            ("masto", "bsky"),
            "Cold brew is now on tap all year in our three shops: steeped 18 hours, served over big ice.",
            (-2, "09:00"),
            3,
        ),
        PostSpec(
            "failed", ("ig",), "Weekend hours: all shops open 7am to 7pm. See you there!", (-2, "11:00"), 2
        ),
        PostSpec(
            "cancelled",
            ("fb",),
            "Pop-up at the Union Square market this Saturday: postponed, new date soon.",
            (-1, "10:00"),
            2,
        ),
        PostSpec(
            "claimed",
            ("x",),
            "Flash deal: 2-for-1 drip coffee until noon at our Williamsburg shop. Just "
            'say "Northwind" at the counter.',
            None,
            3,
        ),
        PostSpec(
            "sending",
            ("li",),
            "We are hiring a head roaster. If you know your Maillard from your first "
            "crack, we would love to hear from you.",
            None,
            2,
            link="https://northwind.example/jobs",
        ),
        PostSpec(
            "scheduled",
            ("x", "bsky", "masto"),
            "Tomorrow we launch our Colombia Huila single origin: caramel, red apple, a clean finish ☀️",
            (1, "07:00"),
            0,
            True,
        ),
        PostSpec(
            "scheduled",
            ("ig", "fb"),
            "Meet the farmer: Don Alirio has grown coffee in Huila for 40 years. "
            "His lot is our Colombia of the season. #directtrade",
            (2, "12:00"),
            0,
            True,
            image=1,
            first_comment="Full story on our blog: northwind.example/huila",
        ),
        PostSpec(
            "scheduled",
            ("li",),
            "Coffee with purpose: from this week, 5% of every bag sold goes to our "
            "barista training fund in Brooklyn.",
            (3, "08:30"),
            2,
            link="https://northwind.example/fund",
        ),
        PostSpec(
            "scheduled",
            ("x",),
            "Poll: what's your go-to order? ☕ Espresso 🥛 Latte 🧊 Cold brew 🍵 Tea (we won't judge)",
            (5, "15:00"),
            2,
        ),
        PostSpec(
            "scheduled",
            ("fb",),
            "Join our home-brewing class on Saturday: pour-over, French press and "
            "AeroPress in 90 minutes. $25, beans included.",
            (6, "09:00"),
            1,
            link="https://northwind.example/classes",
        ),
        PostSpec(
            "draft",
            ("x",),
            "Thread idea: the journey of one bean from Huila to your cup, in 8 posts. Outline first.",
            None,
            0,
        ),
        PostSpec(
            "draft",
            ("ig",),
            "Behind the counter: a day in the life of our Williamsburg crew (photos from Maya to come).",
            (4, "10:00"),
            2,
        ),
        PostSpec(
            "in_review",
            ("x", "li"),
            "New in shops: the Northwind tumbler keeps coffee hot for 6 hours. Made from 80% recycled steel.",
            (2, "17:00"),
            3,
            image=2,
        ),
        PostSpec(
            "in_review",
            ("bsky",),
            "Decaf that doesn't taste like decaf: our Swiss Water Peru is here. "
            "Chocolatey, smooth, zero jitters.",
            (4, "08:00"),
            0,
        ),
        PostSpec(
            "changes_requested",
            ("ig",),
            "BEST COFFEE IN NYC!!! Come try it!!!",
            (3, "12:00"),
            3,
            image=0,
            comment="Let's not claim \"best in NYC\", we can't back it up. Lead with the new Colombia and "
            "a real photo instead.",
        ),
        PostSpec(
            "approved",
            ("masto",),
            "Thanks to everyone who came to our 5th birthday party last night. "
            "600 cups poured, one very tired team ❤️",
            None,
            2,
        ),
    ),
    insights=InsightSpec(
        currency="USD",
        objectives=(
            ObjectiveSpec("engagement", "Engagement rate above 3.5%", "engagement_rate", "3.5"),
            ObjectiveSpec("awareness", "120,000 impressions this month", "impressions", "120000"),
            ObjectiveSpec(
                "awareness", "35,000 followers on X and Instagram", "followers", "35000", channels=("x", "ig")
            ),
            ObjectiveSpec("engagement", "30 posts published", "posts_published", "30"),
        ),
        budget=(
            BudgetSpec("content", "Huila origin photo and video shoot", "1500", "1380", campaign=True),
            BudgetSpec(
                "paid", "Instagram and Facebook boosts for the Huila launch", "900", "720", campaign=True
            ),
            BudgetSpec("influencers", "Two Brooklyn coffee creators", "700", "350", campaign=True),
            BudgetSpec("tools", "Design and scheduling tools", "120", "120"),
            BudgetSpec("other", "Latte art throwdown prizes", "200", "0"),
        ),
        tracking=False,
        order_label="Online order",
        report_name="Northwind monthly report",
        listening=ListeningSpec(
            brand="Northwind",
            competitors=("Brewster", "Roastly"),
            products=("Northwind Tumbler", "Huila"),
            brand_query=("Northwind", "Northwind OR @northwindcoffee OR #northwindcoffee"),
            competitor_query=("Coffee competitors", "Brewster OR Roastly"),
            source_name="Demo stream (sandbox)",
        ),
        rule_name="Northwind mention spike",
        statements=(
            (
                "en",
                "First holding statement",
                "We have seen your messages and we are taking this very seriously. "
                "Our team is looking into what happened and will update you here before the end of the day. Thank "
                "you for your patience.",
            ),
            (
                "fr",
                "Premier message d'attente",
                "Nous avons bien vu vos messages et nous prenons la situation très au "
                "sérieux. Notre équipe examine ce qui s'est passé et reviendra vers vous ici avant ce soir. Merci de "
                "votre patience.",
            ),
        ),
    ),
)

BRANDS = (MAISON, NORTHWIND)
