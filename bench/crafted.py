"""Crafted messages for `make bench`'s adversarial row (issue 27): each is
2,000 characters (the channels' cap, `turns.messages.MAX_MESSAGE_CHARACTERS`)
of the kind that made understanding cost grow faster than the length of the
message, found by reading the pipeline's combination checks
(`cramp_nlu.said_together`, `cramp_nlu.pipeline`). The ordinary message is a
long description in a person's own words, of the same length: the row
compares the worst crafted message's CPU with it, in the same run."""

from __future__ import annotations

# The channels' cap (turns.messages.MAX_MESSAGE_CHARACTERS); bench does not import turns.
LENGTH = 2000


def filled(unit: str, length: int = LENGTH) -> str:
    """`unit` repeated to `length` characters, cut at a space."""
    text = (unit * (length // len(unit) + 1))[:length]
    return text if len(text) < length or text[-1] == " " else text[:text.rfind(" ")].ljust(length, ".")


# Named kinds, each the worst of its kind the code suggested.
CRAFTED: dict[str, str] = {
    # One word in two word groups ("lungs": breath and chest), said over and over: every pair of its places.
    "one word, two groups": filled("lungs "),
    # A word of three groups (hurting, leg pain, bad).
    "one word, three groups": filled("pain "),
    # A word of both groups of a term read anywhere in one sentence (tetanus risk: a wound, dirt).
    "one word, both groups of a sentence term": filled("thorn "),
    "fork, both groups": filled("fork "),
    # Two groups of a term read anywhere in one sentence (`reach: sentence`), no full stop.
    "a sentence of pairs": filled("walking cramp "),
    "coughed blood, one sentence": filled("cough blood "),
    # Two groups of a term read anywhere in the message (`reach: message`).
    "message-wide pairs": filled("one leg sore "),
    "message-wide with a denial": filled("weak after the cramp not "),
    # Many clause breaks between the words of a pair.
    "clause breaks": filled("lungs and chest but "),
    "sentences": filled("cough. blood. "),
    # Denials, repeated, around findings.
    "repeated denials": filled("no swelling not red never hot "),
    "denials of denials": filled("not that i haven't coughed blood "),
    # Many different vocabulary words.
    "vocabulary words": filled("my calf is swollen red hot numb cold pale blue and I can't breathe chest pain "
                               "coughing blood fainted dizzy cramps at night walking uphill statins diabetes "),
    # Quantities: lengths, clock times, rates.
    "lengths": filled("cramp for 20 mins "),
    "clock times": filled("cramp since 3am its 4 now still "),
    "rates": filled("3 times a week every night "),
    # Misspelt vocabulary words: each read against the vocabulary.
    "misspellings": filled("swolen breth numbb cramppy paralised "),
}

ORDINARY = filled(
    "I have been getting cramps in my calves at night for about three months now, mostly in the left leg. "
    "They wake me up two or three times a week and last a few minutes, then my calf feels sore the next day. "
    "I walk the dog every morning and that seems fine, I don't get pain when I walk. I started a new blood "
    "pressure tablet in the spring. I drink a lot of coffee and not much water. My mum had the same thing. "
    "There's no swelling or redness and my breathing is normal. Stretching helps a bit. ")
