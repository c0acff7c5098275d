"""Telegram's webhook as a route of the console's web server: in webhook mode `main.py run`
serves both on one address (TELEGRAM_WEBHOOK_LISTEN and _PORT, behind the TLS proxy).

The route does what the library's own webhook server does, no more: it checks the secret
header and the size, reads the update and puts it in the Updater's queue, which stores it in
the durable inbox (inbox.py) before Telegram gets its 200. A failure to store answers 500, and
Telegram sends the update again later.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass, field

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update

from bot.channels.telegram.run import WEBHOOK_MAX_BODY, Served

log = logging.getLogger(__name__)


@dataclass
class WebhookRoute:
    """The webhook's endpoint; `served` is set once the bot has started (the app's lifespan)."""

    path: str
    secret: str = field(repr=False)
    served: Served | None = None

    def route(self) -> Route:
        return Route(f"/{self.path}", self.receive, methods=["POST"])

    async def receive(self, request: Request) -> Response:
        token = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not hmac.compare_digest(token.encode(), self.secret.encode()):
            return Response(status_code=403)
        if self.served is None:  # starting or stopping: Telegram tries again
            return Response(status_code=503)
        if int(request.headers.get("content-length") or 0) > WEBHOOK_MAX_BODY:
            return Response(status_code=413)
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > WEBHOOK_MAX_BODY:
                    return Response(status_code=413)
        except ClientDisconnect:  # nothing was stored: Telegram posts the update again
            log.info("a webhook call ended before its update had arrived whole")
            return Response(status_code=400)
        try:
            update = Update.de_json(json.loads(body), self.served.application.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("the webhook received something that is not an update; refused")
            return Response(status_code=400)
        updater = self.served.application.updater
        assert updater is not None
        await updater.update_queue.put(update)  # stored before the answer (inbox.py)
        return Response(status_code=200)
