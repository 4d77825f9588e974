"""turns.text.normalise on any text: it never raises, what it returns holds no
invisible, control or non-ASCII digit character, and normalising twice changes
nothing (the door normalises, and so does every later reader that may be
handed the same text)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import RED_FLAG_SENTENCES, characters, fuzz, messages, with_noise
from turns.text import normalise


def unwanted(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text
            if unicodedata.category(c) in ("Cf", "Cs") or (unicodedata.category(c) == "Cc" and c not in "\t\n")
            or (unicodedata.category(c) == "Nd" and not c.isascii())]


@fuzz(400)
@given(st.one_of(messages(), st.lists(characters(), max_size=200).map("".join)))
def test_normalise_never_raises_and_leaves_only_what_reads_the_same(text: str) -> None:
    normalised = normalise(text)
    assert unwanted(normalised) == []
    assert normalise(normalised) == normalised
    normalised.encode("utf-8")  # the logs, the database and JSON all take it


@fuzz(100)
@given(st.sampled_from(RED_FLAG_SENTENCES).flatmap(lambda sentence: st.tuples(st.just(sentence),
                                                                                with_noise(sentence))))
def test_a_sentence_with_noise_normalises_to_its_words(said: tuple[str, str]) -> None:
    sentence, noisy = said
    assert sentence in " ".join(normalise(noisy).split())


def test_the_characters_of_the_issue() -> None:
    assert normalise("since 3²0pm") == "since 320pm"
    assert normalise("at 10:3⁰") == "at 10:30"
    assert normalise("half past ③, ٣:٤٥, ३ बजे") == "half past 3, 3:45, 3 बजे"
    assert normalise("my calf is swol\u00adlen and I can't brea\u200bthe") == "my calf is swollen and I can't breathe"
    assert normalise("\ufeff\u202eｓｗｏｌｌｅｎ\u200d\x00") == "swollen"
    assert normalise("e\u200b\u0301") == "\u00e9"  # the letters either side of a removed character compose
