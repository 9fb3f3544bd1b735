"""Tables of the review log: one row per turn worth reviewing or counting, and the log's own settings.

Text is stored masked (review/masking/) and conversations only as a salted hash: nothing here
identifies a person or a LINE account. Rows older than the retention period are pruned (review/log.py).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base

# SQLAlchemy 1.4 ships no type information: the declarative base is declared Any so that the type checker
# accepts the tables as classes (their columns are Any to it).
Base: Any = declarative_base()

# What happened in a turn: answered about a program, asked "did you mean…", asked "which one?",
# or could not help (fallback).
KINDS = ("answer", "unsure", "which", "fallback")
RATINGS = ("up", "down")
# What staff decide about an entry in the review queue.
MARKS = ("training", "gap", "out_of_scope", "fine")


class Turn(Base):
    __tablename__ = "review_turns"
    __table_args__ = (UniqueConstraint("conversation", "turn", name="uq_review_turns_conversation_turn"),)

    id = Column(Integer, primary_key=True)
    conversation = Column(String(64), nullable=False, index=True)  # salted hash of the sender id
    turn = Column(String(64), nullable=False)                       # Rasa's message id of the user's message
    at = Column(DateTime(timezone=True), nullable=False, index=True)
    channel = Column(String(20), nullable=False, index=True)
    kind = Column(String(20), nullable=False, index=True)
    text = Column(Text, nullable=False)                             # masked
    intent = Column(String(80))
    candidates = Column(JSON, nullable=False)                       # [{"section": 21, "score": 0.42}, …] best first
    program = Column(Integer, index=True)                           # the section answered, if any
    feedback = Column(String(8))
    feedback_at = Column(DateTime(timezone=True))
    mark = Column(String(20), index=True)
    mark_program = Column(Integer)                                  # for mark == "training": the right program
    marked_at = Column(DateTime(timezone=True))


class Setting(Base):
    __tablename__ = "review_settings"

    key = Column(String(60), primary_key=True)
    value = Column(Text, nullable=False)
