"""Builds the project's spaCy pipeline from the knowledge base's vocabulary.

blank English -> sentencizer -> vocabulary spelling (a misspelled word of the
vocabulary, "swolen", "breth", "numbb", is read as the word: its NORM) ->
EntityRuler (one pattern per vocabulary synonym, matched on NORM, labelled
with the term's kind and carrying the term's id) -> said together (a term said
in a person's own words: a word of each of its word groups close together in
one clause, "my pee is the colour of cola", "toes gone purple") -> NegEx
(marks "no swelling", "not warm", "denies numbness" as negated) -> term
qualifiers (a finding said in the same clause as one of its qualifiers means
what the vocabulary says it means then: "I always have cold feet" is not a
suddenly cold leg; qualifiers and look-alikes such as "Red Bull" are dropped).

The pipeline is written to build/spacy/leg_cramps-<hash>, where the hash
covers the patterns, the builder's version and spaCy's version: a changed
vocabulary gives a new directory, so Rasa's training cache (keyed on the
model path) can never reuse a stale one.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import spacy
from negspacy.negation import Negex
from negspacy.termsets import termset
from rapidfuzz import process
from rapidfuzz.distance import OSA
from spacy.language import Language
from spacy.tokens import Doc, Span
from spellchecker import SpellChecker

from cramp_nlu import medicine_names
from cramp_nlu.said_together import (  # also registers the "said_together" factory
    ANSWER_KINDS,
    SAID_TOGETHER,
    SHARED_QUALIFIERS,
    close_in_one_clause,
    combinations,
    other_words_of_prefixes,
    term_id,
)
from knowledge_base.db import PROJECT_ROOT
from knowledge_base.loader import WORD_GROUP_KINDS, WORD_GROUP_OPTIONS, KnowledgeData, load_knowledge
from rasa_adapter.budget import out_of_time

# Bump when this file changes what it builds.
BUILDER_VERSION = "34"
PIPELINE_DIR = PROJECT_ROOT / "build" / "spacy"
PIPELINE_PREFIX = "leg_cramps-"


def entity_patterns(data: KnowledgeData) -> list[dict[str, str]]:
    """One EntityRuler phrase pattern per synonym: label = term kind, id = term id;
    then the other names of the medicines (cramp_nlu.medicine_names)."""
    patterns = []
    for term in sorted(data.terms, key=lambda t: (t["kind"], t["id"])):
        for phrase in sorted(dict.fromkeys(s.strip().lower() for s in term["synonyms"])):
            patterns.append({"label": term["kind"], "pattern": phrase, "id": term["id"]})
    kinds = term_kinds(data)
    for class_id, names in sorted(medicine_names.read().items()):
        if class_id in kinds and class_id != medicine_names.ANY_MEDICINE:  # those: OtherMedicineNames
            patterns += [{"label": kinds[class_id], "pattern": name, "id": class_id} for name in names]
    return patterns


def other_medicine_names(nlp: Language) -> list[list[str]]:
    """The dictionary's other medicines (`any_medicine`), each as the words spaCy splits it into."""
    return [[token.lower_ for token in nlp.make_doc(name)]
            for name in medicine_names.read_other()]


# Misspellings: only words of at least this many letters are read as a
# vocabulary word, within one edit (two from 7 letters on; a swap of two
# letters counts as one), and only if they start with the same letter.
MIN_MISSPELT_LETTERS = 4
LONG_WORD_LETTERS = 7


def vocabulary_words(patterns: list[dict[str, str]], word_groups: Iterable[dict[str, Any]]) -> list[str]:
    """The words of the vocabulary's phrases and of the word groups that a
    misspelling may stand for."""
    phrases = [p["pattern"] for p in patterns] + [w for group in word_groups for w in group.get("words", ())]
    return sorted({word for phrase in phrases for word in phrase.split()
                   if word.isalpha() and len(word) >= MIN_MISSPELT_LETTERS})


