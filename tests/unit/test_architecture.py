"""The tree under bot/ is the architecture: imports only go downward.

Layers, lowest first (docs/architecture.md draws them). A module may import from its own
subpackage and from any lower layer, never from its own layer's neighbours or from above.
The clinical core imports nothing but the standard library, so it can be read and tested
alone; the action server (actions/) sees only the layers it runs with.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"

LAYER = {
    "clinical": 0,
    "settings": 0,
    "rasa_patches": 1,
    "language": 2,
    "storage": 2,
    "handover": 2,
    "operations": 2,
    "channels": 3,
    "web": 3,
    "console": 3,
    "staff": 4,
}
# The action server runs the triage and writes records; it never loads the NLU, channels,
# web servers or staff tools. It renders the handover summary's chat text (bot.handover).
ACTIONS_MAY_IMPORT = {"clinical", "settings", "storage", "handover"}
STANDARD_LIBRARY = set(sys.stdlib_module_names)


def _unit(path: Path) -> str:
    """The subpackage (or top-level module) of bot/ that a file belongs to."""
    relative = path.relative_to(BOT)
    return relative.parts[0].removesuffix(".py")


def _bot_imports(path: Path):
    """(line, imported unit of bot/) for every import of the bot's own code in a file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] if node.module != "bot" else \
                [f"bot.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "bot" and len(parts) > 1:
                yield node.lineno, parts[1]


def _top_level_imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def _modules(folder: Path):
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_part_of_bot_has_a_layer():
    units = {_unit(p) for p in _modules(BOT)} - {"__init__", "__main__"}
    assert units == set(LAYER), "a new subpackage of bot/ needs its place in LAYER and " \
                                "in docs/architecture.md"


def test_imports_only_go_downward():
    wrong = []
    for path in _modules(BOT):
        unit = _unit(path)
        if unit in ("__init__", "__main__"):
            continue
        for line, imported in _bot_imports(path):
            if imported == unit:
                continue
            if imported not in LAYER:
                wrong.append(f"{path.relative_to(BOT.parent)}:{line} imports bot.{imported}, "
                             f"which does not exist")
            elif LAYER[imported] >= LAYER[unit]:
                wrong.append(f"{path.relative_to(BOT.parent)}:{line}: {unit} (layer {LAYER[unit]}) "
                             f"imports {imported} (layer {LAYER[imported]})")
    assert not wrong, "\n".join(wrong)


def test_the_clinical_core_is_pure():
    foreign = [f"{path.relative_to(ROOT)}:{line} imports {name}"
               for path in _modules(BOT / "clinical")
               for line, name in _top_level_imports(path)
               if name not in STANDARD_LIBRARY and name != "bot"]
    assert not foreign, "\n".join(foreign)


def test_actions_use_only_what_the_action_server_runs():
    wrong = [f"{path.relative_to(ROOT)}:{line} imports bot.{imported}"
             for path in _modules(ROOT / "actions")
             for line, imported in _bot_imports(path)
             if imported not in ACTIONS_MAY_IMPORT]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("source, expected", [
    ("from bot.staff import cli\n", ["staff"]),
    ("from bot import settings, storage\n", ["settings", "storage"]),
    ("import bot.language.components.entities\n", ["language"]),
    ("from bot.clinical.triage import LADDER\n", ["clinical"]),
    ("import os\nfrom rasa.core import agent\n", []),
])
def test_the_checker_sees_each_form_of_import(tmp_path, source, expected):
    path = tmp_path / "module.py"
    path.write_text(source)
    assert [unit for _, unit in _bot_imports(path)] == expected


def test_the_checker_catches_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "bot"
    (fake / "clinical").mkdir(parents=True)
    (fake / "clinical" / "rules.py").write_text("from bot.storage import records\n")
    monkeypatch.setattr(sys.modules[__name__], "BOT", fake)
    with pytest.raises(AssertionError, match="clinical .layer 0. imports storage"):
        test_imports_only_go_downward()


DOCS = ROOT / "docs" / "architecture.md"
DIAGRAM = ROOT / "docs" / "architecture" / "architecture.dot"


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _names_in(text: str):
    import re
    return set(re.findall(r"\bbot(?:\.[a-z_]+)+(?:\.[A-Za-z_]+)?", text))


@pytest.mark.parametrize("document", [DOCS, DIAGRAM], ids=lambda p: p.name)
def test_the_architecture_page_and_diagram_name_real_modules(document):
    missing = sorted(name for name in _names_in(document.read_text())
                     if not (_is_module(name) or _is_module(name.rsplit(".", 1)[0])))
    assert not missing, f"{document.name} names modules that do not exist: {missing}"


def test_the_architecture_page_describes_every_subpackage():
    text = DOCS.read_text()
    assert all(f"`bot.{unit}`" in text for unit in LAYER), "docs/architecture.md lacks a row"


def test_the_committed_diagram_is_rendered_from_its_source():
    import hashlib
    stamp = DIAGRAM.with_suffix(".dot.sha256").read_text().strip()
    assert hashlib.sha256(DIAGRAM.read_bytes()).hexdigest() == stamp, \
        "docs/architecture/architecture.dot changed: run make diagram and commit the images"
    assert DIAGRAM.with_suffix(".png").stat().st_size > 10_000


def test_every_test_module_has_a_name_of_its_own():
    """pytest imports test modules by their basename (tests/integration and tests/db are not
    packages): two files of one name stop the whole run at collection."""
    from collections import Counter

    names = Counter(path.name for path in (ROOT / "tests").rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
