"""A word-by-word English gloss of a Welsh message, for the sentence encoder only.

The sentence encoder (bot/nlu/encoder.py, all-MiniLM-L6-v2) learned English
only: a Welsh report ("mae'r golau stryd wedi torri ers wythnos") is noise to
it, so Welsh rested on the word and character n-grams alone and was read with
low confidence (docs/nlu-evaluation.md, "Welsh (issue 15)"). The encoder is
given the gloss instead ("is the street light broken since week"): broken
English, but English it knows. The n-grams still read the resident's own words.

Every text's vector as written goes in the first ``DIMENSION`` columns, and a
Welsh text's gloss's in the next ``DIMENSION`` (``encode``): Welsh keeps what
the weights learned with English make of it, and has weights of its own over
what its gloss means. Putting the gloss in the shared columns, or a Welsh
text's gloss alone, moved the English figures; this form keeps every English
one, for a second encoder run on a Welsh message. Measured:
docs/nlu-evaluation.md, "Welsh".

The lexicon is ours (``welsh_gloss.tsv``: council vocabulary, function words,
days, replies), in radical forms; a word not in it is looked up again as each
radical its mutation could come from ("fin", "min" -> "bin"; "nghar", "char",
"gar" -> "car"; "dwll" -> "twll"), and "'r", "'n" and the like are split off.
Words it does not know are kept: English loanwords and code-switching ("mae'r
bins heb gael eu collectio") reach the encoder as they were written.

Only Welsh messages are glossed: a message with a Welsh word of the lexicon
that bot/language/identify.py (the step that sets a conversation's language)
identifies as Welsh; English text is never changed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot.nlu.encoder import DIMENSION

LEXICON_FILE = Path(__file__).with_name("welsh_gloss.tsv")
# The longest phrase in the lexicon, in words.
MAX_PHRASE = 4
# Lexicon words, and English words that look like a mutated lexicon word ("for" <- "mor", "no" <- "do"),
# that English messages are full of: no evidence that a message is Welsh. A message with no other
# lexicon word is not identified at all, which keeps the identification step (~0.1 ms a short
# message, more a long one) off nearly every English message.
SHARED_WITH_ENGLISH = frozenset("""
a ac ag am at bag band be beth bin bins bob bore brown cal car cod cul da dan dim do does e fan fe ga gen
graffiti graffitti gwyn help helo hen hi hun i lamp landlord lan mam mas mi mis na ni nos offer ol os pa
pam partner pen person plant post problem robot staff storm sul ta tad tai tan tap tarmac tenant ti to tri
tu ty un union wal warden well y yn
for no an more me than reg goes he law i'm rad nan lawn min
""".split())
# Identification reads at most this many words: a long message's language shows in its start.
IDENTIFY_WORDS = 30

# Initial letters a mutation leaves -> the radical letters it may have come from, most
# likely first (soft, nasal, aspirate; "h" before a vowel after "ei", "eu", "ein").
_MUTATIONS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("ngh", ("c",)), ("mh", ("p",)), ("nh", ("t",)), ("ng", ("g",)), ("ch", ("c",)), ("ph", ("p",)),
    ("th", ("t",)), ("dd", ("d",)), ("f", ("b", "m")), ("b", ("p",)), ("d", ("t",)), ("g", ("c",)),
    ("l", ("ll", "gl")), ("r", ("rh", "gr")), ("m", ("b",)), ("n", ("d",)), ("h", ("",)),
)
_VOWELS = "aeiouwyâêîôûŵŷ"
# What follows an apostrophe: "mae'r" (is the), "i'n" (to our / in), "wedi'i" (has its).
_CLITICS = {"r": "the", "n": "", "i": "", "u": "", "w": "", "m": "my", "ch": "your", "th": "your", "na": "there"}
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})
_EDGES = re.compile(r"^[^\w']+|[^\w']+$")


@lru_cache(maxsize=1)
def lexicon() -> Dict[str, str]:
    """The Welsh -> English lexicon (``welsh_gloss.tsv``), keys lower case."""
    entries: Dict[str, str] = {}
    for line in LEXICON_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        welsh, _, english = line.partition("\t")
        entries[" ".join(welsh.lower().split())] = english.strip()
    return entries


def radicals(word: str) -> List[str]:
    """The radical forms ``word`` could be a mutation of (not including itself)."""
    found = []
    for mutated, sources in _MUTATIONS:
        if word.startswith(mutated) and len(word) > len(mutated):
            found.extend(source + word[len(mutated):] for source in sources)
    if word[:1] in _VOWELS:
        found.append("g" + word)  # soft mutation drops g: "olau" <- "golau", "wastraff" <- "gwastraff"
    return found


def word_gloss(word: str) -> Optional[str]:
    """English for one Welsh word (lower case), or None when the lexicon does not know it."""
    words = lexicon()
    if word in words:
        return words[word]
    for radical in radicals(word):
        if radical in words:
            return words[radical]
    if "'" in word.strip("'"):
        head, _, tail = word.strip("'").partition("'")
        head_gloss = word_gloss(head)
        if head_gloss is not None and tail in _CLITICS:
            return " ".join(w for w in (head_gloss, _CLITICS[tail]) if w)
    return None


def _tokens(text: str) -> List[str]:
    return [t for t in (_EDGES.sub("", raw) for raw in text.translate(_APOSTROPHES).lower().split()) if t]


def gloss(text: str) -> str:
    """``text`` read word by word into English: known phrases and words translated, the rest kept."""
    words = lexicon()
    tokens = _tokens(text)
    out: List[str] = []
    index = 0
    while index < len(tokens):
        for size in range(min(MAX_PHRASE, len(tokens) - index), 1, -1):
            phrase = " ".join(tokens[index:index + size])
            if phrase in words:
                out.append(words[phrase])
                index += size
                break
        else:
            token = tokens[index]
            english = word_gloss(token)
            out.append(token if english is None else english)
            index += 1
    return " ".join(w for w in out if w)


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from bot.language.identify import Identifier

    return Identifier(["cy", "en"])


def prepare() -> None:
    """Build the language identifier now (about 0.7 s of CPU and 86 MB) rather than on the first
    message with a Welsh word, which would otherwise wait that long, and every turn with it."""
    _identifier()


def is_welsh(text: str) -> bool:
    """Whether ``text`` is identified as Welsh (bot/language/identify.py)."""
    guess = _identifier().identify(text)
    return guess is not None and guess.language == "cy"


@lru_cache(maxsize=1)
def _welsh_forms() -> frozenset:
    """Every single-word lexicon entry and each of its mutated forms, less those English shares."""
    forms = set()
    for word in (key for key in lexicon() if " " not in key):
        forms.add(word)
        for mutated, sources in _MUTATIONS:
            forms.update(mutated + word[len(source):] for source in sources if source and word.startswith(source))
        if word.startswith("g"):
            forms.add(word[1:])
        if word[:1] in _VOWELS:
            forms.add("h" + word)
    return frozenset(forms - SHARED_WITH_ENGLISH)


def _has_welsh_words(tokens: Sequence[str]) -> bool:
    """Whether any token is a lexicon word (mutated, or with "'r", "'n"...) that English does not share.
    Set look-ups only: it runs on every message, English ones included."""
    forms = _welsh_forms()
    return any(token in forms or token.split("'")[0] in forms for token in tokens)


def welsh_flags(texts: Sequence[str]) -> List[bool]:
    """Whether each text is Welsh: it has a Welsh word of the lexicon and is identified as Welsh
    (bot/language/identify.py) on its first ``IDENTIFY_WORDS`` words, lower-cased with spaces
    collapsed: the form the classifier parses (its cache key), so training and parsing decide alike."""
    flags = []
    for text in texts:
        words = text.lower().split()[:IDENTIFY_WORDS]
        flags.append(_has_welsh_words(_tokens(" ".join(words))) and is_welsh(" ".join(words)))
    return flags


def encode(encoder, texts: Sequence[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The classifier's dense features, ``2 * DIMENSION`` wide: the encoder's vector of the text as
    written in the first half, and for a Welsh text the vector of its gloss in the second (else zero).

    A Welsh text is encoded twice (as written, and glossed): its first half then shares the weights
    English texts train, as before the gloss, and the English figures stay as they were."""
    flags = welsh_flags(texts)
    welsh_rows = [row for row, welsh in enumerate(flags) if welsh]
    read = [*texts, *(gloss(texts[row]) for row in welsh_rows)]
    vectors = np.asarray(encoder.encode(read), dtype=np.float32)
    out = np.zeros((len(texts), 2 * DIMENSION), dtype=np.float32)
    out[:, :DIMENSION] = vectors[: len(texts)]
    for k, row in enumerate(welsh_rows):
        out[row, DIMENSION:] = vectors[len(texts) + k]
    return out
