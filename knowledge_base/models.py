"""The knowledge base's tables.

Every kind of entry in data/knowledge/*.yml has a table here; `Citation` links
any entry to the sources it was written from.
"""

from __future__ import annotations

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
SCHEMA_VERSION = "3"

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
)
ADVICE_KINDS = ("relief", "prevention")

Base = declarative_base()


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
    synonyms = relationship("Synonym", cascade="all, delete-orphan", lazy="selectin")
    __table_args__ = (CheckConstraint(f"kind IN {TERM_KINDS}", name="term_kind"),)


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
    level = relationship("TriageLevel", lazy="joined")
    conditions = relationship("RedFlagCondition", cascade="all, delete-orphan", lazy="selectin")


class RedFlagCondition(Base):
    """`requirement` is 'all' (every such term needed) or 'any' (one is enough)."""

    __tablename__ = "red_flag_conditions"
    red_flag_id = Column(String(64), ForeignKey("red_flags.id"), primary_key=True)
    term_id = Column(String(64), ForeignKey("terms.id"), primary_key=True)
    requirement = Column(String(8), nullable=False)
    __table_args__ = (
        CheckConstraint("requirement IN ('all', 'any')", name="requirement_kind"),
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
