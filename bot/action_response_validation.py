"""Rasa's check of each action server response, with its validator built once instead of on every call.

Rasa 3.6 validates every custom action's response with ``jsonschema.validate(response, schema)``
(``RemoteAction._validate_action_result``). That function first checks the *schema itself* against JSON Schema's
2020-12 meta-schema, on every call: Rasa's response schema is constant and large (every event type), so on this
machine that check costs about 13 CPU-ms per custom action, more than half of what a Rasa process spends on a
whole turn (measured with a profiler on a Rasa process under the benchmark's load). Validating the response with a
validator built once from the same schema gives the same verdict and the same ``ValidationError`` (best match,
Rasa's message appended) for about 0.2 ms.

bot/rasa_patches.py puts :func:`validate_action_result` in the place of Rasa's method, at start-up.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Text


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    """The validator for Rasa's response schema, built once (the schema never changes in a process)."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    return validator_for(schema)(schema)


def validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    """``RemoteAction._validate_action_result`` without re-checking the constant schema on each call."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_validator().iter_errors(result))
    if error is None:
        return True
    # Rasa's own wording, so a malformed response is reported as Rasa reports it.
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error
