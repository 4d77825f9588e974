"""cramp_nlu.guarded: a step of the spaCy pipeline that fails on a text is left
out and the text read again, so the warning signs the other steps find are
still found; the log names the step and the exception, never the text."""

from __future__ import annotations

import logging

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from cramp_nlu.guarded import read
from cramp_nlu.pipeline import pipeline_path, terms_present
from turns.fallback import terms_said

SAID = "my calf is swollen and I can't breathe"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return spacy.load(pipeline_path())


def break_steps(nlp: Language, monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    def fail(self: object, doc: Doc) -> Doc:
        raise ValueError(f"could not read {doc.text!r}")

    for name in names:
        monkeypatch.setattr(type(nlp.get_pipe(name)), "__call__", fail)


def test_reading_is_spacys_when_nothing_fails(nlp: Language) -> None:
    assert terms_present(read(nlp, SAID)) == terms_present(nlp(SAID))


@pytest.mark.parametrize("steps", [("said_together",), ("vocabulary_spelling",), ("term_qualifiers",),
                                   ("said_together", "taken_back_answers", "term_qualifiers", "vocabulary_spelling",
                                    "other_medicine_names")])
def test_a_failing_step_is_left_out(nlp: Language, monkeypatch: pytest.MonkeyPatch,
                                    caplog: pytest.LogCaptureFixture, steps: tuple[str, ...]) -> None:
    break_steps(nlp, monkeypatch, *steps)
    with caplog.at_level(logging.ERROR, logger="cramp_nlu.guarded"):
        found = terms_present(read(nlp, SAID))
    assert {"leg_swelling", "breathlessness"} <= set(found)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    # After two failed reads the third runs only the essential steps: not every broken step is reached.
    assert any(repr(step) in logged for step in steps) and "ValueError" in logged
    assert "swollen" not in logged and "calf" not in logged


def test_with_negex_failing_too_nothing_is_under_read(nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the EntityRuler is left: a denial is then read as said, never the other way round.
    break_steps(nlp, monkeypatch, "negex", "said_together", "vocabulary_spelling")
    assert "leg_swelling" in terms_present(read(nlp, "my calf is swollen, no chest pain"))


def test_the_fallback_triage_reads_through_the_guard(nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    break_steps(nlp, monkeypatch, "said_together")
    assert {"leg_swelling", "breathlessness"} <= set(terms_said("my calf is swol\u00adlen and I can't brea\u200bthe"))
