"""The project's NLU components (Rasa graph components named in config.yml).

Importing them also makes this process validate action server responses with a validator built once
(bot/action_response_validation.py): every Rasa process serving this project's model imports this package.
"""
from bot import action_response_validation

action_response_validation.install()
