"""What nginx lets through from the public address: the channels' webhooks and the health check, nothing of Rasa's
HTTP API, and no large body."""
from __future__ import annotations

import http.client

import pytest
import requests

from tests.prod.conftest import PORTS


def test_the_health_check_answers(stack):
    response = requests.get(f"{stack.url}/", timeout=10)
    assert response.status_code == 200 and "Hello from Rasa" in response.text
    assert requests.post(f"{stack.url}/", timeout=10).status_code == 403


@pytest.mark.parametrize("method, path", [
    ("POST", "/model/parse"), ("GET", "/model/parse"), ("GET", "/status"), ("GET", "/version"),
    ("GET", "/conversations/x/tracker"), ("POST", "/conversations/x/tracker/events"), ("PUT", "/model"),
    ("GET", "/domain"), ("POST", "/model/predict"),
])
def test_rasa_http_api_is_not_public(stack, method, path):
    response = requests.request(method, f"{stack.url}{path}", params={"token": stack.api_token},
                                json={"text": "後継ぎがいない"}, timeout=10)
    assert response.status_code in (403, 404), (path, response.status_code)
    assert "rasa" not in response.text.lower()


@pytest.mark.parametrize("path", ["/webhooks/../status", "/webhooks/%2e%2e/status", "/webhooks/rest/%2E%2E/%2E%2E/status",
                                  "/webhooks/rest/../../conversations/x/tracker", "//status", "/./status"])
def test_paths_that_leave_webhooks_are_refused(stack, path):
    """Sent as written (http.client does not normalise): nginx normalises before choosing what to forward."""
    connection = http.client.HTTPConnection("127.0.0.1", PORTS["nginx"], timeout=10)
    connection.request("GET", f"{path}?token={stack.api_token}")
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    connection.close()
    assert response.status in (400, 403, 404), (path, response.status, body[:200])


def test_the_api_is_there_on_loopback_with_its_token(stack):
    """The 404s above are nginx's: the Rasa process itself serves its API to the console, with the token only."""
    rasa = f"http://127.0.0.1:{PORTS['rasa-1']}"
    assert requests.get(f"{rasa}/status", timeout=10).status_code == 401
    assert requests.get(f"{rasa}/status", params={"token": stack.api_token}, timeout=10).status_code == 200


def test_a_large_body_is_refused_by_nginx(stack):
    body = b'{"sender":"big","message":"' + b"a" * (100 * 1024) + b'"}'
    response = requests.post(f"{stack.url}/webhooks/rest/webhook", data=body,
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413
    assert "nginx" in response.text  # nginx's own page: the request never reached Rasa
    line = requests.post(f"{stack.url}/webhooks/line/webhook", data=body, timeout=10)
    assert line.status_code == 413


def test_a_normal_message_goes_through(stack):
    response = requests.post(f"{stack.url}/webhooks/rest/webhook",
                             json={"sender": "surface-check", "message": "後継ぎがいない"}, timeout=60)
    assert response.status_code == 200 and response.json()
