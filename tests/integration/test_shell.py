"""`make shell`, as support staff use it, driven through a pseudo-terminal: a triage to the
emergency advice, and its handover summary printed as text (issue 16)."""
import re

import pexpect

from tests.conftest import EMERGENCY_NUMBER, ROOT, free_port, server_env

DOWN, ENTER = "\x1b[B", "\r"


def test_make_shell_runs_a_full_triage_with_buttons(tmp_path):
    action_port = free_port()
    env = server_env(ACTION_PORT=str(action_port),
                     ACTION_ENDPOINT_URL=f"http://127.0.0.1:{action_port}/webhook",
                     SHELL_PORT=str(free_port()),
                     TRACKER_DB_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
                     TERM="xterm", PYTHONWARNINGS="ignore")
    shell = pexpect.spawn("make", ["-s", "shell"], cwd=str(ROOT), env=env, encoding="utf-8",
                          timeout=300, dimensions=(50, 160))
    shell.logfile_read = (tmp_path / "shell.log").open("w")
    try:
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