class VocabularySpelling:
    """Sets the NORM of a misspelled vocabulary word to the word, so that the
    EntityRuler (matching on NORM) reads "my calf is swolen" as "swollen".
    A real English word is never changed, whatever it looks like: "painting"
    is not "fainting", "football" is not "foot" (pyspellchecker's English word
    list, about 160,000 words, is the guard)."""

    def __init__(self, words: list[str]) -> None:
        self.by_first_letter: dict[str, list[str]] = {}
        for word in words:
            self.by_first_letter.setdefault(word[0], []).append(word)
        self.vocabulary = set(words)
        self.english = SpellChecker().word_frequency.dictionary  # read as it is, not copied

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            word = token.lower_
            # A word already read as a name (a medicine) is not a misspelling.
            if (len(word) < MIN_MISSPELT_LETTERS or not token.is_alpha or word in self.vocabulary
                    or word in self.english or token.ent_type):
                continue
            edits = 1 if len(word) < LONG_WORD_LETTERS else 2
            close = process.extractOne(word, self.by_first_letter.get(word[0], ()), scorer=OSA.distance,
                                       score_cutoff=edits)
            if close:
                token.norm_ = close[0]
        return doc


@Language.factory("vocabulary_spelling", default_config={"words": []})
def make_vocabulary_spelling(nlp, name, words):  # type: ignore[no-untyped-def]
    return VocabularySpelling(words)


# How patients (not clinicians) say "I don't have it", added to NegEx's clinical terms;
# "haven't noticed my leg going blue" reaches past the "my" that otherwise ends a scope.
PATIENT_NEGATIONS = ["never", "none", "haven't", "havent", "hasn't", "hasnt", "not any",
                     "nothing like", "nothing's", "nothing is", "nothing looks", "nothing feels", "zero", "neither",
                     "nor"] + [
    f"{denial} {verb}{whose}"
    for denial in ("haven't", "havent", "have not", "hasn't", "hasnt", "has not", "didn't", "didnt", "not", "never")
    for verb in ("noticed", "notice", "spotted", "seen", "see", "felt", "had")
    for whose in ("", " my", " his", " her", " their", " any", " any of")] + [
    f"{denial} {verb}{whose}"
    for denial in ("don't", "dont", "do not", "wouldn't", "wouldnt", "would not", "can't", "cant")
    for verb in ("think", "say")
    for whose in ("", " my", " his", " her", " i've seen", " ive seen", " i've noticed", " i've had")] + [
    f"{pain}{when}{who}"
    for pain in ("no pain", "no pain at all", "doesn't hurt", "doesnt hurt", "never hurts", "no cramps")
    for when in (" when", " while")
    for who in ("", " i'm", " im", " i am", " i")] + [
    f"not that {who} {verb}" for who in ("i", "i've", "ive", "i have", "we", "we've", "he", "she")
    for verb in ("noticed", "know of", "can see", "can tell", "could see", "could tell", "know", "remember")]
# Where a negation stops: "no swelling, it's red" must leave "red" present. Ending
# the scope early can only over-count a finding, never hide one. A bare comma does
# not end it ("no redness, warmth or swelling" is one list); a comma that starts a
# new clause does.
CLAUSE_STARTS = ["it", "it's", "its", "i", "i'm", "im", "i've", "the", "there", "that", "this",
                 "now", "just", "so", "then", "she", "he", "we", "they", "leg", "calf", "foot", "is"]
SCOPE_ENDS = (["and", "it's", "its", "it is", "there's", "there is", "i have", "i've", "ive", "my",
               "plus", "also", ";", ":", "-", "–", "—", "+", "&", "//", "more like", "rather", "instead",
               "actually"] + [f", {word}" for word in CLAUSE_STARTS])
