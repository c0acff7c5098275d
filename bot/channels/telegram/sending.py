"""Sends in flight, noted in a local file the moment their request has been written whole.

A journal mark in the database (`bot/storage/sent.py`) is a commit, and a commit takes time: a
median of 11 ms and up to 140 ms on a busy 2-core machine, several turns of the event loop. A
process killed in that time would send the message again after its restart. A line appended to
a local file takes microseconds and no turn of the event loop, and the kernel keeps it when the
process is killed. So each send is noted here in the instant its request is written. With one
process (SQLite) the note is all there is until the answer is recorded in the journal; with
several, the journal's mark is committed beside the call, and the note kept until it is in. A
process that starts again copies the lines into the journal before it handles anything, then
empties the file.

The file holds only sends still on their way: it is emptied whenever none is, so it is nearly
always empty. A line holds the update's id, the call's number, the method and the chat: what
the journal holds for the same call. One file per instance (`GUICHET_INSTANCE`): another process
on the same machine keeps its own, and reads it when it takes over an update of a process that
died (before that one restarts).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Noted:
    """A send whose request was written whole."""

    update_id: int
    seq: int
    method: str
    target: str


def file_for(directory: Path, instance: str) -> Path:
    """The file of one instance: its name made safe for a file name."""
    return directory / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', instance)}.sending"


def read_notes(path: Path) -> list[Noted]:
    """The notes in a file (this instance's, or another's on the same machine); a line cut
    short by a stop is skipped."""
    try:
        raw = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return []
    *lines, rest = raw.split("\n")
    found: list[Noted] = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) == 4 and parts[0].lstrip("-").isdigit() and parts[1].isdigit():
            found.append(Noted(int(parts[0]), int(parts[1]), parts[2], parts[3]))
        else:
            rest = rest or line
    if rest:
        log.warning("%s: skipped a line that was cut short", path.name)
    return found


def notes_about(directory: Path, update_id: int) -> list[Noted]:
    """What any instance on this machine noted about one update: a process that takes over a
    dead one's update finds what the dead one had on its way."""
    return [n for path in directory.glob("*.sending") for n in read_notes(path)
            if n.update_id == update_id]  # fmt: skip


class SendingFile:
    """Append-only notes of sends in flight; see the module's docstring."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        self.pending = 0  # sends noted and not yet in the journal

    def note(self, sent: Noted) -> None:
        """Note a send (synchronous: no turn of the event loop between the request and this)."""
        self.pending += 1
        line = f"{sent.update_id} {sent.seq} {sent.method} {sent.target}\n"
        os.write(self._fd, line.encode())

    def marked(self) -> None:
        """A noted send is in the journal, or was refused: empty the file when none is on its
        way."""
        self.pending = max(0, self.pending - 1)
        if not self.pending:
            os.ftruncate(self._fd, 0)

    def abandoned(self) -> None:
        """A noted send's marking was cancelled (the process is stopping): its note stays
        until another mark is committed, or for the next start."""
        self.pending = max(0, self.pending - 1)

    def read(self) -> list[Noted]:
        """The sends noted and not yet marked when the last process using this file stopped."""
        return read_notes(self.path)

    def clear(self) -> None:
        os.ftruncate(self._fd, 0)

    def close(self) -> None:
        os.close(self._fd)
