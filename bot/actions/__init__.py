"""Custom actions: thin layers that read slots, ask the knowledge store and answer.

Run with ``rasa run actions --actions bot.actions``; rasa_sdk imports every module of this package.
"""