# Phrases that contain a negation word but do not deny anything.
NOT_NEGATIONS = ["not sure", "not really sure", "not certain", "don't know", "dont know",
                 "no idea", "can't tell", "cant tell", "not just", "no matter"] + [
    # "I can't walk far without my calf cramping" is walking pain, not a denial of walking.
    f"{cannot} walk {how}" for cannot in ("can't", "cant", "cannot", "couldn't", "couldnt")
    for how in ("far", "very far", "more than", "much", "without")]
NEGATION_WORDS = ("no", "not", "n't", "never", "cannot", "without", "won't", "wont",
                  "can't", "cant", "dont", "doesnt", "didnt")


# A denial of a denial says the thing is there: "it's not that I haven't coughed
# up blood, I have", "I wouldn't say I'm not breathless". These open the first denial...
DOUBLE_DENIAL_OPENERS = (("not", "that"), ("n't", "that"), ("nt", "that"), ("n't", "say"), ("nt", "say"),
                         ("not", "say"), ("not", "saying"))
# ...followed by whom it is about ("not that bad, I don't..." is no double denial)...
DOUBLE_DENIAL_SUBJECTS = frozenset({"i", "i'm", "im", "my", "it", "it's", "its", "he", "he's", "she", "she's",
                                    "his", "her", "the", "there", "we", "they", "you"})
# ...and by the second denial within this many tokens, with no punctuation between.
DOUBLE_DENIAL_REACH = 6


@Language.factory("patient_negex", default_config={"neg_termset": {}, "ent_types": [], "extension_name": "negex",
                                                   "chunk_prefix": []})
class PatientNegex(Negex):
    """NegEx, except that
    - a word of a denial does not also end the denial's scope: in "I haven't
      noticed my leg going blue" the "my" of "haven't noticed my" is part of
      the denial, not the start of a new statement;
    - a denial of a denial denies nothing ("it's not that my foot isn't cold,
      it's icy"): both are dropped."""

    def process_negations(self, doc: Doc) -> tuple[list, list, list]:  # type: ignore[type-arg]
        preceding, following, terminating = super().process_negations(doc)
        cancelled = _double_denials(doc, preceding)
        preceding = [t for t in preceding if t not in cancelled]
        inside = {i for _, start, end in preceding + following for i in range(start, end)}
        return preceding, following, [t for t in terminating if not inside & set(range(t[1], t[2]))]


def _double_denials(doc: Doc, triggers: list[tuple[int, int, int]]) -> set[tuple[int, int, int]]:
    """The denial triggers that deny a denial, and the denials they deny."""
    words = [token.lower_ for token in doc]
    openers = [(i, i + 2) for i in range(len(words) - 2)
               if (words[i], words[i + 1]) in DOUBLE_DENIAL_OPENERS and words[i + 2] in DOUBLE_DENIAL_SUBJECTS]
    cancelled = set()
    for start, end in openers:
        denied = [t for t in triggers if end <= t[1] <= end + DOUBLE_DENIAL_REACH
                  and not any(token.is_punct for token in doc[end:t[1]])]
        if denied:
            cancelled.add(denied[0])
            cancelled.update(t for t in triggers if t[1] < end and start < t[2])
    return cancelled


def negation_termset(patterns: list[dict[str, str]]) -> dict[str, list[str]]:
    """NegEx terms for patients' language.

    A vocabulary phrase that itself contains a negation word ("can't breathe",
    "won't go away") is a pseudo-negation, so it never negates the findings
    around it.
    """
    terms = termset("en_clinical").get_patterns()
    self_negating = sorted({
        p["pattern"] for p in patterns
        if any(word in NEGATION_WORDS for word in p["pattern"].replace("n't", " n't").split())
    })
    return {
        "pseudo_negations": terms["pseudo_negations"] + NOT_NEGATIONS + self_negating,
        "preceding_negations": terms["preceding_negations"] + PATIENT_NEGATIONS,
        "following_negations": terms["following_negations"],
        "termination": terms["termination"] + SCOPE_ENDS,
    }


