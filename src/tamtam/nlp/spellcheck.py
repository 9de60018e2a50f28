"""Spell check for social posts in French and English (pyspellchecker's bundled dictionaries, offline).

    check("Bonjoure à tous, rendez-vous sur https://x.fr #promo", "fr")
    → [Misspelling(start=0, end=8, word="Bonjoure", suggestions=["Bonjour"])]

Social text is full of things that are not words of the dictionary and must not be flagged: URLs,
e-mails, @mentions, #hashtags, $cashtags, bare domains, emoji, numbers and words with digits, ACRONYMS,
camelCase brand names (iPhone, LinkedIn) and capitalised names in mid-sentence. French elisions (l'été,
qu'il, jusqu'à) and hyphenated compounds (peut-être, dit-il, a-t-elle) are split the way French writes
them; English contractions and possessives (don't, brand's) likewise.

Speed matters: the composer calls this on every pause in typing. Known words cost two dict look-ups;
suggestions are cached per word. The library's own two-edit search takes ~0.5 s per French word, so
suggestions come from our search over the library's dictionary (ranked by the library's frequencies):
accent-only fixes, then one edit, then — only if nothing was found — two edits with rapidfuzz over the
words of about the same length that share the first letter.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import regex
from rapidfuzz import process
from rapidfuzz.distance import OSA
from spellchecker import SpellChecker

from tamtam.nlp.text import fold_accents, normalize_apostrophes
from tamtam.nlp.wordlists import SOCIAL_WORDS

__all__ = [
    "SUPPORTED_LANGUAGES",
    "Misspelling",
    "check",
    "is_known",
    "normalize_lang",
    "suggest",
    "supports",
    "warm_up",
]

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr")
MAX_SUGGESTIONS = 5


@dataclass(slots=True)
class Misspelling:
    """`word` = text[start:end] (code-point offsets) is not in the dictionary; best suggestions first."""

    start: int
    end: int
    word: str
    suggestions: list[str] = field(default_factory=list)


# --- dictionaries ------------------------------------------------------------------------------------


class _Lexicon:
    """One language's dictionary and the indexes our suggestion search needs."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.checker = SpellChecker(language=lang, distance=1)
        self.freq: dict[str, int] = self.checker.word_frequency.dictionary
        accents: dict[str, list[str]] = {}
        buckets: dict[tuple[str, int], tuple[list[str], list[str]]] = {}
        for word in self.freq:
            folded = fold_accents(word)
            if folded != word:
                accents.setdefault(folded, []).append(word)
            if folded:
                folded_list, words = buckets.setdefault((folded[0], len(folded)), ([], []))
                folded_list.append(folded)
                words.append(word)
        # Accent-insensitive index of the accented words only ("deja" → "déjà"): a third of the size
        # of a full index, and plain words are found by the direct look-up anyway.
        self.accents = {k: tuple(v) for k, v in accents.items()}
        self.buckets = buckets

        self.social = SOCIAL_WORDS.get(lang, frozenset())

    def known(self, word: str) -> bool:
        """`word` is lowercase NFC."""
        if word in self.freq or word in self.social:
            return True
        if "œ" in word:  # the French dictionary writes "oeuvre", "soeur"
            return word.replace("œ", "oe") in self.freq
        # The English dictionary is American: accept British spellings whose American form is known.
        return self._british(word)

    def _british(self, word: str) -> bool:
        if self.lang != "en":
            return False
        return any(
            variant != word and variant in self.freq
            for pattern, repl in _BRITISH
            for variant in (pattern.sub(repl, word),)
        )


# British → American spellings, tried one at a time: colour, organise(d), organisation, analyse, centre,
# defence, travelled, catalogue.
_BRITISH = tuple(
    (regex.compile(pattern), repl)
    for pattern, repl in (
        (r"(?<=\w\w)our", "or"),
        (r"is(?=e$|es$|ed$|ing$|ation|ations|er$|ers$)", "iz"),
        (r"ys(?=e$|es$|ed$|ing$)", "yz"),
        (r"tre(?=s?$)", "ter"),
        (r"ence(?=s?$)", "ense"),
        (r"ll(?=ed$|ing$|er$|ers$)", "l"),
        (r"ogue(?=s?$)", "og"),
    )
)

_LEXICONS: dict[str, _Lexicon] = {}
_LOCK = threading.Lock()


def normalize_lang(lang: str) -> str:
    """`fr-FR`, `fr_CA`, `FR` → `fr`."""
    return (lang or "").replace("_", "-").split("-", 1)[0].strip().lower()


def supports(lang: str) -> bool:
    return normalize_lang(lang) in SUPPORTED_LANGUAGES


