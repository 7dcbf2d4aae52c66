"""Who owns a conversation: REST credentials, widget session handles, secrets kept off the
command line (bot.channels.auth, bot.channels.socketio.WidgetSessions, bot.settings.secret,
bot.channels.serve). The servers' behaviour end to end: tests/integration/test_identity.py."""
import time

import jwt
import pytest

from bot import settings
from bot.channels import auth, inbound
from bot.channels.serve import rasa_arguments

SECRET = "rest-jwt-secret-for-unit-tests-0123456789"


def bearer(value):
    return {"Authorization": f"Bearer {value}"}


def access(**environ):
    return auth.RestAccess.from_environ(environ)


def test_open_rest_needs_only_a_sender():
    rest = access(REST_AUTH="open")
    assert rest.subject({}) is None
    assert rest.sender(None, {"sender": "me"}) == "me"
    with pytest.raises(inbound.BadInput):
        rest.sender(None, {"message": "hi"})


def test_rest_is_closed_by_default_without_secrets():
    rest = access()
    assert rest.mode == "token" and rest.closed
    with pytest.raises(auth.Denied) as denied:
        rest.subject(bearer("anything"))
    assert denied.value.status == 403


@pytest.mark.parametrize("headers", [{}, bearer("wrong"), {"Authorization": "Basic abc"},
                                     bearer(jwt.encode({"sub": "alice"}, "other-key"))])
def test_rest_without_a_valid_credential_is_refused(headers):
    rest = access(REST_TOKEN="s3rvertoken", REST_JWT_SECRET=SECRET)
    with pytest.raises(auth.Denied) as denied:
        rest.subject(headers)
    assert denied.value.status == 401


def test_the_server_token_names_any_conversation_a_jwt_only_its_own():
    rest = access(REST_TOKEN="s3rvertoken", REST_JWT_SECRET=SECRET)
    assert rest.sender(rest.subject(bearer("s3rvertoken")), {"sender": "alice"}) == "alice"
    alice = jwt.encode({"sub": "alice", "exp": int(time.time()) + 60}, SECRET)
    subject = rest.subject(bearer(alice))
    assert subject == "alice"
    assert rest.sender(subject, {}) == "alice"
    assert rest.sender(subject, {"sender": "alice"}) == "alice"
    with pytest.raises(auth.Denied) as denied:
        rest.sender(subject, {"sender": "bob"})
    assert denied.value.status == 403


@pytest.mark.parametrize("claims", [{"sub": "alice", "exp": int(time.time()) - 10}, {},
                                    {"sub": ""}, {"sub": ["alice"]}])
def test_expired_or_subjectless_jwts_are_refused(claims):
    rest = access(REST_JWT_SECRET=SECRET)
    with pytest.raises(auth.Denied):
        rest.subject(bearer(jwt.encode(claims, SECRET)))


def test_an_unknown_rest_mode_stops_the_server_with_a_reason():
    with pytest.raises(settings.ConfigurationError, match="REST_AUTH"):
        access(REST_AUTH="sometimes")


def test_staff_need_the_api_token_or_an_admin_jwt():
    env = {"RASA_API_TOKEN": "apitoken", "RASA_JWT_SECRET": SECRET}
    assert auth.is_staff("apitoken", {}, env)
    assert not auth.is_staff("wrong", {}, env)
    assert not auth.is_staff(None, {}, env)
    admin = jwt.encode({"user": {"username": "ops", "role": "admin"}}, SECRET)
    user = jwt.encode({"user": {"username": "alice", "role": "user"}}, SECRET)
    assert auth.is_staff(None, bearer(admin), env)
    assert not auth.is_staff(None, bearer(user), env)
    assert not auth.is_staff("", {}, {})  # no API token configured: nobody


def test_widget_sessions_are_minted_long_and_random_and_resume_only_with_their_proof():
    from bot.channels.socketio import WidgetSessions

    sessions = WidgetSessions(b"k" * 32)
    minted = [sessions.mint() for _ in range(200)]
    ids = {session for session, _ in minted}
    assert len(ids) == 200 and all(len(session) == 32 for session in ids)
    session, handle = minted[0]
    assert sessions.resume(handle) == session
    proof = handle.split(".", 1)[1]
    other_session, other_handle = minted[1]
    for forged in (session, f"{session}.", f"{session}.{'A' * 43}",
                   f"{session}.{other_handle.split('.', 1)[1]}", f"{other_session}.{proof}",
                   handle + "x", handle.upper(), None, 42, {"session_id": handle}):
        assert sessions.resume(forged) is None, forged
    # Another server's key (or a rotated one) does not accept the handle.
    assert WidgetSessions(b"j" * 32).resume(handle) is None


def test_secrets_come_from_the_environment_or_a_file(tmp_path):
    assert settings.secret("X_TOKEN", {"X_TOKEN": " abc \n"}) == "abc"
    path = tmp_path / "token"
    path.write_text("from-a-file\n")
    assert settings.secret("X_TOKEN", {"X_TOKEN_FILE": str(path)}) == "from-a-file"
    assert settings.secret("X_TOKEN", {}) == ""
    with pytest.raises(settings.ConfigurationError, match="not both"):
        settings.secret("X_TOKEN", {"X_TOKEN": "a", "X_TOKEN_FILE": str(path)})
    with pytest.raises(settings.ConfigurationError, match="cannot read"):
        settings.secret("X_TOKEN", {"X_TOKEN_FILE": str(tmp_path / "missing")})


def test_the_launcher_takes_the_api_secret_from_the_environment_only(tmp_path):
    args = rasa_arguments(["--port", "5005"], {"RASA_API_TOKEN": "t0ken"})
    assert args[:3] == ["run", "--port", "5005"]
    assert "--enable-api" in args and "--auth-token=t0ken" in args
    path = tmp_path / "jwt"
    path.write_text("jwt-secret")
    args = rasa_arguments([], {"RASA_JWT_SECRET_FILE": str(path)})
    assert "--jwt-secret=jwt-secret" in args
    assert "--enable-api" not in rasa_arguments([], {})  # no secret: no API
    for given in (["--auth-token", "t"], ["--jwt-secret=s"]):
        with pytest.raises(settings.ConfigurationError, match="environment"):
            rasa_arguments(given, {})


@pytest.mark.parametrize("secret", ["-Xk3_token", "--looks-like-an-option", "plain0token"])
def test_rasa_reads_every_secret_the_launcher_hands_it(secret):
    """token_urlsafe begins with "-" once in 64 draws: Rasa's own parser must still read it
    as the value (a CI run once failed with "--auth-token: expected one argument")."""
    from rasa.__main__ import create_argument_parser

    args = rasa_arguments(["--port", "5005"], {"RASA_API_TOKEN": secret,
                                               "RASA_JWT_SECRET": secret})
    parsed = create_argument_parser().parse_args(args)
    assert (parsed.auth_token, parsed.jwt_secret, parsed.port) == (secret, secret, 5005)
    assert parsed.enable_api and parsed.jwt_method == "HS256"


@pytest.mark.parametrize("interface,expected", [(None, "open"), ("127.0.0.1", "open"),
                                                ("0.0.0.0", "token"), ("10.1.2.3", "token")])
def test_make_run_leaves_rest_open_only_on_a_loopback_server(interface, expected):
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("REST_AUTH", "RASA_INTERFACE")}
    if interface:
        env["RASA_INTERFACE"] = interface
    out = subprocess.run(["bash", "-c", "source scripts/env.sh && echo $REST_AUTH"], cwd=root,
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == expected
