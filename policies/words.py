"""Words as a person reads them: texts split into case-folded stems, so a phrase matches whole words in a row
("earring" matches "Drop Earrings", never "Hearring"); stems are remembered, as every line is read this way."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_CHUNK = re.compile(r"[^\W_]+")  # letters and digits, in any script
_HUMP = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_VOWELS = frozenset("aeiouy")
# Nouns that only look like a verb's -ing form: "earrings" must not become "earr" (nor "ear").
_NOT_INFLECTED = frozenset({"earring", "ring", "string", "setting", "wedding", "sterling", "bearing", "clothing",
                            "packaging", "bling"})
# British spellings a jeweller's text uses, spelt as the American ones.
_SPELLING = {"jewellery": "jewelry", "jeweller": "jeweler", "colour": "color", "grey": "gray"}
_BRITISH_ENDINGS = (("isation", "ization"), ("ising", "izing"), ("ised", "ized"), ("iser", "izer"), ("ise", "ize"))
_CACHE_LIMIT = 4096  # texts remembered per vocabulary; a store's catalogue rarely has more


@lru_cache(maxsize=_CACHE_LIMIT)
def stem(word: str) -> str:
    """One word's stem: engrave, engraved, Engraving and engravings all read "engrav"."""
    word = word.casefold()
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    word = _SPELLING.get(word, word)
    if word in _NOT_INFLECTED:
        return word
    for british, american in _BRITISH_ENDINGS:
        if word.endswith(british) and len(word) > len(british) + 2:
            word = word[: -len(british)] + american
            break
    if word.endswith("ization") and len(word) > 9:
        word = word[:-5]  # personalization -> personaliz, as personalize
    elif word.endswith("ing") and len(word) > 5 and _has_vowel(word[:-3]):
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) > 4 and _has_vowel(word[:-2]):
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _has_vowel(part: str) -> bool:
    return not _VOWELS.isdisjoint(part)


def _undouble(part: str) -> str:
    """monogramm(ed) -> monogram; a doubled l, s or z stays, as in "dressed"."""
    if len(part) > 2 and part[-1] == part[-2] and part[-1] not in "lsz" and part[-1] not in _VOWELS:
        return part[:-1]
    return part


def words(text: str) -> list[str]:
    """A text's words as written: "madeToOrder" -> ["made", "To", "Order"]."""
    found: list[str] = []
    for chunk in _CHUNK.findall(text):
        mixed = chunk.isascii() and not chunk.islower() and not chunk.isupper()
        found.extend(_HUMP.findall(chunk) if mixed else (chunk,))
    return found


@lru_cache(maxsize=_CACHE_LIMIT)
def stems(text: str) -> tuple[str, ...]:
    """The stems of a text's words, in order: "madeToOrder" -> ("mad", "to", "order")."""
    return tuple(stem(word) for word in words(text))


class Vocabulary:
    """Phrases compiled once; `in_text` says whether a text names any of them as whole words, `quote` where."""

    __slots__ = ("phrases", "_by_first", "_joined", "_split", "_seen")

    def __init__(self, phrases: Iterable[str]) -> None:
        phrases = tuple(phrases)
        compiled = {found for found in (stems(phrase) for phrase in phrases) if found}
        self.phrases: frozenset[tuple[str, ...]] = frozenset(compiled)
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in sorted(compiled):
            self._by_first.setdefault(phrase[0], []).append(phrase)
        # A phrase of several words is also found run together ("giftcard", "specialorder"); a one-word
        # phrase is also found split in two ("ear ring"), each part at least three letters long.
        self._joined = frozenset(stem("".join(_CHUNK.findall(phrase))) for phrase in phrases
                                 if len(stems(phrase)) > 1)
        singles = [found[0].casefold() for found in (words(phrase) for phrase in phrases) if len(found) == 1]
        self._split = frozenset((stem(single[:at]), stem(single[at:]))
                                for single in singles for at in range(3, len(single) - 2))
        self._seen: dict[str, bool] = {}

    def in_text(self, text: str) -> bool:
        if not self.phrases:
            return False
        found = self._seen.get(text)
        if found is None:
            found = self.span(stems(text)) is not None
            if len(self._seen) >= _CACHE_LIMIT:
                self._seen.clear()
            self._seen[text] = found
        return found

    def quote(self, text: str) -> str | None:
        """The words of `text` that name a phrase, as written ("Engraved" in "Engraved heart locket")."""
        found = self.span(stems(text))
        return None if found is None else " ".join(words(text)[found[0]:found[1]])

    def span(self, stemmed: tuple[str, ...]) -> tuple[int, int] | None:
        """Where the first phrase is found among these stems: (first word, one past the last)."""
        by_first, count = self._by_first, len(stemmed)
        for at, word in enumerate(stemmed):
            if word in self._joined:
                return at, at + 1
            for phrase in by_first.get(word, ()):
                if stemmed[at:at + len(phrase)] == phrase:
                    return at, at + len(phrase)
            if at + 1 < count and (word, stemmed[at + 1]) in self._split:
                return at, at + 2
        return None


@lru_cache(maxsize=256)
def vocabulary(phrases: tuple[str, ...]) -> Vocabulary:
    """The compiled Vocabulary for these phrases, shared: every load of a policy reuses it, answers remembered."""
    return Vocabulary(phrases)