def _lexicon(lang: str) -> _Lexicon:
    code = normalize_lang(lang)
    found = _LEXICONS.get(code)
    if found is not None:
        return found
    if code not in SUPPORTED_LANGUAGES:
        raise ValueError(f"spell check supports {', '.join(SUPPORTED_LANGUAGES)}, not {lang!r}")
    with _LOCK:  # double-checked: two composers warming up at once load the dictionary once
        found = _LEXICONS.get(code)
        if found is None:
            found = _LEXICONS[code] = _Lexicon(code)
    return found


def warm_up(langs: Iterable[str] = SUPPORTED_LANGUAGES) -> None:
    """Load dictionaries ahead of the first check (≈0.5 s each), e.g. when a worker starts."""
    for lang in langs:
        _lexicon(lang)


# --- suggestions -------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _suggest_lower(word: str, lang: str) -> tuple[str, ...]:
    lex = _lexicon(lang)
    freq = lex.freq
    folded = fold_accents(word)
    by_freq = lambda w: -freq.get(w, 0)  # noqa: E731 - a sort key, named for reading

    # 1. Same letters, other accents: "deja" → "déjà", "ete" → "été" (the library's correction() also
    #    prefers diacritic-only fixes).
    accent_only = sorted(lex.accents.get(folded, ()), key=by_freq)
    # 2. One edit away (the library's own edit generation), plus one edit on the accent-folded form so
    #    that "developement" (a missing p and a missing accent) still comes back as "développement".
    one_edit = {w for w in lex.checker.edit_distance_1(word) if w in freq}
    if len(folded) > 3:
        for variant in lex.checker.edit_distance_1(folded):
            one_edit.update(lex.accents.get(variant, ()))
            if variant in freq:
                one_edit.add(variant)
    ranked = accent_only + sorted(one_edit.difference(accent_only), key=by_freq)
    if ranked:
        return tuple(ranked[:MAX_SUGGESTIONS])
    # 3. Two edits, only for words long enough for that to stay meaningful.
    if len(folded) < 4:
        return ()
    choices: list[str] = []
    originals: list[str] = []
    for size in range(len(folded) - 2, len(folded) + 3):
        bucket = lex.buckets.get((folded[0], size))
        if bucket:
            choices.extend(bucket[0])
            originals.extend(bucket[1])
    found = process.extract(folded, choices, scorer=OSA.distance, score_cutoff=2, limit=None)
    # Closest first, then the length that changed least (a transposed or doubled letter beats a
    # dropped syllable), then the most frequent word.
    found.sort(key=lambda r: (r[1], abs(len(r[0]) - len(folded)), -freq.get(originals[r[2]], 0)))
    out: list[str] = []
    for _choice, _score, index in found:
        if originals[index] not in out:
            out.append(originals[index])
        if len(out) == MAX_SUGGESTIONS:
            break
    return tuple(out)


def _match_case(template: str, word: str) -> str:
    if template[:1].isupper() and not template.isupper():
        return word[:1].upper() + word[1:]
    return word


def suggest(word: str, lang: str) -> list[str]:
    """Up to five corrections for `word`, best first, in the word's capitalisation."""
    clean = unicodedata.normalize("NFC", normalize_apostrophes(word))
    return [_match_case(word, s) for s in _suggest_lower(clean.lower(), normalize_lang(lang))]


# --- tokenising --------------------------------------------------------------------------------------

# One scanner, alternatives in priority order, so that a URL or an e-mail is consumed whole before
# its parts could look like words. Bare domains need a lowercase TLD: "Merci.De rien" is a typo, not
# a link. Only the `word` group is checked; the others are skipped but still
# count as tokens for sentence boundaries.
_TLDS = (
    "com|org|net|edu|gov|info|biz|io|co|ai|app|dev|me|tv|ly|gl|gg|xyz|shop|blog|social|news|media|eu|fr|be|"
    "ch|lu|ca|qc|uk|us|de|es|it|pt|nl|jp|ma|tn|sn|re|bzh|paris"
)
_SCANNER = regex.compile(
    r"""
    (?P<url>(?i:https?://|www\.)[^\s<>"«»“”]+)
  | (?P<email>[\p{L}\p{N}_.+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+)
  | (?P<mention>@[\p{L}\p{N}_](?:[\p{L}\p{N}_.\-]*[\p{L}\p{N}_])?(?:@[\p{L}\p{N}\-.]+[\p{L}\p{N}])?)
  | (?P<tag>[#\uff03$][\p{L}\p{M}\p{N}_]+)
  | (?P<domain>(?:[\p{L}\p{N}\-]+\.)+(?:"""
    + _TLDS
    + r""")(?![\p{L}\p{N}\-])(?:/[^\s]*)?)
  | (?P<word>[\p{L}\p{M}\p{N}_]+(?:['\u2019\u02bc\-\u2010\u2011][\p{L}\p{M}\p{N}_]+)*)
    """,
    regex.VERBOSE,
)
_URL_TRAILING = ".,;:!?…)]'\"*"
_SENTENCE_END = regex.compile(r"[.!?…\n\r]")
_DIGIT_OR_UNDERSCORE = regex.compile(r"[\p{N}_]")
_HYPHENS = regex.compile(r"[\-\u2010\u2011]")