# Answers to the questions (where, when, how often) that a correction takes back:
# "not my calf, my thigh", "the foot, not the calf", "my foot more than the calf",
# "I meant my calf, the foot bit was wrong". Only these kinds: a warning sign is
# never taken back this way ("it's not my left calf that's swollen, it's the right").
_BETWEEN = frozenset({"my", "the", "his", "her", "their", "your", "our", "in", "at", "on", "a", "an", "both", "of",
                      "during", "when", "while", "i'm", "im", "it's", "its"})
_TAKEN_BACK_BEFORE = (("not",), ("n't",), ("nt",), ("never",), ("rather", "than"), ("instead", "of"),
                      ("more", "than"), ("than",))
_TAKEN_BACK_AFTER = (("was", "wrong"), ("is", "wrong"), ("bit", "was", "wrong"), ("part", "was", "wrong"),
                     ("was", "a", "mistake"), ("by", "mistake"))


class TakenBackAnswers:
    """Marks an answer the person takes back as denied (NegEx's `negex`), so it
    never fills a slot: see ANSWER_KINDS."""

    def __call__(self, doc: Doc) -> Doc:
        words = [token.lower_ for token in doc]
        for span in doc.ents:
            if span.label_ in ANSWER_KINDS and not span._.negex and taken_back(words, span.start, span.end):
                span._.negex = True
        return doc


def taken_back(words: list[str], start: int, end: int) -> bool:
    """Whether the words (a doc's, lower case) from `start` to `end` are an answer
    taken back (see ANSWER_KINDS)."""
    i = start
    while i > 0 and words[i - 1] in _BETWEEN:
        i -= 1
    return (any(tuple(words[max(i - len(cue), 0):i]) == cue for cue in _TAKEN_BACK_BEFORE)
            or any(tuple(words[end:end + len(cue)]) == cue for cue in _TAKEN_BACK_AFTER))


@Language.factory("taken_back_answers")
def make_taken_back_answers(nlp, name):  # type: ignore[no-untyped-def]
    return TakenBackAnswers()


# Kinds of term that only ever qualify or mimic a finding: never entities themselves.
CONTEXT_KINDS = ("qualifier", "look_alike")
# Words that end a clause or mark something new: a qualifier does not reach
# across them ("my feet are always cold, but now my foot went white" keeps the
# second; "cramps after running and now I'm short of breath" keeps the breath).
CLAUSE_BREAKS = frozenset({"but", "though", "although", "however", "yet", "whereas", "except", "now",
                           "suddenly", "today", "tonight", "then", ";", "."})
# A qualifier applies only to a finding at most this many tokens away.
QUALIFIER_REACH = 6
# The spans the EntityRuler found, before qualifiers were applied.
RAW_SPANS = "terms_said"


def qualifier_rules(data: KnowledgeData) -> dict[str, dict[str, str | None]]:
    """term id -> {qualifier id: the term it becomes, or None}, from `qualified_by`."""
    return {term["id"]: dict(term["qualified_by"]) for term in data.terms if term.get("qualified_by")}


def addition_rules(data: KnowledgeData) -> dict[str, dict[str, str]]:
    """term id -> {qualifier id: the term it also means}, from `also_means`
    ("since I started simvastatin": a statin, and a new medicine)."""
    return {term["id"]: dict(term["also_means"]) for term in data.terms if term.get("also_means")}


def message_wide_qualifiers(data: KnowledgeData) -> list[str]:
    """The qualifiers that reach a finding anywhere in the message (`reach: message`)."""
    return [term["id"] for term in data.terms if term["kind"] == "qualifier" and term.get("reach") == "message"]


def term_kinds(data: KnowledgeData) -> dict[str, str]:
    return {term["id"]: term["kind"] for term in data.terms}


