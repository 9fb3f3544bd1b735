"""The handover store and its state machine, on the review log's database (SQLite, or PostgreSQL in production).

States of a handover::

    queued ──take──▶ connected ──end(returned | user_left)──▶ ended
      │ └──end(user_left) or leave_queue──────────────────▶ ended
      └──expire_queued (HANDOVER_QUEUE_TIMEOUT_SECONDS)────▶ timed_out

Every process (the Rasa processes, the action server, the console) shares the database, so each transition is one
conditional ``UPDATE … WHERE state = …``: of two processes taking, expiring or ending the same handover at once,
exactly one changes it and the other is told (``False``). A sender has at most one queued or connected handover, which
a partial unique index promises, not this code.

Two rules keep concurrent writers safe on both databases:

- a transaction that writes starts with its write (an ``UPDATE`` of the handover row when it must also read). On
  SQLite a transaction that read first and then writes can fail at once with "database is locked" when another
  writer is committing, instead of waiting; on PostgreSQL that first ``UPDATE`` locks the handover's row, so
  messages of one handover are numbered in the order they commit and a reader never skips one (the web chat's
  cursor is the message id);
- a read that decides a write happens again inside the write, as a condition of it.

Times: every method takes ``now`` (aware; default the wall clock, which tests move with time-machine) and stores
UTC. Records come back with aware UTC times (handover/records.py).

Personal data: the sender id, what users and staff write, and above all a call-back ``contact`` (phone or e-mail).
This module logs ids, states and counts only, never a sender, a text or a contact; database errors while storing a
call-back request are replaced by :class:`StoreError`, because SQLAlchemy's error messages quote the statement's
parameters (the contact among them) and a caller would log them. SQLAlchemy's own statement logging (``echo``,
or its ``sqlalchemy.engine`` logger at INFO) would show parameters too: it is off (SQLAlchemy keeps its loggers at
WARNING unless configured) and must stay off where real users write.
"""
from __future__ import annotations

import logging
import secrets
import statistics
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from common.settings import MAX_MESSAGE_CHARS, settings
from handover import contract, hours, models
from handover import db as database
from handover import figures as counted
from handover.models import (
    ACTIVE,
    AUTHORS,
    CHANNELS,
    CONNECTED,
    DONE,
    ENDED,
    IN_PROGRESS,
    MAX_CONTACT,
    MAX_KEY,
    MAX_LOGIN,
    MAX_SENDER,
    NEW,
    QUEUED,
    RETURNED,
    STAFF,
    SYSTEM,
    TIMED_OUT,
    TO_USER,
    USER_LEFT,
)
from handover.records import Callback, Figures, Handover, Message, Presence
from knowledge.hours import JST

logger = logging.getLogger(__name__)

HISTORY = 20                # the wait estimate takes the median handling time of this many latest handovers
ON_DUTY_SECONDS = 90        # a staff member seen this recently is on duty (the console reports presence)
LEASE_SECONDS = 60          # a claimed LINE message is another worker's to push after this long
CLAIM_LIMIT = 50            # messages one claim takes at most
DELIVERY_LIMIT = 100        # messages one messages_after call returns at most
# Where a call-back request may go next: new → in_progress → done, or new → done.
CALLBACK_FROM = {IN_PROGRESS: (NEW,), DONE: (NEW, IN_PROGRESS)}
UTC = timezone.utc


class HandoverError(Exception):
    """A request the store refuses; the caller answers politely."""


class MessageTooLong(HandoverError, ValueError):
    """A message over ``MAX_MESSAGE_CHARS`` (common/settings.py): refused whole, nothing stored."""

    def __init__(self, length: int) -> None:
        super().__init__(f"a message has at most {MAX_MESSAGE_CHARS} characters, this one {length}")
        self.length = length
        self.limit = MAX_MESSAGE_CHARS


class HandoverClosed(HandoverError):
    """The handover does not exist or is not in a state that takes this message (e.g. ended)."""


class StoreError(HandoverError):
    """The database refused a write; its message, which would quote personal data, is withheld."""


# ---- time ----------------------------------------------------------------------------------------------------------

def wall_clock() -> datetime:
    return datetime.now(UTC)


