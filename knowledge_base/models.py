"""The knowledge base's tables.

Every kind of entry in data/knowledge/*.yml has a table here; `Citation` links
any entry to the sources it was written from.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base, relationship

# Bump when the tables change, so that a database built by older code is
# recognised and rebuilt instead of half-read.
SCHEMA_VERSION = "8"

TRIAGE_LEVELS = ("emergency", "urgent", "see_doctor", "self_care")
TERM_KINDS = (
    "body_location",
    "timing",
    "frequency",
    "duration",
    "risk_factor",
    "medicine_class",
    "condition",
    "finding",
    # Words that change what a finding said in the same clause means ("always",
    # "after my run"), and phrases that only look like one ("Red Bull"). Neither
    # is ever an entity of its own.
    "qualifier",
    "look_alike",
)
ADVICE_KINDS = ("relief", "prevention")
# How a red-flag rule uses a term: every `all` term, at least one `any` term,
# at least one `also_any` term (a second group), and no `none` term.
CONDITION_REQUIREMENTS = ("all", "any", "also_any", "none")
# What an answer to a deciding question does with a term.
ANSWER_EFFECTS = ("sets", "denies")
# The intents a typed reply to a deciding question may be read as, to give one of its answers.
REPLY_INTENTS = ("affirm", "deny")

# Any: SQLAlchemy 1.4's declarative base has no static type without its mypy plugin.
Base: Any = declarative_base()


class Metadata(Base):
    """Facts about the build: schema version, content hash, build time."""

    __tablename__ = "kb_metadata"
    key = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False)


class Source(Base):
    __tablename__ = "sources"
    id = Column(String(64), primary_key=True)
    title = Column(Text, nullable=False)
    publisher = Column(Text, nullable=False)
    reference = Column(Text, nullable=False)
    url = Column(Text)


class Citation(Base):
    """One entry (of any kind) citing one source."""

    __tablename__ = "citations"
    entry_kind = Column(String(32), primary_key=True)
    entry_id = Column(String(64), primary_key=True)
    source_id = Column(String(64), ForeignKey("sources.id"), primary_key=True)


class Term(Base):
    """A word of the shared vocabulary: a location, timing, finding, ..."""

    __tablename__ = "terms"
    id = Column(String(64), primary_key=True)
    kind = Column(String(32), nullable=False, index=True)
    name = Column(Text, nullable=False)
    mention = Column(Text, nullable=False)
    # Said to the person whenever this term is known (a safeguard for a group).
    caution = Column(Text)
    synonyms = relationship("Synonym", cascade="all, delete-orphan", lazy="selectin")
    __table_args__ = (CheckConstraint(f"kind IN {TERM_KINDS}", name="term_kind"),)


class TermQualifier(Base):
    """A finding said in the same clause as `qualifier_id` means `becomes_term_id`
    instead (NULL: nothing that counts), e.g. "always" + cold feet."""

    __tablename__ = "term_qualifiers"
    term_id = Column(String(64), ForeignKey("terms.id"), primary_key=True)
    qualifier_id = Column(String(64), ForeignKey("terms.id"), primary_key=True)
    becomes_term_id = Column(String(64), ForeignKey("terms.id"))


class WithheldAction(Base):
    """A kind of advice (massage, heat, ...) never given once `owner_id` (a triage
    level or a term) applies to the person."""

    __tablename__ = "withheld_actions"
    owner_kind = Column(String(16), primary_key=True)
    owner_id = Column(String(64), primary_key=True)
    action = Column(String(32), primary_key=True)
    __table_args__ = (CheckConstraint("owner_kind IN ('level', 'term')", name="withholding_owner"),)


class EntryAction(Base):
    """A kind of advice (massage, heat, ...) that an advice step or FAQ answer involves."""

    __tablename__ = "entry_actions"
    entry_kind = Column(String(16), primary_key=True)
    entry_id = Column(String(64), primary_key=True)
    action = Column(String(32), primary_key=True)


class Region(Base):
    """Emergency number and same-day route of the clinic's region (CLINIC_REGION)."""

    __tablename__ = "regions"
    id = Column(String(16), primary_key=True)
    name = Column(Text, nullable=False)
    emergency_number = Column(String(16), nullable=False)
    urgent_route = Column(Text, nullable=False)


class Synonym(Base):
    __tablename__ = "synonyms"
    term_id = Column(String(64), ForeignKey("terms.id"), primary_key=True)
    phrase = Column(String(200), primary_key=True)


class TriageLevel(Base):
    __tablename__ = "triage_levels"
    id = Column(String(32), primary_key=True)
    rank = Column(Integer, nullable=False, unique=True)
    label = Column(Text, nullable=False)
    action = Column(Text, nullable=False)
    # What a channel shows as a banner for this level, and the number its
    # call button dials; only the levels that need acting on now have them.
    banner = Column(Text)
    call_number = Column(String(32))
    # What not to do until seen (urgent and emergency levels).
    do_not = Column(Text)
    # What would make it worth getting help (the self-care level; the fallback reply).
    safety_net = Column(Text)
    # How the reply names the warning signs in the person's own words ({words}).
    you_said = Column(Text)