class TermQualifiers:
    """Applies the vocabulary's qualifiers to the entities of a doc (see module
    docstring): `qualified_by` replaces a term, `also_means` adds one, on the
    qualifier's own words."""

    def __init__(self, rules: dict[str, dict[str, str | None]], kinds: dict[str, str],
                 additions: dict[str, dict[str, str]] | None = None, message_wide: Iterable[str] = (),
                 places: dict[str, str] | None = None) -> None:
        self.rules = rules
        self.kinds = kinds
        self.additions = additions or {}
        self.message_wide = frozenset(message_wide)
        self.places = places or {}

    def __call__(self, doc: Doc) -> Doc:
        spans = list(doc.ents)
        # Each with its term id as its own kb_id: a span's id otherwise comes from its
        # tokens, which the entities set below (a replacement, an addition) overwrite.
        doc.spans[RAW_SPANS] = [Span(doc, s.start, s.end, label=s.label_, kb_id=term_id(s)) for s in spans]
        # An answer read from a person's own words (said together: "after three steps",
        # "yoga") never qualifies a finding: "winded after three steps to the kitchen" is
        # breathlessness, not the breathlessness of exercise.
        own_words: dict[str, list[tuple[int, int]]] = {}
        for quote in doc.spans[SAID_TOGETHER] if SAID_TOGETHER in doc.spans else ():
            own_words.setdefault(quote.kb_id_, []).append((quote.start, quote.end))
        said = [s for s in spans if not s._.negex and not (s.label_ in ANSWER_KINDS and any(
            a <= s.start and s.end <= b for a, b in own_words.get(term_id(s), ())))]
        # Quantities said once that qualify in more than one way ("15 years ago").
        said += list(doc.spans[SHARED_QUALIFIERS]) if SHARED_QUALIFIERS in doc.spans else []
        qualifiers = Qualifiers(sorted(said, key=lambda s: (s.start, s.end)), self.message_wide)
        resolved = []
        for span in spans:
            if out_of_time():  # the rest as they were said, unqualified
                resolved.append(span)
                continue
            if span.label_ in CONTEXT_KINDS:
                # A place in the leg inside a qualifier is still said ("both calves"); inside a
                # look-alike it is not ("a foot-long sub").
                if span.label_ == "qualifier":
                    resolved += [self._place(doc, token.i) for token in span if token.norm_ in self.places]
                continue
            rules = self.rules.get(term_id(span), {})
            qualifier = qualifiers.first(doc, span, rules) if rules else None
            if qualifier is None:
                resolved.append(span)
                continue
            becomes = rules[term_id(qualifier)]
            if becomes is not None:
                replacement = Span(doc, span.start, span.end, label=self.kinds[becomes], kb_id=becomes,
                                   span_id=becomes)
                replacement._.negex = span._.negex
                resolved.append(replacement)
        resolved += self._additions(doc, qualifiers, resolved)
        doc.ents = resolved  # type: ignore[assignment]  # spaCy's stub: a 1-tuple
        return doc

    def _place(self, doc: Doc, i: int) -> Span:
        place = self.places[doc[i].norm_]
        return Span(doc, i, i + 1, label=self.kinds[place], kb_id=place, span_id=place)

    def _additions(self, doc: Doc, qualifiers: Qualifiers, resolved: list[Span]) -> list[Span]:
        # One addition per term it adds ("since I started simvastatin" is one new
        # medicine, not two), said where its nearest qualifier is.
        taken = {i for span in resolved for i in range(span.start, span.end)}
        added: dict[str, Span] = {}
        for span in resolved:
            additions = self.additions.get(term_id(span), {})
            if not additions:
                continue
            for qualifier in qualifiers.by_distance(span, additions):
                # Once every term it could add is added (and may not be replaced), none can be.
                if out_of_time() or all(also in added and (span._.negex or not added[also]._.negex)
                                        for also in additions.values()):
                    break
                also = additions.get(term_id(qualifier))
                if (not also or any(i in taken for i in range(qualifier.start, qualifier.end))
                        or (also in added and (span._.negex or not added[also]._.negex))
                        or not self._reaches(doc, qualifier, span)):
                    continue
                addition = Span(doc, qualifier.start, qualifier.end, label=self.kinds[also], kb_id=also,
                                span_id=also)
                addition._.negex = span._.negex
                added[also] = addition
        return list(added.values())

    def _reaches(self, doc: Doc, qualifier: Span, span: Span) -> bool:
        return term_id(qualifier) in self.message_wide or _same_clause(doc, qualifier, span)


