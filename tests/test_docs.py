"""Every setting is documented in the README (Datasette's habit: docs that tests keep honest)."""

from __future__ import annotations

from pathlib import Path

from syndicate.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [
        f"SYNDICATE_{name.upper()}" for name in Settings.model_fields if f"SYNDICATE_{name.upper()}" not in README
    ]
    assert not missing, missing


def test_readme_has_the_two_commands() -> None:
    assert "syndicate up" in README
    assert "pip install -e '.[test]'" in README and "pytest" in README
