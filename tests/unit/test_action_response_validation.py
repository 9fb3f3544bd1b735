"""Action server responses are validated as Rasa validates them, with the validator built once per process."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import action_response_validation

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "program", "value": "21", "timestamp": None}],
     "responses": [{"response": "utter_program_card", "custom": {"programs": [{"section": 21}]}}]},
    {"events": [{"event": "followup", "name": "action_answer_field"}], "responses": [{"text": "はい"}]},
    {},
]
INVALID = [
    {"events": "slot"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "value": 1}]},
    {"responses": "text"},
    {"events": [{"name": "program"}]},
]


def rasa_verdict(result):
    """What Rasa's own check (``jsonschema.validate`` with its schema) says: None, or the error's message."""
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as error:
        return error.message
    return None


@pytest.mark.parametrize("result", VALID)
def test_a_valid_response_passes_as_with_rasa(result):
    assert rasa_verdict(result) is None
    assert action_response_validation.validate_action_result(None, result) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_response_raises_rasas_error(result):
    expected = rasa_verdict(result)
    assert expected is not None
    with pytest.raises(jsonschema.ValidationError) as raised:
        action_response_validation.validate_action_result(None, result)
    assert raised.value.message.startswith(expected + ". Failed to validate Action server response")


def test_the_schema_is_compiled_once_not_per_response():
    action_response_validation._validator.cache_clear()
    for result in VALID * 5:
        action_response_validation.validate_action_result(None, result)
    assert action_response_validation._validator.cache_info().misses == 1