class Qualifiers:
    """The qualifiers said in a message, by term, in the order said: which one
    qualifies a span is found among those of the span's rules near it (or said
    anywhere, for a message-wide one), not by trying every qualifier against
    every span."""

    def __init__(self, qualifiers: list[Span], message_wide: frozenset[str]) -> None:
        self.message_wide = message_wide
        self.by_term: dict[str, list[tuple[int, Span]]] = {}  # (place in the message's order, span)
        for order, qualifier in enumerate(qualifiers):
            self.by_term.setdefault(term_id(qualifier), []).append((order, qualifier))
        self.starts = {term: [q.start for _, q in said] for term, said in self.by_term.items()}
        self.longest = max((q.end - q.start for q in qualifiers), default=1)

    def _near(self, term: str, span: Span) -> list[tuple[int, Span]]:
        """The term's qualifiers that may reach `span`: all of a message-wide one, else those
        starting within QUALIFIER_REACH (and a qualifier's length) of it."""
        said = self.by_term.get(term, [])
        if not said or term in self.message_wide:
            return said
        starts = self.starts[term]
        return said[bisect.bisect_left(starts, span.start - QUALIFIER_REACH - self.longest):
                    bisect.bisect_right(starts, span.end + QUALIFIER_REACH)]

    def first(self, doc: Doc, span: Span, rules: dict[str, str | None]) -> Span | None:
        """The first qualifier said (in the message's order) of the span's rules that reaches it."""
        best: tuple[int, Span] | None = None
        for term in rules:
            for order, qualifier in self._near(term, span):
                if best is not None and order >= best[0]:
                    break
                if qualifier is not span and (term in self.message_wide or _same_clause(doc, qualifier, span)):
                    best = (order, qualifier)
                    break
        return best[1] if best else None

    def by_distance(self, span: Span, terms: dict[str, str]) -> list[Span]:
        """The qualifiers of these terms that may reach `span`, nearest first (of two as near,
        the first said)."""
        near = [item for term in terms for item in self._near(term, span)]
        return [q for _, q in sorted(near, key=lambda item: (abs(item[1].start - span.start), item[0]))]


def terms_present(doc: Doc) -> list[str]:
    """The vocabulary terms a text, read by this pipeline, names and does not
    deny (qualifiers applied)."""
    return [term_id(entity) for entity in doc.ents if not entity._.negex]


def _same_clause(doc: Doc, first: Span, second: Span) -> bool:
    return close_in_one_clause(doc, (first.start, first.end), (second.start, second.end), QUALIFIER_REACH,
                               CLAUSE_BREAKS)


@Language.factory("term_qualifiers", default_config={"rules": {}, "kinds": {}, "additions": {}, "message_wide": [],
                                                     "places": {}})
def make_term_qualifiers(nlp, name, rules, kinds, additions, message_wide, places):  # type: ignore[no-untyped-def]
    # No annotations: spaCy validates the config against them, and this module's
    # postponed annotations (strings) cannot be resolved there.
    return TermQualifiers(rules, kinds, additions, message_wide, places)


def one_word_places(data: KnowledgeData) -> dict[str, str]:
    """The one-word names of places in the leg ("calves": calf), for the qualifiers step."""
    return {synonym.lower(): term["id"] for term in data.terms if term["kind"] == "body_location"
            for synonym in term["synonyms"] if " " not in synonym.strip()}


