"""The real bot as the benchmarks run it: `python main.py run` in processes of its own, against
the fake Bot API, so that the load generator and the fake do not share the bot's CPU."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import User

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    """Run `main.py` with `args`; its output, or exit with its error."""
    done = subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"main.py {' '.join(args)} failed: {done.stderr}")
    return done.stdout


async def seed_users(session: AsyncSession, users: list[tuple[int, str, str]]) -> None:
    """Telegram users (chat, city, language) who chose their city and language before the run;
    the caller commits."""
    for chat, city, language in users:
        session.add(User(channel="telegram", chat_id=str(chat), city=city, language=language,
                         language_explicit=True))  # fmt: skip


class Bots:
    """Bot processes, each logging to `logs`/bot<index>.log: started, killed, started again.
    Without ports, one process polls; with ports, one webhook process per port."""

    def __init__(self, env: dict[str, str], ports: list[int], logs: Path) -> None:
        self.env, self.ports, self.logs = env, ports, logs
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * max(1, len(ports))
        self.starts = [0] * len(self.procs)

    def log(self, index: int) -> Path:
        return self.logs / f"bot{index}.log"

    def start(self, index: int) -> None:
        env = dict(self.env)
        # Each process serves its staff console on a port of its own (main.py run serves both).
        env["GUICHET_WEB_PORT"] = str(free_port())
        if self.ports:
            env.update(
                TELEGRAM_MODE="webhook",
                TELEGRAM_WEBHOOK_URL="https://guichet.example.org/telegram",
                TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
                TELEGRAM_WEBHOOK_PORT=str(self.ports[index]),
                TELEGRAM_WEBHOOK_SECRET=SECRET,
                GUICHET_INSTANCE=f"bench-{index}",
            )
        self.starts[index] += 1
        log = open(self.log(index), "ab")  # noqa: SIM115
        self.procs[index] = subprocess.Popen(
            [sys.executable, "main.py", "run"], cwd=ROOT, env=env, stderr=log, stdout=log
        )

    def ready(self, index: int) -> bool:
        """Has the process started serving (its log says it polls or listens)?"""
        log = self.log(index)
        said = log.read_text(errors="replace") if log.exists() else ""
        return said.count("polling for updates") + said.count("webhook mode: listening") > (
            self.starts[index] - 1
        )

    def peak_memory_mb(self, index: int) -> float:
        """The process's peak resident memory so far (Linux), in MB."""
        proc = self.procs[index]
        assert proc is not None
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self, index: int) -> float:
        """The CPU time the process has used so far, all its threads, user and system (Linux)."""
        proc = self.procs[index]
        assert proc is not None
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self, index: int) -> None:
        proc = self.procs[index]
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def stop(self) -> None:
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            if proc is not None:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
