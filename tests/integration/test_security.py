"""Security settings of a deployed server: the HTTP API needs the token; the REST webhook
needs its own token or a JWT that names the one conversation its bearer may use; the widget's
socket.io stays open; Telegram does not start without its webhook secret; CORS answers only
the configured origins; secrets come from the environment and never show on the process's
command line; and the logs at INFO hold nothing a person wrote."""
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import jwt
import pytest
import yaml

from tests.conftest import (MODEL, ROOT, VENV_BIN, free_port, server_env, stop, wait_for)

TOKEN = "security-test-token"
REST_TOKEN = "security-test-rest-token"
REST_JWT_SECRET = "security-test-rest-jwt-secret-0123456789abcdef"
ALLOWED = "https://chat.example.org"
# Words that must never reach a log: free text and health details.
CANARY = "zebracanary numbness in my groin and I can't pee since leg day"


@pytest.fixture(scope="module")
def secured_server(endpoints_file, tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does)")
    port = free_port()
    log = tmp_path_factory.mktemp("security") / "rasa.log"
    # As in production: the API token and the REST secrets in the environment (the launcher
    # hands the API token to Rasa inside the process), the REST webhook authenticated, and
    # a Telegram token given without its webhook secret.
    process = subprocess.Popen(
        [str(VENV_BIN / "python"), "-m", "bot.channels.serve", "--model", str(MODEL),
         "--port", str(port), "--interface", "127.0.0.1", "--endpoints", str(endpoints_file),
         "--credentials", str(ROOT / "credentials.yml"), "--cors", ALLOWED],
        cwd=ROOT, env=server_env(LOG_LEVEL="INFO", CORS_ORIGINS=ALLOWED, RASA_API_TOKEN=TOKEN,
                                 REST_AUTH="token", REST_TOKEN=REST_TOKEN,
                                 REST_JWT_SECRET=REST_JWT_SECRET,
                                 TELEGRAM_TOKEN="123456:security-test-telegram-token",
                                 TELEGRAM_BOT_NAME="security_test_bot",
                                 TELEGRAM_WEBHOOK_URL="https://bot.example.org/webhooks/"
                                                      "telegram/webhook",
                                 TELEGRAM_API_URL="http://127.0.0.1:9"),
        stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/", process, log)
        yield f"http://127.0.0.1:{port}", log, process
    finally:
        stop(process)


def as_server(headers=None):
    return {"Authorization": f"Bearer {REST_TOKEN}", **(headers or {})}


def as_user(subject, key=REST_JWT_SECRET, **claims):
    token = jwt.encode({"sub": subject, "exp": int(time.time()) + 600, **claims}, key)
    return {"Authorization": f"Bearer {token}"}


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
    url, _, _ = secured_server
    for path in ("/conversations/someone/tracker", "/status", "/domain"):
        assert request(url + path)[0] == 401, path
        assert request(url + path + "?token=wrong")[0] == 401, path
        assert request(url + path + f"?token={TOKEN}")[0] == 200, path
    # Changing a conversation or the model is refused too.
    status, _, _ = request(url + "/conversations/someone/tracker/events",
                           [{"event": "slot", "name": "disposition", "value": "self_care"}])
    assert status == 401
    assert request(url + "/model", {"model_file": "/tmp/x"}, method="PUT")[0] == 401


def test_no_secret_is_on_the_servers_command_line(secured_server):
    _, _, process = secured_server
    command_line = open(f"/proc/{process.pid}/cmdline", "rb").read().decode()
    for secret in (TOKEN, REST_TOKEN, REST_JWT_SECRET, "security-test-telegram-token"):
        assert secret not in command_line
    # ... and the launcher refuses to put one there.
    refused = subprocess.run([str(VENV_BIN / "python"), "-m", "bot.channels.serve",
                              "--auth-token", "x"], cwd=ROOT, env=server_env(),
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "environment" in refused.stderr


def test_the_widget_channel_stays_open_and_rest_needs_a_credential(secured_server):
    url, _, _ = secured_server
    assert request(url + "/socket.io/?EIO=4&transport=polling")[0] == 200
    body = {"sender": "sec-open", "message": "hello"}
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}"},  # the API token is not it
                    {"Authorization": "Bearer wrong"},
                    as_user("sec-open", key="another-key-0123456789abcdef0123456789"),
                    as_user("sec-open", exp=int(time.time()) - 5)):
        status, _, reply = request(url + "/webhooks/rest/webhook", body, headers=headers)
        assert status == 401, (headers, reply)
    status, _, reply = request(url + "/webhooks/rest/webhook", body, headers=as_server())
    assert status == 200 and json.loads(reply)


