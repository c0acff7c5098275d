"""The local notes of sends in flight: written at once, emptied when every mark is committed,
read back by the next process, a line cut short skipped."""

from __future__ import annotations

import os
from pathlib import Path

from bot.channels.telegram.sending import Noted, SendingFile, file_for


def test_notes_stay_until_every_mark_is_committed_and_are_read_back(tmp_path: Path) -> None:
    path = file_for(tmp_path / "state", "host-1:8443")
    assert path.name == "host-1_8443.sending"
    sending = SendingFile(path)
    first, second = Noted(41, 1, "sendMessage", "777"), Noted(-5, 2, "sendPhoto", "778")
    sending.note(first)
    sending.note(second)
    sending.marked()
    assert SendingFile(path).read() == [first, second]  # one mark still under way
    sending.marked()
    assert path.read_bytes() == b""  # nothing on its way: nothing kept
    sending.note(first)
    sending.abandoned()  # the process stops while the mark is being committed
    assert SendingFile(path).read() == [first]
    sending.close()
    after = SendingFile(path)
    assert after.read() == [first]
    after.clear()
    assert after.read() == []
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # chat ids: for this process only


def test_a_line_cut_short_is_skipped_and_the_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.sending"
    path.write_bytes(b"7 1 sendMessage 10\nnot a note\n8 2 sendMessage 1")
    os.chmod(path, 0o600)
    assert SendingFile(path).read() == [Noted(7, 1, "sendMessage", "10")]