# French elided articles, pronouns and conjunctions: "l'", "qu'", "jusqu'"…
_ELISIONS_FR = frozenset(
    {
        "l",
        "d",
        "j",
        "m",
        "n",
        "s",
        "t",
        "c",
        "ç",
        "qu",
        "jusqu",
        "lorsqu",
        "puisqu",
        "quoiqu",
        "presqu",
        "quelqu",
    }
)
# English clitics checked by stripping them: "we're" → "we"; "brand's" → "brand".
_CLITICS_EN = ("n't", "'s", "'re", "'ve", "'ll", "'d", "'m")


class _Checker:
    def __init__(self, text: str, lang: str, extra: frozenset[str]) -> None:
        self.text = text
        self.lang = normalize_lang(lang)
        self.lex = _lexicon(self.lang)
        self.extra = extra
        self.found: list[Misspelling] = []

    def known(self, word: str) -> bool:
        lower = unicodedata.normalize("NFC", word).lower()
        return lower in self.extra or self.lex.known(lower)

    def run(self) -> list[Misspelling]:
        previous_end: int | None = None
        for m in _SCANNER.finditer(self.text):
            if m.lastgroup == "word":
                gap = self.text[previous_end : m.start()] if previous_end is not None else ""
                starts_sentence = previous_end is None or _SENTENCE_END.search(gap) is not None
                self.token(m.group(), m.start(), starts_sentence)
            previous_end = m.end()
            if m.lastgroup in {"url", "domain"}:
                # "... https://x.fr. Bonjoure": the final full stop ends the sentence, not the link.
                previous_end -= len(m.group()) - len(m.group().rstrip(_URL_TRAILING))
        return self.found

    def token(self, raw: str, start: int, starts_sentence: bool) -> None:
        word = normalize_apostrophes(raw)
        if self.known(word) or _DIGIT_OR_UNDERSCORE.search(word):
            return
        if "'" in word:
            head = word.partition("'")[0]
            if self.lang == "fr" and head.lower() in _ELISIONS_FR:
                # The elided word after the apostrophe is never at a sentence start: "L'Oréal" is a name.
                self.token(raw[len(head) + 1 :], start + len(head) + 1, False)
                return
            if self.lang == "en" and self.english_clitic(word, starts_sentence):
                return
        if _HYPHENS.search(word):
            offset = 0
            for index, part in enumerate(_HYPHENS.split(raw)):
                if not (self.lang == "fr" and part.lower() == "t"):  # euphonic t: "a-t-il"
                    self.token(part, start + offset, starts_sentence and index == 0)
                offset += len(part) + 1
            return
        self.simple(raw, start, starts_sentence)

    def english_clitic(self, word: str, starts_sentence: bool) -> bool:
        lower = word.lower()
        for clitic in _CLITICS_EN:
            if lower.endswith(clitic) and len(lower) > len(clitic):
                base = word[: -len(clitic)]
                return self.known(base) or not self.should_check(base, starts_sentence)
        return False

    @staticmethod
    def should_check(word: str, starts_sentence: bool) -> bool:
        if len(word) < 2 or word.isupper():
            return False  # single letters; ACRONYMS (and roman numerals)
        if any(c.isupper() for c in word[1:]):
            return False  # iPhone, LinkedIn, McDonald
        # A capitalised word in mid-sentence is taken for a name; at a sentence start it is checked.
        return not (word[0].isupper() and not starts_sentence)

    def simple(self, word: str, start: int, starts_sentence: bool) -> None:
        if not self.should_check(word, starts_sentence) or self.known(word):
            return
        self.found.append(Misspelling(start, start + len(word), word, suggest(word, self.lang)))


def check(text: str, lang: str, extra_words: Iterable[str] = ()) -> list[Misspelling]:
    """Words of `text` that are not in the `lang` dictionary nor in `extra_words`, in text order.

    `extra_words` is the workspace's own word list (brand names, jargon); matching ignores case and the
    apostrophe style. Raises ValueError for a language without a dictionary (see `supports`).
    """
    return _Checker(text, lang, _normalize_extra(extra_words)).run()


def _normalize_extra(words: Iterable[str]) -> frozenset[str]:
    return frozenset(
        unicodedata.normalize("NFC", normalize_apostrophes(w)).strip().lower() for w in words if w
    )


def is_known(word: str, lang: str, extra_words: Iterable[str] = ()) -> bool:
    """Whether one word (no tokenising, no case rules) is in the dictionary or in `extra_words`."""
    lower = unicodedata.normalize("NFC", normalize_apostrophes(word)).lower()
    return lower in _normalize_extra(extra_words) or _lexicon(lang).known(lower)
