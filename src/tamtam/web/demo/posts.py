"""The demo brands' two weeks of posts, in each brand's own voice (French for Maison Lumière, English
for Northwind Coffee). Times are `(day offset from today, "HH:MM")` in the brand's time zone; texts
avoid seasons so the demo reads right whatever the date it is seeded on.
"""

from __future__ import annotations

from tamtam.web.demo.specs import PostSpec

MAISON_POSTS = (
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
        "Merci pour vos 10 000 abonnés ! Pour fêter ça, une surprise se prépare à l'atelier cette semaine 🎉",
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
        "Nous recrutons un·e artisan·e cirier·ère en CDI pour notre atelier de Lyon. Candidatures en lien.",
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
        "Bilan de notre première année sans plastique dans les colis : 2,3 tonnes évitées. Merci à vous 💚",
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
        "Nos bougies sont désormais chez nos revendeurs d'Annecy et de Bordeaux. La liste complète en lien.",
        None,
        1,
        link="https://maisonlumiere.example/revendeurs",
    ),
)


NORTHWIND_POSTS = (
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
    PostSpec("failed", ("ig",), "Weekend hours: all shops open 7am to 7pm. See you there!", (-2, "11:00"), 2),
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
)