def _moment(now: Optional[datetime]) -> datetime:
    """``now`` in UTC (default: the wall clock). A naive moment is refused: UTC or Japan time would both be a guess."""
    if now is None:
        return wall_clock()
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(UTC)


def _aware(moment: Optional[datetime]) -> Optional[datetime]:
    """Stored times as aware UTC: SQLite hands them back naive (they were stored in UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _required(moment: Optional[datetime]) -> datetime:
    aware = _aware(moment)
    assert aware is not None
    return aware


# ---- rows to records -----------------------------------------------------------------------------------------------

def _handover(row: Any) -> Handover:
    return Handover(id=row.id, sender=row.sender, channel=row.channel, state=row.state, focus=row.focus,
                    candidates=tuple(row.candidates or ()), requested_at=_required(row.requested_at),
                    updated_at=_required(row.updated_at), taken_at=_aware(row.taken_at), taken_by=row.taken_by,
                    taken_by_name=row.taken_by_name, ended_at=_aware(row.ended_at), outcome=row.outcome)


def _message(row: Any) -> Message:
    return Message(id=row.id, handover_id=row.handover_id, sender=row.sender, author=row.author, text=row.text,
                   custom=row.custom, key=row.key, created_at=_required(row.created_at),
                   delivered_at=_aware(row.delivered_at), claimed_by=row.claimed_by, claimed_at=_aware(row.claimed_at))


def _callback(row: Any) -> Callback:
    return Callback(id=row.id, sender=row.sender, channel=row.channel, section=row.section, need=row.need,
                    contact=row.contact, status=row.status, created_at=_required(row.created_at),
                    updated_at=_required(row.updated_at), done_at=_aware(row.done_at))


def _presence(row: Any) -> Presence:
    return Presence(login=row.login, name=row.name, last_seen=_required(row.last_seen))


# ---- checks ----------------------------------------------------------------------------------------------------------

def _check_sender(sender: str) -> None:
    if not isinstance(sender, str) or not 1 <= len(sender) <= MAX_SENDER:
        raise ValueError(f"a sender is a string of 1 to {MAX_SENDER} characters")


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r} (one of {', '.join(CHANNELS)})")


def _check_login(login: str, name: str) -> None:
    for what, value in (("login", login), ("name", name)):
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_LOGIN:
            raise ValueError(f"a staff {what} is a string of 1 to {MAX_LOGIN} characters")


class HandoverStore:
    """Handovers, their messages, call-back requests and staff presence on one database.

    ``url``: a SQLAlchemy URL (default: ``REVIEW_DB_URL``, see handover/db.py); its tables are created or upgraded
    by handover's migrations when the first store on that URL is made in the process. Cheap to make: engines and
    session factories are shared per URL."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or database.handover_url()
        self._sessions = database.session_factory(self.url)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._sessions() as db:
            yield db

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction, committed at the end (rolled back on an exception)."""
        with self._sessions() as db, db.begin():
            yield db

    # ---- the queue ---------------------------------------------------------------------------------------------------

    def request(self, sender: str, channel: str, focus: Optional[int] = None, candidates: Sequence[int] = (),
                now: Optional[datetime] = None) -> Handover:
        """The sender's active handover, queued now if there is none.

        Idempotent: asked again while queued or connected (a repeated tap, a retried request, two processes at once),
        it returns the same handover; the partial unique index on active senders makes a second row impossible.
        ``focus``: the program section under discussion; ``candidates``: section numbers, best first."""
        _check_sender(sender)
        _check_channel(channel)
        existing = self.active(sender)
        if existing is not None:
            return existing
        moment = _moment(now)
        row = models.Handover(sender=sender, channel=channel, state=QUEUED, focus=focus,
                              candidates=[int(section) for section in candidates], requested_at=moment,
                              updated_at=moment)
        try:
            with self._write() as db:
                db.add(row)
        except IntegrityError:  # another process queued this sender in between: theirs is the one
            existing = self.active(sender)
            if existing is None:
                raise
            return existing
        logger.info("handover.requested", extra={"handover": row.id, "channel": channel})
        return _handover(row)

    def active(self, sender: str) -> Optional[Handover]:
        """The sender's queued or connected handover, or None. Called on every user message: one query on the
        ``sender`` index."""
        with self._read() as db:
            row = db.execute(select(models.Handover).where(
                models.Handover.sender == sender, models.Handover.state.in_(ACTIVE))).scalars().first()
            return _handover(row) if row is not None else None

    def get(self, handover_id: int) -> Optional[Handover]:
        with self._read() as db:
            row = db.get(models.Handover, handover_id)
            return _handover(row) if row is not None else None

    def waiting(self) -> List[Handover]:
        """Queued and connected handovers, oldest request first (the console's list)."""
        with self._read() as db:
            rows = db.execute(select(models.Handover).where(models.Handover.state.in_(ACTIVE)).order_by(
                models.Handover.requested_at, models.Handover.id)).scalars()
            return [_handover(row) for row in rows]

    def position(self, handover_id: int) -> Optional[int]:
        """1 for the next in line, counted among queued handovers by request time; None when not queued."""
        with self._read() as db:
            row = db.get(models.Handover, handover_id)
            if row is None or row.state != QUEUED:
                return None
            table = models.Handover
            ahead = or_(table.requested_at < row.requested_at,
                        and_(table.requested_at == row.requested_at, table.id <= row.id))
            return int(db.execute(select(func.count()).select_from(table).where(
                table.state == QUEUED, ahead)).scalar_one())

    def handling_seconds(self) -> float:
        """The median time staff spent on one of the latest ``HISTORY`` handovers taken and ended (taken to
        ended); ``HANDOVER_DEFAULT_WAIT_SECONDS`` while there are none."""
        table = models.Handover
        with self._read() as db:
            rows = db.execute(select(table.taken_at, table.ended_at).where(
                table.taken_at.is_not(None), table.ended_at.is_not(None)).order_by(
                table.ended_at.desc(), table.id.desc()).limit(HISTORY)).all()
        spans = [(_required(ended) - _required(taken)).total_seconds() for taken, ended in rows]
        return statistics.median(spans) if spans else float(settings().handover_default_wait_seconds)

    def expected_wait_seconds(self, handover_id: int) -> Optional[int]:
        """A simple, honest estimate: the position times the median handling time (:meth:`handling_seconds`);
        None when not queued. It does not pretend to know how many staff are free."""
        position = self.position(handover_id)
        if position is None:
            return None
        return round(position * self.handling_seconds())

    def queued_state(self, handover_id: int) -> Optional[contract.Queued]:
        """``custom.handover`` for a queued handover (position and estimated wait); None when not queued."""
        position = self.position(handover_id)
        if position is None:
            return None
        return contract.queued(position, round(position * self.handling_seconds()))

    # ---- transitions -------------------------------------------------------------------------------------------------

    def take(self, handover_id: int, login: str, name: str, now: Optional[datetime] = None) -> bool:
        """Staff ``login`` (shown to the user as ``name``) takes a queued handover. True for exactly one caller, even
        when several processes call at once (one conditional UPDATE); False when it was taken, expired or ended
        first. The user is told by a system message (contract.connected)."""
        _check_login(login, name)
        moment = _moment(now)
        table = models.Handover
        with self._write() as db:
            taken = db.execute(update(table).where(table.id == handover_id, table.state == QUEUED).values(
                state=CONNECTED, taken_at=moment, taken_by=login, taken_by_name=name,
                updated_at=moment).execution_options(synchronize_session=False))
            if taken.rowcount != 1:
                return False
            self._system_message(db, handover_id, contract.CONNECTED_TEXT.format(staff=name),
                                 contract.connected(name), moment)
        logger.info("handover.taken", extra={"handover": handover_id, "login": login})
        return True

    def end(self, handover_id: int, outcome: str, now: Optional[datetime] = None) -> bool:
        """End a queued or connected handover: ``returned`` (staff handed it back; the user is told by a system
        message, contract.ended) or ``user_left`` (the user's own turn answers them: no message). False when it
        had already ended. Timing out is :meth:`expire_queued`'s."""
        if outcome not in (RETURNED, USER_LEFT):
            raise ValueError(f"a handover ends as {RETURNED!r} or {USER_LEFT!r}, not {outcome!r}")
        moment = _moment(now)
        table = models.Handover
        with self._write() as db:
            ended = db.execute(update(table).where(table.id == handover_id, table.state.in_(ACTIVE)).values(
                state=ENDED, ended_at=moment, outcome=outcome, updated_at=moment).execution_options(
                synchronize_session=False))
            if ended.rowcount != 1:
                return False
            if outcome == RETURNED:
                self._system_message(db, handover_id, contract.ENDED_TEXT, contract.ended(), moment)
        logger.info("handover.ended", extra={"handover": handover_id, "outcome": outcome})
        return True

    def leave_queue(self, handover_id: int, now: Optional[datetime] = None) -> bool:
        """The user stops waiting (they wrote a cancel word: bot/channels/hold.py): a handover still queued ends as
        ``user_left``, with no message (the user's own turn answers them). False when it is no longer queued: a
        person took it, it timed out or it ended first (one conditional UPDATE: take, expiry and leaving never both
        win), and a conversation a person has taken is never ended by this."""
        moment = _moment(now)
        table = models.Handover
        with self._write() as db:
            left = db.execute(update(table).where(table.id == handover_id, table.state == QUEUED).values(
                state=ENDED, ended_at=moment, outcome=USER_LEFT, updated_at=moment).execution_options(
                synchronize_session=False)).rowcount == 1
        if left:
            logger.info("handover.left_queue", extra={"handover": handover_id})
        return left

    def expire_queued(self, now: Optional[datetime] = None, timeout_seconds: Optional[float] = None
                      ) -> List[Handover]:
        """Queued handovers requested ``timeout_seconds`` ago or longer (default ``HANDOVER_QUEUE_TIMEOUT_SECONDS``)
        become ``timed_out``, each with a system message telling the user (contract.unavailable, with a call back
        offered and the next staffed moment). Returns those this call expired (a concurrent take wins or loses
        whole: each is one conditional UPDATE)."""
        moment = _moment(now)
        timeout = settings().handover_queue_timeout_seconds if timeout_seconds is None else timeout_seconds
        table = models.Handover
        with self._read() as db:
            due = list(db.execute(select(table.id).where(
                table.state == QUEUED, table.requested_at <= moment - timedelta(seconds=timeout)).order_by(
                table.id)).scalars())
        expired = []
        for handover_id in due:
            with self._write() as db:
                changed = db.execute(update(table).where(table.id == handover_id, table.state == QUEUED).values(
                    state=TIMED_OUT, ended_at=moment, outcome=TIMED_OUT, updated_at=moment).execution_options(
                    synchronize_session=False))
                if changed.rowcount != 1:
                    continue
                state = contract.unavailable(callback=True, next_staffed=hours.next_staffed(moment))
                self._system_message(db, handover_id, contract.TIMED_OUT_TEXT, state, moment)
                expired.append(_handover(db.get(table, handover_id)))
        if expired:
            logger.info("handover.timed_out", extra={"handovers": [handover.id for handover in expired]})
        return expired

    # ---- messages ----------------------------------------------------------------------------------------------------

    def add_message(self, handover_id: int, author: str, text: str, custom: Optional[Dict[str, Any]] = None,
                    key: Optional[str] = None, now: Optional[datetime] = None) -> Message:
        """Store a message of the user (while queued or connected), of staff (while connected) or of the system.

        A text over ``MAX_MESSAGE_CHARS`` raises :class:`MessageTooLong` and nothing is stored (the caller refuses
        politely). ``key``: the client's idempotency key: a retry with the same key returns the message stored the
        first time, never a second one (even if the handover ended in between). :class:`HandoverClosed` when the
        handover is not in a state that takes the message. ``custom``: a reply-contract payload (a program card,
        ``{"handover": {...}}``)."""
        if author not in AUTHORS:
            raise ValueError(f"unknown author {author!r} (one of {', '.join(AUTHORS)})")
        if len(text) > MAX_MESSAGE_CHARS:
            raise MessageTooLong(len(text))
        if not text.strip() and not custom:
            raise ValueError("a message has text or a custom payload")
        if key is not None and not 1 <= len(key) <= MAX_KEY:
            raise ValueError(f"an idempotency key is 1 to {MAX_KEY} characters")
        moment = _moment(now)
        states = (CONNECTED,) if author == STAFF else ACTIVE
        table = models.Handover
        with self._write() as db:
            # The write first: on SQLite it takes the write lock, on PostgreSQL it locks this handover's row, so two
            # messages of one handover are numbered in the order they commit (see the module's docstring).
            open_ = db.execute(update(table).where(table.id == handover_id, table.state.in_(states)).values(
                updated_at=moment).execution_options(synchronize_session=False)).rowcount == 1
            if key is not None:
                stored = db.execute(select(models.Message).where(
                    models.Message.handover_id == handover_id, models.Message.key == key)).scalars().first()
                if stored is not None:
                    return _message(stored)
            if not open_:
                raise HandoverClosed(f"handover {handover_id} does not take a {author} message now")
            row = self._insert_message(db, handover_id, author, text, custom, key, moment)
        return _message(row)

    def _insert_message(self, db: Session, handover_id: int, author: str, text: str,
                        custom: Optional[Dict[str, Any]], key: Optional[str], moment: datetime) -> Any:
        sender = db.execute(select(models.Handover.sender).where(models.Handover.id == handover_id)).scalar_one()
        row = models.Message(handover_id=handover_id, sender=sender, author=author, text=text, custom=custom,
                             key=key, created_at=moment)
        db.add(row)
        db.flush()
        return row

    def _system_message(self, db: Session, handover_id: int, text: str, state: contract.State,
                        moment: datetime) -> None:
        self._insert_message(db, handover_id, SYSTEM, text, dict(contract.custom(state)), None, moment)

    def messages(self, handover_id: int, after_id: int = 0) -> List[Message]:
        """Every message of a handover (the console's view: user, staff and system), id-ordered."""
        with self._read() as db:
            rows = db.execute(select(models.Message).where(
                models.Message.handover_id == handover_id, models.Message.id > after_id).order_by(
                models.Message.id)).scalars()
            return [_message(row) for row in rows]

    def messages_after(self, sender: str, after_id: int = 0, limit: int = DELIVERY_LIMIT) -> List[Message]:
        """Staff and system messages for ``sender`` with an id above ``after_id``, id-ordered, at most ``limit``:
        what the web chat shows next (its cursor is the last id it showed)."""
        with self._read() as db:
            rows = db.execute(select(models.Message).where(
                models.Message.sender == sender, models.Message.id > after_id,
                models.Message.author.in_(TO_USER)).order_by(models.Message.id).limit(limit)).scalars()
            return [_message(row) for row in rows]

    # ---- the LINE outbox ---------------------------------------------------------------------------------------------

    def claim_undelivered(self, channel: str, worker: str, now: Optional[datetime] = None,
                          lease_seconds: float = LEASE_SECONDS, limit: int = CLAIM_LIMIT) -> List[Message]:
        """Staff and system messages on ``channel`` not yet delivered, reserved for ``worker`` to push, id-ordered.

        Two workers never get the same message while a claim holds: the claim is one UPDATE of rows that are
        unclaimed or whose claim is older than ``lease_seconds`` (on PostgreSQL, rows another worker is claiming at
        that moment are skipped). A worker that dies loses nothing: after the lease its messages are claimable again.
        Nor does a user get their messages out of order: a message waits while an earlier one to the same user is
        still claimed (a push that failed and is retried after the lease, or a worker that died holding it), so
        the later ones go out with it, after it, in one claim.
        Call :meth:`mark_delivered` after pushing. ``claimed_by`` is the worker's name and a token of this claim."""
        _check_channel(channel)
        moment = _moment(now)
        claim = f"{worker[:MAX_LOGIN - 9]}#{secrets.token_hex(4)}"
        message = models.Message
        lapsed = moment - timedelta(seconds=lease_seconds)
        earlier = aliased(models.Message)
        behind_a_claim = select(earlier.id).where(
            earlier.sender == message.sender, earlier.id < message.id, earlier.delivered_at.is_(None),
            earlier.author.in_(TO_USER), earlier.claimed_at > lapsed,
            earlier.claimed_by != claim).exists()  # this claim's own rows: SQLite sees them claimed as it updates
        claimable = and_(message.delivered_at.is_(None), message.author.in_(TO_USER),
                         or_(message.claimed_at.is_(None), message.claimed_at <= lapsed), ~behind_a_claim)
        chosen = select(message.id).join(models.Handover, models.Handover.id == message.handover_id).where(
            models.Handover.channel == channel, claimable).order_by(message.id).limit(limit).with_for_update(
            skip_locked=True, of=message)
        with self._write() as db:
            db.execute(update(message).where(message.id.in_(chosen.scalar_subquery()), claimable).values(
                claimed_by=claim, claimed_at=moment).execution_options(synchronize_session=False))
            rows = db.execute(select(message).where(message.claimed_by == claim).order_by(message.id)).scalars()
            return [_message(row) for row in rows]

    def mark_delivered(self, message_ids: Iterable[int], now: Optional[datetime] = None) -> int:
        """Record messages as pushed; returns how many were not marked before."""
        ids = list(message_ids)
        if not ids:
            return 0
        moment = _moment(now)
        message = models.Message
        with self._write() as db:
            return int(db.execute(update(message).where(message.id.in_(ids), message.delivered_at.is_(None)).values(
                delivered_at=moment).execution_options(synchronize_session=False)).rowcount)

    # ---- staff presence ----------------------------------------------------------------------------------------------

    def seen(self, login: str, name: str, now: Optional[datetime] = None) -> None:
        """Staff ``login`` (display ``name``) is at the console now."""
        _check_login(login, name)
        moment = _moment(now)
        presence = models.StaffPresence
        for _ in range(2):  # the second round: another process inserted this login first
            try:
                with self._write() as db:
                    if db.execute(update(presence).where(presence.login == login).values(
                            name=name, last_seen=moment).execution_options(synchronize_session=False)).rowcount:
                        return
                    db.add(presence(login=login, name=name, last_seen=moment))
                return
            except IntegrityError:
                continue

    def on_duty(self, now: Optional[datetime] = None, within_seconds: float = ON_DUTY_SECONDS) -> List[Presence]:
        """Staff seen within the last ``within_seconds``, most recent first: a handover is worth offering when this
        is not empty (and :func:`handover.hours.is_staffed`)."""
        moment = _moment(now)
        presence = models.StaffPresence
        with self._read() as db:
            rows = db.execute(select(presence).where(
                presence.last_seen >= moment - timedelta(seconds=within_seconds)).order_by(
                presence.last_seen.desc(), presence.login)).scalars()
            return [_presence(row) for row in rows]

    # ---- call-back requests ------------------------------------------------------------------------------------------

    def add_callback(self, sender: Optional[str], channel: str, section: Optional[int], need: str, contact: str,
                     now: Optional[datetime] = None) -> Callback:
        """Store a request to be called (or written to) back, status ``new``.

        ``contact`` (a phone number or an e-mail address) is personal data: no error message, log line or repr
        names it; a database failure raises :class:`StoreError` without the database's message (which quotes
        the parameters). It is deleted :data:`CALLBACK_RETENTION_DAYS` after the request is done."""
        if sender is not None:
            _check_sender(sender)
        _check_channel(channel)
        if not isinstance(contact, str) or not contact.strip() or len(contact) > MAX_CONTACT:
            raise ValueError(f"a contact is 1 to {MAX_CONTACT} characters")
        if len(need) > MAX_MESSAGE_CHARS:
            raise MessageTooLong(len(need))
        moment = _moment(now)
        row = models.CallbackRequest(sender=sender, channel=channel, section=section, need=need,
                                     contact=contact.strip(), status=NEW, created_at=moment, updated_at=moment)
        failure = None
        try:
            with self._write() as db:
                db.add(row)
        except SQLAlchemyError as error:
            failure = type(error).__name__
        if failure is not None:  # raised here, not in the except clause: not even as its context
            raise StoreError(f"the call-back request could not be stored ({failure})")
        logger.info("handover.callback_requested", extra={"callback": row.id, "channel": channel})
        return _callback(row)

    def callbacks(self, status: Optional[str] = None) -> List[Callback]:
        """Call-back requests (of one status, or all), oldest first."""
        table = models.CallbackRequest
        query = select(table).order_by(table.created_at, table.id)
        if status is not None:
            query = query.where(table.status == status)
        with self._read() as db:
            return [_callback(row) for row in db.execute(query).scalars()]

    def set_callback_status(self, callback_id: int, status: str, now: Optional[datetime] = None) -> bool:
        """Move a request on: new → in_progress → done, or new → done. False when it is not in a state that can go
        there (already done, unknown id, back to new)."""
        if status not in CALLBACK_FROM:
            raise ValueError(f"a call-back request moves to {' or '.join(CALLBACK_FROM)}, not {status!r}")
        moment = _moment(now)
        table = models.CallbackRequest
        values: Dict[str, Any] = {"status": status, "updated_at": moment}
        if status == DONE:
            values["done_at"] = moment
        with self._write() as db:
            changed = db.execute(update(table).where(table.id == callback_id, table.status.in_(
                CALLBACK_FROM[status])).values(**values).execution_options(synchronize_session=False)).rowcount
        if changed:
            logger.info("handover.callback_status", extra={"callback": callback_id, "status": status})
        return bool(changed)

    # ---- retention ---------------------------------------------------------------------------------------------------

    def prune_callbacks(self, now: Optional[datetime] = None, retention_days: Optional[float] = None) -> int:
        """Delete requests done more than ``retention_days`` (default ``CALLBACK_RETENTION_DAYS``) ago; one done
        exactly that long ago stays. Returns how many."""
        days = settings().callback_retention_days if retention_days is None else retention_days
        cutoff = _moment(now) - timedelta(days=days)
        table = models.CallbackRequest
        with self._write() as db:
            removed = int(db.execute(delete(table).where(table.status == DONE, table.done_at < cutoff)
                                     .execution_options(synchronize_session=False)).rowcount)
        if removed:
            logger.info("handover.callbacks_pruned", extra={"removed": removed})
        return removed

    def prune_handovers(self, now: Optional[datetime] = None, retention_days: Optional[float] = None) -> int:
        """For handovers ended more than ``retention_days`` (default ``HANDOVER_RETENTION_DAYS``) ago, delete their
        messages and their sender id; the record (times, staff, outcome) stays for the figures. One ended exactly
        that long ago is kept whole. Returns how many handovers lost their sender id."""
        days = settings().handover_retention_days if retention_days is None else retention_days
        cutoff = _moment(now) - timedelta(days=days)
        table = models.Handover
        old = select(table.id).where(table.ended_at < cutoff)
        with self._write() as db:
            db.execute(delete(models.Message).where(models.Message.handover_id.in_(old.scalar_subquery()))
                       .execution_options(synchronize_session=False))
            pruned = int(db.execute(update(table).where(table.ended_at < cutoff, table.sender.is_not(None)).values(
                sender=None).execution_options(synchronize_session=False)).rowcount)
        if pruned:
            logger.info("handover.pruned", extra={"pruned": pruned})
        return pruned

    # ---- figures -----------------------------------------------------------------------------------------------------

    def figures(self, days: int = 30, now: Optional[datetime] = None) -> Figures:
        """Handovers requested in the last ``days`` Japan-time days (today included): :meth:`figures_between`."""
        if days < 1:
            raise ValueError("figures cover 1 day or more")
        moment = _moment(now)
        today = moment.astimezone(JST).date()
        return self.figures_between(today - timedelta(days=days - 1), today, until=moment)

    def figures_between(self, start: Optional[date] = None, end: Optional[date] = None,
                        until: Optional[datetime] = None, max_days: Optional[int] = None) -> Figures:
        """Handovers requested in the Japan-time days ``start`` to ``end`` (inclusive; either may be None: open),
        and not after ``until`` when given: per day, the median wait from request to take of those taken, and the
        share that timed out among those no longer queued (handover/figures.py, the review page's days);
        ``max_days``: fill only the latest that many days (the review page's bound)."""
        low, high = counted.bounds(start, end)
        table = models.Handover
        query = select(table.requested_at, table.taken_at, table.state)
        if low is not None:
            query = query.where(table.requested_at >= low)
        if high is not None:
            query = query.where(table.requested_at < high)
        if until is not None:
            query = query.where(table.requested_at <= _moment(until))
        with self._read() as db:
            rows = db.execute(query).all()
        return counted.summarize((counted.Request(_required(requested), _aware(taken), state)
                                  for requested, taken, state in rows), start, end, max_days)
