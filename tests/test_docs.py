"""Every command explains itself, and every top-level command is in the README."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"


Entry = tuple[tuple[str, ...], click.Command]


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[Entry]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


COMMANDS = list(walk(cli))
TOP_LEVEL = sorted(cli.commands)


def test_the_tree_is_what_we_think() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"init", "case advance", "case history", "officer add", "procedure check"} <= names


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "-" for p, _ in COMMANDS]
)
def test_every_command_and_group_has_help(path: tuple[str, ...], command: click.Command) -> None:
    assert (command.help or "").strip(), f"'{' '.join(path)}' has no help text"
    assert command.get_short_help_str(limit=80).strip()
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    first_paragraph = " ".join((command.help or "").split("\n\n")[0].split())
    assert first_paragraph in " ".join(result.stdout.split())


def readme_command_words() -> set[str]:
    """Words of the ``sistercity …`` command lines the README shows (code blocks and spans)."""
    text = README.read_text(encoding="utf-8")
    code = re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S)
    code += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    words: set[str] = set()
    for snippet in code:
        for line in snippet.splitlines():
            for match in re.finditer(r"\bsistercity\b([^#`|]*)", line):
                words.update(match.group(1).split())
    return words


def test_readme_words_come_from_command_lines_only() -> None:
    words = readme_command_words()
    assert {"init", "case", "advance", "--as"} <= words
    assert "every" not in words  # prose beside a command is not a command


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_every_top_level_command_is_in_the_readme(name: str) -> None:
    assert name in readme_command_words(), f"README.md never shows 'sistercity … {name}'"
