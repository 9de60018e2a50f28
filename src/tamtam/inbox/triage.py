"""Triage rules of the inbox (pure, no Django): flags in French and English, and the priority.

Flags (each a set of word patterns, matched on the lower-cased text with accents kept and also
removed, so "reçu" and "recu" both match):

- question: a "?" (also the Arabic "؟"), or a sentence starting with a question word
  (how/what/when/where/why/can you/do you/is it… · comment/pourquoi/quand/où/combien/est-ce que/
  pouvez-vous/avez-vous…).
- complaint: words of a problem with the product or the service (broken, refund, never arrived,
  scam, worst, disappointed… · cassé, rembourse, jamais reçu, arnaque, nul, déçu, en panne…).
- purchase intent: words of wanting to buy (where can I buy, price, how much, in stock, order,
  shipping to… · où acheter, prix, combien coûte, en stock, commander, livraison…).
- influencer: the author's followers ≥ the workspace's threshold (InboxSettings.influencer_followers).
- spam: links to shorteners with money words, "follow for follow", crypto/forex offers, or one
  character repeated 20+ times; also any item by a blocked account.

Priority (0-100), documented in docs/inbox.md:

    complaint 35 + question 25 + purchase intent 25 + influencer 20
    + negative sentiment 30 x P(negative) + direct message 10, capped at 100;
    spam → 0.

Bands: high ≥ 50, medium 25-49, low < 25.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from dataclasses import dataclass

HIGH = 50
MEDIUM = 25

_QUESTION_WORDS = [
    # English
    r"how",
    r"what",
    r"when",
    r"where",
    r"why",
    r"who",
    r"which",
    r"can (?:you|i|we)",
    r"could you",
    r"do (?:you|i)",
    r"does",
    r"is (?:it|there|this)",
    r"are (?:you|there)",
    r"will (?:you|it)",
    r"any (?:news|update)",
    # French
    r"comment",
    r"pourquoi",
    r"quand",
    r"ou",
    r"combien",
    r"quel(?:le)?s?",
    r"qui",
    r"est[- ]ce que",
    r"pouvez[- ]vous",
    r"peut[- ]on",
    r"avez[- ]vous",
    r"y a[- ]t[- ]il",
    r"c'?est quand",
    r"savez[- ]vous",
]
_COMPLAINT = [
    # English
    r"broken",
    r"broke",
    r"refund",
    r"never (?:arrived|received|came)",
    r"not (?:working|received)",
    r"doesn'?t work",
    r"does not work",
    r"stopped working",
    r"scam",
    r"worst",
    r"terrible",
    r"awful",
    r"disappointed",
    r"disappointing",
    r"useless",
    r"complain",
    r"complaint",
    r"still waiting",
    r"no answer",
    r"rip[- ]?off",
    r"defective",
    r"faulty",
    r"unacceptable",
    r"cancel(?:led)? my",
    r"charged twice",
    # French
    r"casse",
    r"cassee",
    r"rembours\w*",
    r"jamais (?:recu|arrive|livre)e?s?",
    r"ne marche (?:pas|plus)",
    r"ne fonctionne (?:pas|plus)",
    r"fonctionne pas",
    r"marche pas",
    r"arnaque",
    r"nul(?:le)?s?",
    r"decu(?:e)?s?",
    r"decevant\w*",
    r"honte",
    r"inadmissible",
    r"inacceptable",
    r"plainte",
    r"toujours pas",
    r"aucune reponse",
    r"en panne",
    r"defectueu\w*",
    r"scandale\w*",
    r"pire",
    r"service client (?:nul|inexistant|injoignable)",
    r"debite deux fois",
]
_PURCHASE = [
    # English
    r"where (?:can|do) i (?:buy|get|order)",
    r"how much",
    r"price",
    r"pricing",
    r"in stock",
    r"buy(?:ing)?",
    r"purchase",
    r"order(?:ing)? (?:one|it|this)",
    r"want (?:one|it|to buy)",
    r"ship(?:ping)? to",
    r"deliver(?:y)? to",
    r"available in",
    r"discount code",
    r"promo code",
    r"take my money",
    r"pre-?order",
    # French
    r"ou (?:l'?)?acheter",
    r"ou (?:le|la|les) trouver",
    r"combien (?:ca )?coute",
    r"quel (?:est le )?prix",
    r"prix",
    r"tarifs?",
    r"en stock",
    r"dispo(?:nible)?s?",
    r"commander",
    r"acheter",
    r"achat",
    r"livr(?:ez|aison)",
    r"code promo",
    r"je (?:le|la|les) veux",
    r"je veux (?:le|la|les|un|une)",
    r"precommande\w*",
]
_SPAM = [
    r"follow (?:for|4) follow",
    r"f4f",
    r"free followers",
    r"crypto",
    r"bitcoin",
    r"forex",
    r"invest(?:ment)? opportunit",
    r"earn \$?\d+",
    r"gagne[rz]? \d+ ?(?:€|euros?)",
    r"dm me for",
    r"click (?:the )?link in (?:my )?bio",
    r"bit\.ly/\S+",
    r"tinyurl\.com/\S+",
    r"onlyfans",
    r"abonne[- ]toi",
    r"visit my profile",
    r"cheap followers",
    r"promo .*bit\.ly",
]


def _compile(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)")


_QUESTION_START = re.compile(r"(?:^|[.!\n]\s*)(?:" + "|".join(_QUESTION_WORDS) + r")(?!\w)")
_COMPLAINT_RE = _compile(_COMPLAINT)
_PURCHASE_RE = _compile(_PURCHASE)
_SPAM_RE = re.compile("|".join(_SPAM))
_REPEATED = re.compile(r"(.)\1{19,}")


@functools.cache
def _combining() -> dict[int, None]:
    # Every combining mark, for str.translate: one C call per text instead of a Python test per
    # character (that test was the largest part of triaging a batch). Built once, on first use.
    return {cp: None for cp in range(0x300, sys.maxunicode + 1) if unicodedata.combining(chr(cp))}


def fold(text: str) -> str:
    """Lower-case without accents (é → e), apostrophes unified: what the rules match against."""
    text = text.lower().replace("\u2019", "'")
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).translate(_combining())


@dataclass(frozen=True)
class Flags:
    question: bool = False
    complaint: bool = False
    purchase_intent: bool = False
    influencer: bool = False
    spam: bool = False

    def names(self) -> list[str]:
        return [
            n for n in ("question", "complaint", "purchase_intent", "influencer", "spam") if getattr(self, n)
        ]


# Rules read at most this much of a text: a 20,000-character comment's intent shows in its start.
MAX_RULE_CHARS = 4000


def flags_for(text: str, followers: int | None, influencer_threshold: int, *, blocked: bool = False) -> Flags:
    head = fold(text[:MAX_RULE_CHARS])
    spam = blocked or bool(_SPAM_RE.search(head)) or bool(_REPEATED.search(head))
    return Flags(
        question=("?" in head or "\u061f" in head or bool(_QUESTION_START.search(head))) and not spam,
        complaint=bool(_COMPLAINT_RE.search(head)) and not spam,
        purchase_intent=bool(_PURCHASE_RE.search(head)) and not spam,
        influencer=followers is not None and influencer_threshold > 0 and followers >= influencer_threshold,
        spam=spam,
    )


def priority(flags: Flags, negative: float, *, direct: bool = False) -> int:
    """The documented formula (module doc): 0-100, spam 0."""
    if flags.spam:
        return 0
    score = (
        35 * flags.complaint
        + 25 * flags.question
        + 25 * flags.purchase_intent
        + 20 * flags.influencer
        + 30 * max(0.0, min(1.0, negative))
        + 10 * direct
    )
    return int(min(100, round(score)))


def band(value: int) -> str:
    if value >= HIGH:
        return "high"
    if value >= MEDIUM:
        return "medium"
    return "low"
