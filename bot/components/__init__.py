"""The project's NLU components (Rasa graph components named in config.yml)."""