def test_a_jwt_reaches_only_the_conversation_it_names(secured_server):
    url, _, _ = secured_server
    webhook = url + "/webhooks/rest/webhook"
    alice, mallory = as_user("sec-alice"), as_user("sec-mallory")
    status, _, _ = request(webhook, {"message": "my back hurts and I have a fever"},
                           headers=alice)
    assert status == 200

    def alices_messages():
        tracker = json.loads(request(url + f"/conversations/rest:sec-alice/tracker?token="
                                           f"{TOKEN}")[2])
        return [e["text"] for e in tracker["events"] if e["event"] == "user"]

    assert alices_messages() == ["my back hurts and I have a fever"]
    # Mallory names Alice's conversation: refused, to read it, continue it or erase it.
    for text in ("/deny", "delete my data", "/affirm"):
        status, _, _ = request(webhook, {"sender": "sec-alice", "message": text},
                               headers=mallory)
        assert status == 403
    # In her own conversation, Mallory hears nothing of Alice's.
    status, _, reply = request(webhook, {"message": "/deny"}, headers=mallory)
    assert status == 200 and "fever" not in reply.decode().lower()
    assert alices_messages() == ["my back hurts and I have a fever"]


def test_telegram_does_not_start_without_its_webhook_secret(secured_server):
    url, log, _ = secured_server
    status, _, body = request(url + "/webhooks/telegram/webhook", {"update_id": 1})
    assert status == 503 and b"TELEGRAM_WEBHOOK_SECRET" in body
    assert "TELEGRAM_WEBHOOK_SECRET is not set" in log.read_text(errors="replace")


def test_cors_answers_only_the_configured_origin(secured_server):
    url, _, _ = secured_server
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
                            headers=as_server({"Origin": "https://evil.example"}))
    assert headers.get("Access-Control-Allow-Origin") in (None, "")


def test_logs_at_info_hold_no_message_text_or_health_data(secured_server, logs_dir):
    url, log, _ = secured_server
    sender = "sec-logs"
    for message in (CANARY, "/deny", "zebracanary 9 out of 10 and getting worse"):
        assert request(url + "/webhooks/rest/webhook",
                       {"sender": sender, "message": message}, headers=as_server())[0] == 200
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
    # Of the channels' routes, only what public clients use: no prefix location would let
    # health checks or Telegram's set_webhook through.
    # (the public server is the first block; nginx's status page and the action servers
    # come after it, on loopback)
    public_block = re.split(r"# The action servers|# nginx's own counters", text)[0]
    public = [where for where in re.findall(r"location (=?\s*\S+) \{", public_block)
              if not where.startswith("@")]  # a named location is internal (the 429 reply)
    assert sorted(public) == sorted(["= /health", "= /webhooks/rest/webhook",
                                     "= /webhooks/telegram/webhook", "/socket.io/", "/"])


def test_the_cluster_puts_no_secret_on_a_command_line():
    import sys

    sys.path.insert(0, str(ROOT / "cluster"))
    from control import SECRETS, Cluster

    env = {"PATH": "/usr/bin:/bin", **{name: f"value-of-{name.lower()}" for name in SECRETS}}
    cluster = Cluster(env)
    for name in cluster.services:
        command = " ".join(cluster.command(name))
        assert not any(f"value-of-{n.lower()}" in command for n in SECRETS), name
    assert cluster.env["REST_AUTH"] == "token"
