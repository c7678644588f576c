"""SQLite writers in different processes take their turn first come, first served
(`app/core/writer_queue.py`): in the order they asked, one at a time, past a killed holder or
waiter, and past a writer that gave up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.scale.contender import Contender

Start = Callable[[str], Contender]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """Contender processes on one database file (the queue needs no database in it)."""
    started: list[Contender] = []

    def contender(name: str) -> Contender:
        started.append(Contender(tmp_path / "queue.sqlite3", name, tmp_path / "turns.log",
                                 tmp_path / "counter"))
        return started[-1]

    yield contender
    for each in started:
        each.close()


def turns(tmp_path: Path) -> list[str]:
    return (tmp_path / "turns.log").read_text().splitlines()


def one_at_a_time(log: list[str]) -> list[str]:
    """Who held the turn, in order; fails if anyone took it before the holder was giving it."""
    holders: list[str] = []
    holding: str | None = None
    for line in log:
        name, event = line.split()
        if event == "holding":
            assert holding is None, f"{name} took the turn while {holding} held it: {log}"
            holding = name
            holders.append(name)
        else:
            assert holding == name, log
            holding = None
    return holders


def test_processes_get_the_turn_in_the_order_they_asked(start: Start, tmp_path: Path) -> None:
    first = start("first")
    assert first.ask("take 30") == "holding"
    waiting = [start(name) for name in ("second", "third", "fourth", "fifth")]
    for contender in waiting:
        assert contender.ask("join").startswith("joined")
    for contender in reversed(waiting):  # waiting on their tickets, last one first
        contender.send("take 30")
    assert first.ask("give") == "given"
    for contender in waiting:
        assert contender.answer() == "holding"
        assert contender.ask("give") == "given"
    assert one_at_a_time(turns(tmp_path)) == ["first", "second", "third", "fourth", "fifth"]


def test_no_two_processes_ever_hold_the_turn_at_once(start: Start, tmp_path: Path) -> None:
    counters = [start(f"counter{n}") for n in range(4)]
    for contender in counters:
        contender.send("count 100")
    for contender in counters:
        assert contender.answer() == "counted"
    assert (tmp_path / "counter").read_text() == "400"  # no addition lost


def test_a_killed_holder_frees_the_queue(start: Start, tmp_path: Path) -> None:
    holder, waiter = start("holder"), start("waiter")
    assert holder.ask("take 30") == "holding"
    waiter.send("take 30")
    holder.kill()
    assert waiter.answer() == "holding"
    assert waiter.ask("give") == "given"
    assert turns(tmp_path) == ["holder holding", "waiter holding", "waiter giving"]


def test_a_killed_waiter_lets_nobody_past_the_holder(start: Start, tmp_path: Path) -> None:
    holder, killed, behind = start("holder"), start("killed"), start("behind")
    assert holder.ask("take 30") == "holding"
    assert killed.ask("join").startswith("joined")
    assert behind.ask("join").startswith("joined")
    killed.kill()
    assert behind.ask("take 0.5") == "gave up"  # the holder still has it
    behind.send("take 30")
    assert holder.ask("give") == "given"
    assert behind.answer() == "holding"
    assert behind.ask("give") == "given"
    assert one_at_a_time(turns(tmp_path)) == ["holder", "behind"]


def test_a_waiter_that_gives_up_keeps_its_place_until_the_turn_passes_it(
        start: Start, tmp_path: Path) -> None:
    holder, quitter, patient = start("holder"), start("quitter"), start("patient")
    assert holder.ask("take 30") == "holding"
    assert quitter.ask("join").startswith("joined")
    assert patient.ask("join").startswith("joined")
    assert quitter.ask("take 0.2") == "gave up"
    assert patient.ask("take 0.2") == "gave up"  # not let past the holder by the quitter
    patient.send("take 30")
    assert holder.ask("give") == "given"
    assert patient.answer() == "holding"  # the quitter's place passed on, without it
    quitter.send("take 30")  # asks again: behind the patient one now
    assert patient.ask("give") == "given"
    assert quitter.answer() == "holding"
    assert quitter.ask("give") == "given"
    assert one_at_a_time(turns(tmp_path)) == ["holder", "patient", "quitter"]


def test_a_writer_asking_again_after_giving_up_keeps_its_process_place(
        start: Start, tmp_path: Path) -> None:
    holder, again, later = start("holder"), start("again"), start("later")
    assert holder.ask("take 30") == "holding"
    assert again.ask("take 0.2") == "gave up"
    assert later.ask("join").startswith("joined")
    # The same process's place, still in front of `later`; waiting before the holder gives
    # (a process with nobody waiting when its place comes round passes it on).
    assert again.ask("asking 30") == "asking"
    later.send("take 30")
    assert holder.ask("give") == "given"
    assert again.answer() == "holding"
    assert again.ask("give") == "given"
    assert later.answer() == "holding"
    assert later.ask("give") == "given"
    assert one_at_a_time(turns(tmp_path)) == ["holder", "again", "later"]
