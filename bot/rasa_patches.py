"""Every change this project makes to Rasa's own code, applied by one function at start-up and guarded.

Rasa offers no setting for three things this project needs, so they are changed in Rasa's modules, here only:

1. ``RemoteAction._validate_action_result`` checks each action server response with a validator built once
   (bot/action_response_validation.py): Rasa re-checks its large, constant schema on every call, about 13 CPU-ms a
   custom action on a 2-core machine, more than half of a whole turn.
2. ``rasa.core.agent.FailSafeTrackerStore``, the wrapper the agent puts around every tracker store, becomes
   :class:`bot.tracker_store.LoudTrackerStore`, which lets a shared SQL store's errors through instead of answering
   from one process's memory (why: bot/tracker_store.py). Stores that do not ask for it behave as before.
3. ``rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT``, read by ``RemoteAction.run`` at each call, becomes
   ``ACTION_TIMEOUT_SECONDS`` (common/settings.py) instead of five minutes, in every Rasa process,
   ``rasa shell`` included.

The project also subclasses Rasa's classes where Rasa names them as extension points (tracker and lock stores in
endpoints.yml, channels in credentials.yml); some of those subclasses override private methods. Those stay as
they are, but their names are checked here too, so that a different Rasa fails at start-up, loudly, instead of
silently skipping an override.

:func:`apply` is called by the entry point every Rasa process of this project starts through
(bot/rasa_command.py: ``rasa run``, ``rasa shell``, ``rasa test``, and the test servers). It refuses to change
anything unless the installed Rasa is the pinned one and every name it replaces or overrides exists with the
expected parameters; :class:`RasaMismatch` says which.
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

PINNED_RASA = "3.6.21"  # as requirements/rasa.txt pins it (tests/unit/test_rasa_patches.py keeps them equal)


class RasaMismatch(RuntimeError):
    """The installed Rasa is not the one these changes were written for."""


@dataclass(frozen=True)
class Target:
    """A name in Rasa's code this project replaces or overrides; ``parameters`` for callables, else None."""

    module: str
    path: str  # "Class.method" or "NAME"
    parameters: Optional[Tuple[str, ...]]
    why: str

    def resolve(self) -> Any:
        value: Any = importlib.import_module(self.module)
        for part in self.path.split("."):
            value = getattr(value, part)
        return value

    def problem(self) -> Optional[str]:
        """What is wrong with this name in the installed Rasa, or None."""
        try:
            value = self.resolve()
        except (ImportError, AttributeError):
            return f"{self.module}.{self.path} does not exist ({self.why})"
        if self.parameters is None:
            return None
        try:
            found = tuple(inspect.signature(_original(value)).parameters)
        except (TypeError, ValueError):
            return f"{self.module}.{self.path} is not a function ({self.why})"
        if found != self.parameters:
            return (f"{self.module}.{self.path} takes ({', '.join(found)}), "
                    f"expected ({', '.join(self.parameters)}) ({self.why})")
        return None


REPLACED = (
    Target("rasa.core.actions.action", "RemoteAction._validate_action_result", ("self", "result"),
           "replaced: responses checked with a prebuilt validator"),
    Target("rasa.core.agent", "FailSafeTrackerStore", None,
           "rebound: the agent's tracker store wrapper lets a shared store's errors through"),
    Target("rasa.core.actions.action", "DEFAULT_REQUEST_TIMEOUT", None,
           "set: action calls bounded by ACTION_TIMEOUT_SECONDS"),
)
OVERRIDDEN = (
    Target("rasa.core.tracker_store", "FailSafeTrackerStore.__init__",
           ("self", "tracker_store", "on_tracker_store_error", "fallback_tracker_store"),
           "subclassed by bot.tracker_store.LoudTrackerStore"),
    Target("rasa.core.tracker_store", "SQLTrackerStore._retrieve",
           ("self", "sender_id", "fetch_events_from_all_sessions"),
           "overridden by bot.tracker_store.ExpiringSQLTrackerStore"),
    Target("rasa.core.lock_store", "LockStore._acquire_lock",
           ("self", "conversation_id", "ticket", "wait_time_in_seconds"),
           "overridden by bot.lock_store.AtomicRedisLockStore"),
    Target("rasa.core.channels.rest", "QueueOutputChannel._persist_message", ("self", "message"),
           "overridden by bot.channels.rest.CountingQueueOutputChannel"),
    Target("rasa.core.channels.rest", "RestInput.on_message_wrapper",
           ("on_new_message", "text", "queue", "sender_id", "input_channel", "metadata"),
           "overridden by bot.channels.rest.RestInput"),
)


def _original(value: Any) -> Any:
    """The function behind ``value``, before this module replaced it (so that a second check still compares
    Rasa's parameters, not ours)."""
    return getattr(value, "__rasa_original__", value)


def problems() -> List[str]:
    """Everything that stops the changes from being applied to the installed Rasa (empty when all is as pinned)."""
    import rasa

    found = [] if rasa.__version__ == PINNED_RASA else [
        f"Rasa {rasa.__version__} is installed; this project's changes to Rasa are written for {PINNED_RASA}"]
    return found + [problem for target in REPLACED + OVERRIDDEN if (problem := target.problem()) is not None]


def _changes() -> List[Tuple[Target, Callable[[], Any]]]:
    """Each replaced name with the value it gets (built only once every check has passed)."""
    from bot import action_response_validation
    from bot.tracker_store import LoudTrackerStore
    from common.settings import settings

    validate = action_response_validation.validate_action_result
    return [(REPLACED[0], lambda: validate), (REPLACED[1], lambda: LoudTrackerStore),
            (REPLACED[2], lambda: settings().action_timeout_seconds)]


def apply() -> None:
    """Check the installed Rasa, then apply every change (idempotent). :class:`RasaMismatch` lists every problem
    found, and then nothing has been changed."""
    found = problems()
    if found:
        raise RasaMismatch("Rasa does not match what this project changes in it:\n- " + "\n- ".join(found)
                           + f"\nInstall the pinned Rasa ({PINNED_RASA}: requirements/rasa.txt) or revise "
                             "bot/rasa_patches.py for the installed one.")
    for target, value_of in _changes():
        owner_path, _, attribute = target.path.rpartition(".")
        owner = Target(target.module, owner_path, None, target.why).resolve() if owner_path \
            else importlib.import_module(target.module)
        value = value_of()
        if target.parameters is not None and not hasattr(value, "__rasa_original__"):
            original = _original(getattr(owner, attribute))
            if original is not value:
                value.__rasa_original__ = original
        setattr(owner, attribute, value)


def applied() -> bool:
    """Whether this process runs Rasa with the changes (each replaced name holds this project's value)."""
    from bot import action_response_validation
    from bot.tracker_store import LoudTrackerStore

    return (REPLACED[0].resolve() is action_response_validation.validate_action_result
            and REPLACED[1].resolve() is LoudTrackerStore)
