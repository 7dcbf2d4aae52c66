"""`make shell`, as support staff use it, driven through a pseudo-terminal: a triage to the
emergency advice, and its handover summary printed as text (issue 16); a check-in asked for
in one shell and shown, days later, when the same conversation writes again in the next."""
import re
import uuid

import pexpect
import sqlalchemy as sa

from tests.conftest import EMERGENCY_NUMBER, PSEUDONYM_SECRET, ROOT, free_port, server_env

DOWN, ENTER = "\x1b[B", "\r"


def test_make_shell_runs_a_full_triage_with_buttons(tmp_path):
    action_port = free_port()
    env = server_env(ACTION_PORT=str(action_port),
                     ACTION_ENDPOINT_URL=f"http://127.0.0.1:{action_port}/webhook",
                     SHELL_PORT=str(free_port()),
                     TRACKER_DB_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
                     TERM="xterm", PYTHONWARNINGS="ignore")
    env.pop("SHELL_CONVERSATION", None)
    shell = pexpect.spawn("make", ["-s", "shell"], cwd=str(ROOT), env=env, encoding="utf-8",
                          timeout=300, dimensions=(50, 160))
    shell.logfile_read = (tmp_path / "shell.log").open("w")
    try:
        # a new conversation at each start, named so that it can be come back to
        shell.expect(r"make shell SHELL_CONVERSATION=[0-9a-f]{12}\r?\n")
        shell.expect("Your input ->")
        shell.sendline("my lower back hurts after leg press")
        shell.expect("rule out an emergency")  # every emergency sign, as a menu of buttons
        shell.expect("Not sure")
        shell.send(DOWN + DOWN)  # from "Yes, one of these" past "None of these"
        shell.send(ENTER)  # "Not sure": the same question in plainer words
        shell.expect("put it more simply")
        shell.expect("Still not sure")
        shell.send(ENTER)  # "Yes, one of these"
        shell.expect(re.escape(EMERGENCY_NUMBER))
        shell.expect('"disposition": "emergency"')  # the custom payload, shown as JSON
        shell.expect('"summary_url": "/summary/')  # with the handover summary's link
        shell.expect("Your input ->")
        shell.sendline("/show_summary")  # the result's button "Summary for your doctor"
        shell.expect("THE ADVICE GIVEN")  # the summary, printed as text (issue 16)
        shell.expect("Emergency: call " + re.escape(EMERGENCY_NUMBER))
        shell.expect("Your input ->")
        shell.sendline("/stop")
        shell.expect(pexpect.EOF, timeout=60)
    finally:
        shell.close(force=True)
    assert not pexpect.run("pgrep -f 'rasa_sdk --actions actions --port %d'" % action_port).strip(), \
        "make shell left its action server running"


def start_shell(tmp_path, log_name, **extra):
    action_port = free_port()
    env = server_env(ACTION_PORT=str(action_port),
                     ACTION_ENDPOINT_URL=f"http://127.0.0.1:{action_port}/webhook",
                     SHELL_PORT=str(free_port()),
                     TRACKER_DB_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
                     TERM="xterm", PYTHONWARNINGS="ignore", **extra)
    if "SHELL_CONVERSATION" not in extra:
        env.pop("SHELL_CONVERSATION", None)  # a developer's own: each start is new here
    shell = pexpect.spawn("make", ["-s", "shell"], cwd=str(ROOT), env=env, encoding="utf-8",
                          timeout=300, dimensions=(50, 160))
    shell.logfile_read = (tmp_path / log_name).open("w")
    return shell


def test_a_due_check_in_is_shown_when_the_same_conversation_writes_again(tmp_path,
                                                                         monkeypatch):
    from bot.storage.records_access import RecordsAccess
    from tests.integration.test_checkins import days_pass

    tracker_db = f"sqlite:///{tmp_path / 'tracker.db'}"
    conversation = f"desk-{uuid.uuid4().hex[:8]}"
    shell = start_shell(tmp_path, "shell-1.log", SHELL_CONVERSATION=conversation)
    try:
        shell.expect("make shell SHELL_CONVERSATION=" + conversation)  # how to come back
        shell.expect("Your input ->")
        shell.sendline("my lower back hurts after leg press, 3 days ago, easing off, 3/10, "
                       "I'm 30, only in my back, hurts when I bend")
        shell.expect("rule out an emergency")
        shell.expect("Type out your own message")
        shell.send(DOWN + ENTER)  # "None of these"
        shell.expect("doctor should see you today")  # the same-day signs
        shell.expect("Type out your own message")
        shell.send(DOWN + ENTER)  # "None of these"
        shell.expect(r"Check in with me in 3 days \(/checkin_accept\)")  # a listed button
        shell.expect('"disposition": "self_care"')
        shell.expect("Your input ->")
        shell.sendline("/checkin_accept")  # the button's payload, typed
        shell.expect("I'll check in with you in 3 days")
        shell.expect("Your input ->")
        shell.sendline("/stop")
        shell.expect(pexpect.EOF, timeout=60)
    finally:
        shell.close(force=True)

    # The check-in belongs to the shell's own conversation, `cmdline:<id>`.
    monkeypatch.setenv("PSEUDONYM_SECRET", PSEUDONYM_SECRET)
    engine = sa.create_engine(tracker_db, future=True)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT conversation_key, state FROM checkins")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (RecordsAccess(tracker_db).key_of(f"cmdline:{conversation}"), "scheduled")]
    days_pass(tracker_db, 3)

    shell = start_shell(tmp_path, "shell-2.log", SHELL_CONVERSATION=conversation)
    try:
        shell.expect("Your input ->")
        shell.sendline("hi, it's me again")
        shell.expect("It's 3 days since we talked about your back")
        shell.expect("How is your back now")
        shell.expect("Type out your own message")  # the answer buttons, as a menu
        shell.send(DOWN * 4 + ENTER)  # past Better, About the same, Worse, Stop check-ins
        shell.expect("Your input ->")
        shell.sendline("loads better thanks")
        shell.expect("light weight")  # how to go back to the leg press
        shell.expect("Your input ->")
        shell.sendline("/stop")
        shell.expect(pexpect.EOF, timeout=60)
    finally:
        shell.close(force=True)


def test_a_conversation_that_is_not_a_plain_name_is_refused(tmp_path):
    """The shell's id is a plain name: "rest:alex" could look like another channel's."""
    shell = start_shell(tmp_path, "shell-3.log", SHELL_CONVERSATION="rest:alex")
    try:
        shell.expect("SHELL_CONVERSATION must be 1 to 64 letters")
        shell.expect(pexpect.EOF, timeout=60)
    finally:
        shell.close()
    assert shell.exitstatus != 0
