"""Reading a text with the project's spaCy pipeline so that a step that fails
on it never costs the person their triage: the text is read again without the
failing step and, if that fails too, with only the steps that find warning
signs and their denials. What failed is logged by its name and exception
class, never with the person's text (an exception's message may quote it)."""

from __future__ import annotations

import logging
import traceback

from spacy.language import Language
from spacy.tokens import Doc

logger = logging.getLogger(__name__)

# The steps that find the vocabulary's phrases and what the person denies (NegEx reads
# the sentencizer's sentences): enough for the red-flag check when the others fail.
ESSENTIAL_STEPS = ("sentencizer", "entity_ruler", "negex")
# The steps each read may run, tried in turn until one read completes; a step that
# failed once is left out of the later reads. At most five reads, the last three of
# only a few linear steps: the cost of a failure stays bounded.
READS: tuple[tuple[str, ...] | None, ...] = (None, None, ESSENTIAL_STEPS, ("entity_ruler",), ())


class StepFailed(Exception):
    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


def log_failure(what: str, error: BaseException) -> None:
    """A failure named by what failed, the exception's class and where it was raised."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    logger.error("%s failed (%s at %s); the message goes on without it.", what, error.__class__.__name__, where)


def _read(nlp: Language, text: str, steps: tuple[str, ...] | None, left_out: set[str]) -> Doc:
    doc = nlp.make_doc(text)
    for name, step in nlp.pipeline:
        if name in left_out or (steps is not None and name not in steps):
            continue
        try:
            doc = step(doc)
        except Exception as error:
            log_failure(f"The spaCy step {name!r}", error)
            raise StepFailed(name) from error
    return doc


def read(nlp: Language, text: str) -> Doc:
    """`nlp(text)`, with any step that raises left out (see above). Raises only
    if the text cannot be split into words at all."""
    left_out: set[str] = set()
    for steps in READS:
        try:
            return _read(nlp, text, steps, left_out)
        except StepFailed as failed:
            left_out.add(failed.step)
    return nlp.make_doc(text)
