"""Custom actions: thin layers that read slots, ask the knowledge store and answer.

Run with ``python -m bot.action_server --actions bot.actions``; rasa_sdk imports every module of this package.

Two kinds of module, so that nothing imports in a circle (``make lint`` checks it with import-linter):
- what to say, as functions of (dispatcher, tracker, store): ``followup``, ``location``, ``program``, ``rules``,
  ``ellipsis``, ``unsure`` (which dispatches a reading the policy is unsure of to the others), over ``focus``,
  ``understanding``, ``contract`` and ``common``;
- Rasa's actions, each deciding which of those answers a message gets: ``base.AssistantAction`` (every action's
  shape) and its subclasses in ``*_actions.py``, ``greeting`` and ``feedback``.
"""
