"""The demo brands' strategy kit: objectives, budget, tracking, report, listening and crisis statements."""
# ruff: noqa: E501 - this module is prose; a sentence cut to fit the line is harder to proofread

from __future__ import annotations

from tamtam.web.demo.specs import BudgetSpec, InsightSpec, ListeningSpec, ObjectiveSpec

MAISON_INSIGHTS = InsightSpec(
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
)


NORTHWIND_INSIGHTS = InsightSpec(
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
        BudgetSpec("paid", "Instagram and Facebook boosts for the Huila launch", "900", "720", campaign=True),
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
)
