"""Serve the console with uvicorn in this process's event loop.

uvicorn handles SIGINT and SIGTERM: it stops accepting requests, finishes those in flight,
then runs the app's lifespan shutdown, which is where the bot stops (`main.py run`). Code
after `serve()` is not where anything is stopped, as uvicorn may exit from inside it.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from bot.settings import WebSettings

log = logging.getLogger(__name__)


def server(app: Starlette, settings: WebSettings) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host=settings.listen,
        port=settings.port,
        lifespan="on",
        # The access log would write sign-in links (their token is in the path): off.
        access_log=False,
        log_config=None,  # our logging setup (bot/cli.py), not uvicorn's
        server_header=False,
        proxy_headers=True,
    )
    return uvicorn.Server(config)


def _noted(signum: int, frame: FrameType | None) -> None:
    """uvicorn raises the stop signal again once it has stopped; it is done, and the
    process ends on its own (exit status 0) rather than by the signal."""


async def serve(app: Starlette, settings: WebSettings) -> bool:
    """Serve until SIGINT or SIGTERM; False when the address could not be used or the app
    could not start (its lifespan failed: the caller raises what failed)."""
    srv = server(app, settings)
    before = {sig: signal.signal(sig, _noted) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info(
        "staff console on %s (listening on %s:%s)",
        settings.public_url,
        settings.listen,
        settings.port,
    )
    try:
        await srv.serve()
    except SystemExit:  # uvicorn exits when it cannot bind; it has logged why
        return False
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
    return srv.started
