"""The processes that load the spaCy pipeline import skops before TensorFlow (bot.language's
docstring: its import is 1 s then, 5 s after Rasa and TensorFlow, in every training and at
every start of a Rasa server)."""
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ORDER = """
names = list(sys.modules)
assert "skops.io" in names, "skops was not imported"
assert "tensorflow" in names, "TensorFlow was not imported"
print(names.index("skops.io") < names.index("tensorflow"))
"""


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code) + ORDER], cwd=ROOT,
                            capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                 "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]


def test_the_training_command_imports_skops_before_tensorflow():
    # what `rasa train` imports once it runs (rasa.model_training brings in TensorFlow)
    assert run("""
        import sys
        import bot.staff.rasa_command
        import rasa.model_training
        """) == "True"


def test_the_rasa_server_launcher_imports_skops_before_tensorflow():
    # Rasa's own main is replaced by one that imports what `rasa run` imports first
    assert run("""
        import sys
        import rasa.__main__
        assert "tensorflow" not in sys.modules  # Rasa's command line alone has not
        rasa.__main__.main = lambda: __import__("rasa.core.agent")
        from bot.channels import serve
        serve.main(["--model", "models/triage.tar.gz"])
        """) == "True"


def test_the_training_command_is_rasas_own():
    result = subprocess.run([sys.executable, "-m", "bot.staff.rasa_command", "--version"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                 "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Rasa Version" in result.stdout
