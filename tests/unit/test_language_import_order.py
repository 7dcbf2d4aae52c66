"""Every way the project runs Rasa imports skops before TensorFlow (bot.language's docstring:
its import is 1 s then, 5 s after Rasa and TensorFlow, in every training and at every start of
a Rasa server)."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ORDER = """
names = list(sys.modules)
assert "skops.io" in names, "skops was not imported"
assert "tensorflow" in names, "TensorFlow was not imported"
print(names.index("skops.io") < names.index("tensorflow"))
"""


def python(*args: str) -> str:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                              "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def skops_first(code: str) -> bool:
    return python("-c", textwrap.dedent(code) + ORDER).strip().splitlines()[-1] == "True"


def test_the_rasa_command_imports_skops_before_tensorflow():
    # what `rasa train` imports once it runs (rasa.model_training brings in TensorFlow)
    assert skops_first("""
        import sys
        import bot.staff.rasa_command
        import rasa.model_training
        """)


@pytest.mark.parametrize("launcher, args", [
    ("bot.channels.serve", ["--model", "models/triage.tar.gz"]),
    ("bot.channels.shell", ["--model", "models/triage.tar.gz"]),
])
def test_the_servers_and_the_shell_import_skops_before_tensorflow(launcher, args):
    # Rasa's own main is replaced by one that imports what `rasa run` imports first
    assert skops_first(f"""
        import importlib, sys
        import rasa.__main__
        assert "tensorflow" not in sys.modules  # Rasa's command line alone has not
        rasa.__main__.main = lambda: __import__("rasa.core.agent")
        importlib.import_module("{launcher}").main({args!r})
        """)


def test_the_rasa_command_is_rasas_own():
    assert "Rasa Version" in python("-m", "bot.staff.rasa_command", "--version")
