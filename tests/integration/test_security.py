"""Security settings of a deployed server: the HTTP API needs the token while the chat
channels stay open, CORS answers only the configured origins, secrets come from the
environment, and the logs at INFO hold nothing a person wrote."""
import json
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import (MODEL, ROOT, VENV_BIN, free_port, server_env, stop, wait_for)

TOKEN = "security-test-token"
ALLOWED = "https://chat.example.org"
# Words that must never reach a log: free text and health details.
CANARY = "zebracanary numbness in my groin and I can't pee since leg day"


@pytest.fixture(scope="module")
def secured_server(endpoints_file, tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does)")
    port = free_port()
    log = tmp_path_factory.mktemp("security") / "rasa.log"
    process = subprocess.Popen(
        [str(VENV_BIN / "rasa"), "run", "--model", str(MODEL), "--port", str(port),
         "--interface", "127.0.0.1", "--endpoints", str(endpoints_file),
         "--credentials", str(ROOT / "credentials.yml"), "--enable-api",
         "--auth-token", TOKEN, "--cors", ALLOWED],
        cwd=ROOT, env=server_env(LOG_LEVEL="INFO", CORS_ORIGINS=ALLOWED),
        stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/", process, log)
        yield f"http://127.0.0.1:{port}", log
    finally:
        stop(process)


def request(url, data=None, headers=None, method=None):
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_http_api_needs_the_token(secured_server):
    url, _ = secured_server
    for path in ("/conversations/someone/tracker", "/status", "/domain"):
        assert request(url + path)[0] == 401, path
        assert request(url + path + "?token=wrong")[0] == 401, path
        assert request(url + path + f"?token={TOKEN}")[0] == 200, path
    # Changing a conversation or the model is refused too.
    status, _, _ = request(url + "/conversations/someone/tracker/events",
                           [{"event": "slot", "name": "disposition", "value": "self_care"}])
    assert status == 401
    assert request(url + "/model", {"model_file": "/tmp/x"}, method="PUT")[0] == 401


def test_the_chat_channels_stay_open(secured_server):
    url, _ = secured_server
    status, _, body = request(url + "/webhooks/rest/webhook", {"sender": "sec-open",
                                                               "message": "hello"})
    assert status == 200 and json.loads(body)
    assert request(url + "/socket.io/?EIO=4&transport=polling")[0] == 200


def test_cors_answers_only_the_configured_origin(secured_server):
    url, _ = secured_server
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}
    _, headers, _ = request(url + "/webhooks/rest/webhook", method="OPTIONS",
                            headers={"Origin": ALLOWED, **preflight})
    assert headers.get("Access-Control-Allow-Origin") == ALLOWED
    _, headers, _ = request(url + "/webhooks/rest/webhook", method="OPTIONS",
                            headers={"Origin": "https://evil.example", **preflight})
    assert "Access-Control-Allow-Origin" not in headers
    _, headers, _ = request(url + "/webhooks/rest/webhook", {"sender": "sec-cors",
                                                             "message": "hi"},
                            headers={"Origin": "https://evil.example"})
    assert headers.get("Access-Control-Allow-Origin") in (None, "")


def test_logs_at_info_hold_no_message_text_or_health_data(secured_server, logs_dir):
    url, log = secured_server
    sender = "sec-logs"
    for message in (CANARY, "/deny", "zebracanary 9 out of 10 and getting worse"):
        assert request(url + "/webhooks/rest/webhook",
                       {"sender": sender, "message": message})[0] == 200
    logs = log.read_text(errors="replace")
    actions_log = logs_dir / "actions.log"
    if actions_log.exists():
        logs += actions_log.read_text(errors="replace")
    assert "zebracanary" not in logs
    for health_word in ("groin", "can't pee", "9 out of 10"):
        assert health_word not in logs, health_word


SECRET_KEY = re.compile(r"(token|secret|password|passwd|api_key|private_key)", re.I)


def _secret_values(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _secret_values(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _secret_values(value, f"{path}[{index}]")
    elif SECRET_KEY.search(path.rsplit(".", 1)[-1]) and node not in (None, ""):
        yield path, node


@pytest.mark.parametrize("name", ["endpoints.yml", "credentials.yml", "cluster/endpoints.yml"])
def test_secrets_come_only_from_the_environment(name):
    path = ROOT / name
    if not path.exists():
        pytest.skip(f"{name} is not in this checkout")
    config = yaml.safe_load(path.read_text()) or {}
    for where, value in _secret_values(config):
        assert re.fullmatch(r"\$\{[A-Z0-9_]+\}", str(value)), f"{name}{where} is not ${{VAR}}"
    # No password inside a database or Redis URL written in the file either (comments may
    # show the form of such a URL).
    settings = "\n".join(line for line in path.read_text().splitlines()
                         if not line.lstrip().startswith("#"))
    assert not re.search(r"://[^/\s:@]+:[^@\s$]+@", settings), name


def test_the_cluster_publishes_only_the_chat_channels():
    template = Path(ROOT / "cluster" / "nginx.conf.template")
    if not template.exists():
        pytest.skip("no cluster set-up in this checkout")
    text = template.read_text()
    assert "location / {\n            return 404;" in text  # the API is not behind nginx
    assert "$request_uri" not in text and "$args" not in text  # no tokens in access logs
