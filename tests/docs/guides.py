"""Reading the guides' fenced blocks, and running them as a reader would: shell lines in a
terminal, Python in an interpreter, SQL in DuckDB.

`test_guides_run.py` beside this says which block is run how, and why the others are not.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import httpx

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Indented fences too (in a list), so that no block is missed.
FENCE = re.compile(r"^ *```(\w*)\n(.*?)^ *```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    """A fenced block of a guide: its text as written, and where it is."""

    guide: str
    line: int  # the line of its opening fence
    language: str
    text: str

    @property
    def first_line(self) -> str:
        return self.text.splitlines()[0]

    def __str__(self) -> str:
        return f"docs/{self.guide} line {self.line}: {self.first_line!r}"


@dataclass(frozen=True)
class Ref:
    """A block named by its guide and first line, and by a line it also holds where two blocks
    start alike."""

    guide: str
    first_line: str
    holding: str = ""

    def names(self, block: Block) -> bool:
        return (block.guide == self.guide and block.first_line == self.first_line
                and self.holding in block.text)


def blocks_of(guide: str) -> list[Block]:
    text = (DOCS / guide).read_text()
    return [Block(guide, text.count("\n", 0, found.start()) + 1, found.group(1),
                  found.group(2)) for found in FENCE.finditer(text)]


def the_block(ref: Ref) -> Block:
    found = [block for block in blocks_of(ref.guide) if ref.names(block)]
    assert len(found) == 1, f"{ref} names {len(found)} blocks of docs/{ref.guide}, not one"
    return found[0]


@dataclass
class Guide:
    """One guide's blocks, taken in the order the guide gives them.

    `placeholders` are the guide's example values and what stands in for them here (the example
    host, the example key); nothing else in a block is changed.
    """

    name: str
    placeholders: dict[str, str] = field(default_factory=dict)
    taken: list[Block] = field(default_factory=list)

    def take(self, ref: Ref) -> Block:
        """The block `ref` names, with the placeholders put in; later than the last taken."""
        block = the_block(ref)
        assert block.guide == self.name
        assert not self.taken or block.line > self.taken[-1].line, \
            f"{block} is taken after {self.taken[-1]}: run the guide in its order"
        self.taken.append(block)
        return replace(block, text=self.put_in(block.text))

    def put_in(self, text: str) -> str:
        # Longest first: `rhi_rk_ab12cd34_Yf3...` before anything it contains.
        for example in sorted(self.placeholders, key=len, reverse=True):
            text = text.replace(example, self.placeholders[example])
        return text

    def left(self, not_run: dict[Ref, str]) -> list[str]:
        """The guide's blocks neither taken nor listed as not run."""
        return [str(block) for block in blocks_of(self.name)
                if block not in self.taken and not any(ref.names(block) for ref in not_run)]


def altered(block: Block, written: str, instead: str) -> Block:
    """The block with `written` changed to `instead`: for a second run beside the one as
    written (never instead of it)."""
    assert written in block.text, f"{block} does not hold {written!r}"
    return replace(block, text=block.text.replace(written, instead))


# --- shell --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A shell command as written (continuation lines kept) and the output shown under it."""

    text: str
    shown: list[str]


def commands(block: Block) -> list[Command]:
    """The commands of a block: the `$ ` lines of a console session (the lines after one, up
    to the next, are its output as the guide shows it), or else every line, each with the
    lines its trailing backslashes continue it onto."""
    lines = block.text.splitlines()
    console = any(line.startswith("$ ") for line in lines)
    found: list[Command] = []
    at = 0
    while at < len(lines):
        line = lines[at]
        if console and not line.startswith("$ "):
            assert found, f"{block}: output before any command"
            found[-1].shown.append(line)
            at += 1
            continue
        text = [line.removeprefix("$ ") if console else line]
        while text[-1].endswith("\\"):
            at += 1
            text.append(lines[at])
        found.append(Command("\n".join(text), []))
        at += 1
    return found


@dataclass
class Terminal:
    """An administrator's terminal beside the server: bash in `cwd`, the virtualenv's `rhi` and
    `python` first on PATH, the server's database in RHI_DATABASE_URL. An `export` is kept for
    the commands after it, as in one terminal."""

    cwd: Path
    env: dict[str, str]

    @classmethod
    def beside(cls, cwd: Path, env: dict[str, str]) -> Terminal:
        bin_dir = str(Path(sys.executable).parent)
        return cls(cwd, {**env, "PATH": bin_dir + os.pathsep + env.get("PATH", "")})

    def run(self, command: str) -> str:
        """The command's standard output; it must exit 0."""
        if command.startswith("export "):
            for assignment in shlex.split(command)[1:]:
                name, _, value = assignment.partition("=")
                self.env[name] = value
            return ""
        done = subprocess.run(["/bin/bash", "-c", command],  # noqa: S603 - the guide's command
                              cwd=self.cwd, env=self.env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, (f"`{command}` exited {done.returncode}:\n"
                                      f"{done.stderr}{done.stdout}")
        return done.stdout


# --- Python -------------------------------------------------------------------------------------


def run_python(block: Block, namespace: dict[str, Any]) -> str:
    """Exec the block in `namespace` (a reader's interpreter session); what it printed.

    Compiled with the guide's name and line numbers, so a traceback points into the guide.
    """
    assert block.language == "python", block
    code = compile("\n" * block.line + block.text, str(DOCS / block.guide), "exec")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, namespace)  # noqa: S102 - the guide's own code, on synthetic data
    return printed.getvalue()


def close_clients(*namespaces: dict[str, Any]) -> None:
    """Close the HTTP clients blocks left open: a partner system's client lives as long as the
    system does, a test's as long as the test."""
    for namespace in namespaces:
        for value in namespace.values():
            if isinstance(value, httpx.Client):
                value.close()


# --- SQL ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One SQL statement of a block and what DuckDB answered: its columns and rows, and the
    same as a pandas DataFrame (`.df()`, as the guide says)."""

    sql: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    frame: Any

    def named(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def run_sql(block: Block, connection: duckdb.DuckDBPyConnection) -> Iterator[Answer]:
    """Each statement of the block, in turn, through DuckDB's Python API."""
    assert block.language == "sql", block
    for statement in duckdb.extract_statements(block.text):
        relation = connection.sql(statement.query)
        assert relation is not None, statement.query  # DuckDB answers even a CREATE (a count)
        yield Answer(statement.query, relation.columns, relation.fetchall(), relation.df())
