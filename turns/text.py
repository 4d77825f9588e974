"""A person's text as every part of the service reads it, worked out once at
the door (turns.messages, and /model/parse): what looks the same reads the
same. Phone keyboards and copy-paste put invisible characters inside words
("swol\u00adlen") and other forms of digits into times ("3\u00b2pm"); left in, they
hide a warning sign from the vocabulary or reach a parser that expects ASCII.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 control characters, except tab and newline.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Invisible format characters (soft hyphen, zero-width space/joiner/non-joiner,
# word joiner, BOM, bidi marks, tags) and lone surrogates, which no encoder
# (the logs, the database, JSON) accepts.
_DROPPED_CATEGORIES = frozenset({"Cf", "Cs"})


def _digit_as_ascii(character: str) -> str:
    if character.isascii() or unicodedata.category(character) != "Nd":
        return character
    return str(unicodedata.decimal(character, ""))


def normalise(text: str) -> str:
    """NFKC (superscript and circled digits, full-width letters become ASCII),
    invisible format and control characters removed, the digits of any script
    as ASCII digits, surrounding whitespace stripped. Never raises on a str,
    and normalise(normalise(text)) == normalise(text)."""
    text = CONTROL_CHARACTERS.sub("", text)
    if text.isascii():
        return text.strip()
    # Removed before NFKC, so that the letters either side of one compose as they would unbroken.
    text = "".join(c for c in text if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    # NFKC yields no format, control or non-ASCII digit character from any other (Unicode 14).
    text = unicodedata.normalize("NFKC", text)
    return "".join(map(_digit_as_ascii, text)).strip()
