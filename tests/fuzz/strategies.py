"""What the fuzz tests type (issue 27): random Unicode, and text made of the
knowledge base's own words (data/knowledge/vocabulary.yml, word_groups.yml)
with the characters phones and copy-paste put into it: invisible format
characters, superscript, circled and other scripts' digits, full-width letters,
emoji, very long words, one vocabulary word said over and over.

Every test runs a fixed number of examples chosen from a fixed seed
(`derandomize`), so a run in CI is the run on a developer's machine; no
deadline, since speed is `make bench`'s to check."""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from knowledge_base.loader import load_knowledge

_FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def fuzz(examples: int) -> settings:
    """The settings of a fuzz test that tries `examples` examples."""
    return settings(_FUZZ, max_examples=examples)

# Invisible: soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width space,
# non-joiner and joiner, left-to-right and right-to-left marks, bidi embeddings and
# overrides, word joiner, invisible times, bidi isolates, BOM, an interlinear annotation
# anchor, a tag character.
FORMAT = "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2062" \
         "\u2066\u2067\u2068\u2069\ufeff\ufff9\U000e0041"
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
CIRCLED_DIGITS = "⓪①②③④⑤⑥⑦⑧⑨"
# Zero of each: Arabic-Indic, extended Arabic-Indic, Devanagari, Bengali, Thai, full-width,
# mathematical bold, and the digits-like characters str.isdigit() takes but int() refuses.
OTHER_DIGIT_ZEROS = (0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xFF10, 0x1D7CE)
OTHER_DIGITS = "".join(chr(zero + n) for zero in OTHER_DIGIT_ZEROS for n in range(10)) + "𐩀𐩁𐩂𐩃⑴⒈❶➀"
EMOJI = ["😭", "🦵", "🦵🏽", "👍🏿", "❤️", "🏳️‍🌈", "👨‍👩‍👧", "🫁", "🆘", "1️⃣", "#️⃣", "🇺🇸", "😷\u200d", "🤒"]
ODD_SPACES = ["\u00a0", "\u2002", "\u2009", "\u3000", "\u2028", "\u2029", "\t", "\n", "  "]
# Lone surrogates arrive in JSON ("\ud83d") and no encoder takes them.
SURROGATES = "\ud800\udbff\udc00\udfff\ud83d"


@cache
def vocabulary_words() -> list[str]:
    """Every phrase of the vocabulary and every word of its word groups (without the trailing *)."""
    data = load_knowledge()
    words = {phrase for term in data.terms for phrase in term.get("synonyms", [])}
    words |= {word.rstrip("*") for group in data.word_groups for word in group.get("words", [])}
    return sorted(words)


def digit_variant(digit: str) -> st.SearchStrategy[str]:
    """An ASCII digit as it may come: itself, superscript, circled, or another script's."""
    n = int(digit)
    return st.sampled_from([digit, SUPERSCRIPT_DIGITS[n], CIRCLED_DIGITS[n]]
                           + [chr(zero + n) for zero in OTHER_DIGIT_ZEROS])


@st.composite
def clock_time(draw: st.DrawFn) -> str:
    """A clock time said as when it began, some of its digits in other forms: "since 3²0pm", "at 10:3⁰"."""
    hour = draw(st.integers(1, 12))
    minutes = draw(st.sampled_from(["", ":00", ":15", ":30", ":45", ".20"]))
    suffix = draw(st.sampled_from(["", "am", "pm", " am", " pm"]))
    digits = "".join(draw(digit_variant(c)) if c.isdigit() else c for c in f"{hour}{minutes}")
    cue = draw(st.sampled_from(["since", "at", "from", "since half past", "since quarter to", "started at"]))
    return f"{cue} {digits}{suffix}"


@st.composite
def hidden_in(draw: st.DrawFn, word: str) -> str:
    """A word with invisible characters inside it, or written in full-width letters."""
    if word.isascii() and word.isalpha() and draw(st.booleans()):
        if draw(st.integers(0, 4)) == 0:
            return "".join(chr(ord(c) + 0xFEE0) for c in word)  # full-width: ｓｗｏｌｌｅｎ
    characters = list(word)
    for _ in range(draw(st.integers(0, 3))):
        characters.insert(draw(st.integers(0, len(characters))), draw(st.sampled_from(FORMAT)))
    return "".join(characters)


@st.composite
def with_noise(draw: st.DrawFn, sentence: str) -> str:
    """The sentence as a phone may send it: invisible characters inside its words, a clock
    time with superscript or other digits after it, emoji and odd spaces around it."""
    words = [draw(hidden_in(word)) for word in sentence.split(" ")]
    text = "".join(word + draw(st.sampled_from([" ", " ", "\u00a0", "\u2009", "  "])) for word in words).rstrip()
    if draw(st.booleans()):
        text += f" {draw(clock_time())}"
    before = "".join(draw(st.lists(st.sampled_from(EMOJI + ODD_SPACES), max_size=3)))
    after = "".join(draw(st.lists(st.sampled_from(EMOJI + ODD_SPACES + ["!", "!!", "..."]), max_size=3)))
    return f"{before}{text}{after}"


def characters() -> st.SearchStrategy[str]:
    """Any character, with the troublesome ones drawn far more often than chance would."""
    return st.one_of(st.characters(codec=None), st.sampled_from(FORMAT + SUPERSCRIPT_DIGITS + CIRCLED_DIGITS
                                                                + OTHER_DIGITS + SURROGATES),
                     st.sampled_from(EMOJI + ODD_SPACES))


def pieces(surrogates: bool = True) -> st.SearchStrategy[str]:
    """One piece of a message: a vocabulary word (perhaps with invisible characters in it), a
    clock time, a run of random characters, a very long word, or a vocabulary word said over and over."""
    random_run = st.lists(characters(), max_size=30).map("".join)
    if not surrogates:
        random_run = random_run.map(lambda run: "".join(c for c in run if not "\ud800" <= c <= "\udfff"))
    word = st.sampled_from(vocabulary_words())
    return st.one_of(
        word,
        word.flatmap(hidden_in),
        clock_time(),
        random_run,
        st.integers(50, 600).map(lambda n: "a" * n),
        st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz" + FORMAT + SUPERSCRIPT_DIGITS), min_size=40, max_size=300),
        st.tuples(word, st.integers(2, 80)).map(lambda said: " ".join([said[0]] * said[1])),
        st.sampled_from(EMOJI + ["2²", "③", "٣:٤٥", "10:3⁰", "half past ②", "3²0pm", "1" * 5000]),
    )


def messages(max_pieces: int = 8, surrogates: bool = True) -> st.SearchStrategy[str]:
    """A message of a few pieces, joined by spaces, odd spaces or nothing."""
    joiner = st.sampled_from([" ", "", ", ", ". ", "\n"] + ODD_SPACES)
    return st.lists(st.tuples(pieces(surrogates), joiner), max_size=max_pieces).map(
        lambda parts: "".join(piece + join for piece, join in parts))


# Warning signs that must be told whatever noise comes with them (each an emergency in
# data/knowledge/red_flags.yml).
RED_FLAG_SENTENCES = [
    "my calf is swollen and I can't breathe",
    "my leg is swollen and I have chest pain",
    "I'm coughing up blood and my calf is swollen",
]