class Cause(Base):
    __tablename__ = "causes"
    id = Column(String(64), primary_key=True)
    name = Column(Text, nullable=False)
    explanation = Column(Text, nullable=False)
    base = Column(Float, nullable=False)
    indicators = relationship("CauseIndicator", cascade="all, delete-orphan", lazy="selectin")
    prerequisites = relationship("CausePrerequisite", cascade="all, delete-orphan", lazy="selectin")


class CausePrerequisite(Base):
    """The cause is only suggested when at least one of its prerequisite terms is known."""

    __tablename__ = "cause_prerequisites"
    cause_id = Column(String(64), ForeignKey("causes.id"), primary_key=True)
    term_id = Column(String(64), ForeignKey("terms.id"), primary_key=True)


class CauseIndicator(Base):
    """A term that points to a cause, with how strongly."""

    __tablename__ = "cause_indicators"
    cause_id = Column(String(64), ForeignKey("causes.id"), primary_key=True)
    term_id = Column(String(64), ForeignKey("terms.id"), primary_key=True)
    weight = Column(Float, nullable=False)
    term = relationship("Term", lazy="joined")


class RedFlag(Base):
    """A rule over present terms that sets a triage level."""

    __tablename__ = "red_flags"
    id = Column(String(64), primary_key=True)
    name = Column(Text, nullable=False)
    level_id = Column(String(32), ForeignKey("triage_levels.id"), nullable=False)
    possible_cause = Column(Text, nullable=False)
    advice = Column(Text, nullable=False)
    # Where to get seen, when the rule has its own route (a maternity unit): it
    # takes the place of the region's {urgent_route} in the level's action.
    route = Column(Text)
    # The rule's place in red_flags.yml: within a level, earlier is more serious.
    position = Column(Integer, nullable=False)
    level = relationship("TriageLevel", lazy="joined")
    conditions = relationship("RedFlagCondition", cascade="all, delete-orphan", lazy="selectin")


class RedFlagCondition(Base):
    """`requirement`: one of CONDITION_REQUIREMENTS."""

    __tablename__ = "red_flag_conditions"
    red_flag_id = Column(String(64), ForeignKey("red_flags.id"), primary_key=True)
    term_id = Column(String(64), ForeignKey("terms.id"), primary_key=True)
    requirement = Column(String(8), nullable=False)
    __table_args__ = (
        CheckConstraint(f"requirement IN {CONDITION_REQUIREMENTS}", name="requirement_kind"),
    )


class Advice(Base):
    """A relief step (during a cramp) or a prevention measure."""

    __tablename__ = "advice"
    id = Column(String(64), primary_key=True)
    kind = Column(String(16), nullable=False, index=True)
    text = Column(Text, nullable=False)
    order = Column("display_order", Integer, nullable=False)
    targets = relationship("AdviceTarget", cascade="all, delete-orphan", lazy="selectin")
    __table_args__ = (CheckConstraint(f"kind IN {ADVICE_KINDS}", name="advice_kind"),)


class AdviceTarget(Base):
    __tablename__ = "advice_targets"
    advice_id = Column(String(64), ForeignKey("advice.id"), primary_key=True)
    term_id = Column(String(64), ForeignKey("terms.id"), primary_key=True)


class FaqAnswer(Base):
    __tablename__ = "faq"
    id = Column(String(64), primary_key=True)
    question = Column(Text, nullable=False)
    answer = Column(Text, nullable=False)
    # 'relief' or 'prevention': the answer is followed by the steps that suit the person.
    steps = Column(String(16))


class DecidingQuestion(Base):
    """A question that completes red-flag rules partly known (data/knowledge/questions.yml)."""

    __tablename__ = "deciding_questions"
    id = Column(String(64), primary_key=True)
    text = Column(Text, nullable=False)
    # The question's place in questions.yml: when two are due, the earlier is asked first.
    position = Column(Integer, nullable=False)
    rules = relationship("QuestionRule", cascade="all, delete-orphan", lazy="selectin")
    answers = relationship("QuestionAnswer", cascade="all, delete-orphan", lazy="selectin",
                           order_by="QuestionAnswer.position")


class QuestionRule(Base):
    """A red-flag rule the question completes."""

    __tablename__ = "question_rules"
    question_id = Column(String(64), ForeignKey("deciding_questions.id"), primary_key=True)
    red_flag_id = Column(String(64), ForeignKey("red_flags.id"), primary_key=True)


class QuestionAnswer(Base):
    """One answer (a button) to a deciding question; its id is unique over all questions."""

    __tablename__ = "question_answers"
    id = Column(String(64), primary_key=True)
    question_id = Column(String(64), ForeignKey("deciding_questions.id"), nullable=False, index=True)
    title = Column(Text, nullable=False)
    position = Column(Integer, nullable=False)
    # The intents (REPLY_INTENTS, space-separated) a typed reply that names nothing gives this answer for.
    replies = Column(String(64))
    effects = relationship("AnswerEffect", cascade="all, delete-orphan", lazy="selectin")


class AnswerEffect(Base):
    """A term an answer sets (the person has it) or denies (they do not)."""

    __tablename__ = "answer_effects"
    answer_id = Column(String(64), ForeignKey("question_answers.id"), primary_key=True)
    term_id = Column(String(64), ForeignKey("terms.id"), primary_key=True)
    effect = Column(String(8), nullable=False)
    __table_args__ = (CheckConstraint(f"effect IN {ANSWER_EFFECTS}", name="answer_effect_kind"),)