def said_together_config(data: KnowledgeData) -> dict[str, Any]:
    """The said-together component's word groups and the terms' combinations of them."""
    groups = {group["id"]: {key: group[key] for key in (*WORD_GROUP_KINDS, *WORD_GROUP_OPTIONS) if key in group}
              for group in data.word_groups}
    return {"groups": groups, "combinations": [[c.term, c.label, list(c.groups), list(c.unless), c.anywhere,
                                                        c.sentence, list(c.replaces)]
                                               for c in combinations(data.terms)]}


def prefix_other_words(data: KnowledgeData) -> dict[str, list[str]]:
    """The English words that the word groups' prefix entries must not match ("pain*":
    painting), from pyspellchecker's word list; worked out when the pipeline is built
    (seconds), and covered by the pipeline's hash through the prefixes and that list's version."""
    prefixes = [word[:-1].lower() for group in data.word_groups for word in group.get("words", ())
                if word.endswith("*") and " " not in word]
    return other_words_of_prefixes(prefixes, SpellChecker().word_frequency.dictionary)


def pipeline_hash(data: KnowledgeData) -> str:
    patterns = entity_patterns(data)
    content = json.dumps(
        [BUILDER_VERSION, spacy.about.__version__, metadata.version("pyspellchecker"), patterns,
         medicine_names.read_other(),
         negation_termset(patterns), qualifier_rules(data),
         addition_rules(data), message_wide_qualifiers(data), one_word_places(data), said_together_config(data)],
        sort_keys=True,
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:12]


def pipeline_path(data: KnowledgeData | None = None, directory: Path = PIPELINE_DIR) -> Path:
    """Where the pipeline for the current vocabulary lives (built or not)."""
    data = data or load_knowledge()
    digest = pipeline_hash(data)
    return directory / f"{PIPELINE_PREFIX}{digest}"


def make_pipeline(data: KnowledgeData) -> Language:
    patterns = entity_patterns(data)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    # The dictionary's other medicines first: the spelling check leaves their words alone.
    other_medicines: Any = nlp.add_pipe("other_medicine_names",
                                        config={"label": term_kinds(data)[medicine_names.ANY_MEDICINE]})
    other_medicines.set_names(other_medicine_names(nlp))
    nlp.add_pipe("vocabulary_spelling", config={"words": vocabulary_words(patterns, data.word_groups)})
    ruler: Any = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "NORM"})
    ruler.add_patterns(patterns)
    nlp.add_pipe("said_together", config={**said_together_config(data), "other_words": prefix_other_words(data)})
    nlp.add_pipe("patient_negex", name="negex", config={"neg_termset": negation_termset(patterns)})
    nlp.add_pipe("taken_back_answers")
    nlp.add_pipe("term_qualifiers", config={"rules": qualifier_rules(data), "kinds": term_kinds(data),
                                            "additions": addition_rules(data),
                                            "message_wide": message_wide_qualifiers(data),
                                            "places": one_word_places(data)})
    nlp.meta["name"] = "leg_cramps"
    nlp.meta["version"] = f"{BUILDER_VERSION}.0.0"
    nlp.meta["description"] = "Built from data/knowledge/vocabulary.yml by cramp_nlu.pipeline"
    nlp.meta["requirements"] = ["negspacy"]
    return nlp


def ensure_pipeline(data: KnowledgeData | None = None, directory: Path = PIPELINE_DIR) -> Path:
    """Builds the pipeline for the current vocabulary unless it already exists."""
    data = data or load_knowledge()
    target = pipeline_path(data, directory)
    if (target / "meta.json").exists():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a half-written pipeline is never loaded.
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=directory))
    try:
        make_pipeline(data).to_disk(staging)
        staging.rename(target)
    except OSError:
        if not (target / "meta.json").exists():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # Older pipelines are never loaded again: a model resolves the current one.
    for stale in directory.glob(f"{PIPELINE_PREFIX}*"):
        if stale != target:
            shutil.rmtree(stale, ignore_errors=True)
    return target


if __name__ == "__main__":
    print(ensure_pipeline())
