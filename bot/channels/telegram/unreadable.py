"""Updates python-telegram-bot cannot read: handed on empty, and logged without what they held.

On a getUpdates answer it cannot parse, the library logs the whole answer at CRITICAL (first
names, usernames, message texts) and never moves its offset past it, so it fetches and logs the
same update again and again: one malformed update would stop the bot. `ReadableUpdates` keeps
only the id of such an update, so the library confirms it and goes on; `ReceivedDataFilter`
keeps raw data out of the library's other logs of this kind (a webhook's, a response's).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from telegram import Update
from telegram.request import BaseRequest, HTTPXRequest, RequestData

log = logging.getLogger(__name__)

#: The library's loggers that may print data received from Telegram.
RAW_DATA_LOGGERS: Final = (
    "telegram.Bot",
    "telegram.ext.ExtBot",
    "telegram.ext.Updater",
    "telegram.request.BaseRequest",
)
_RAW_DATA_MARKS: Final = (
    "Received data was",
    "data received from Telegram",
    "invalid JSON data",
)


def readable(payload: bytes) -> bytes:
    """A getUpdates answer in which every update the library cannot read is only its id."""
    try:
        body = json.loads(payload)
    except ValueError:
        return payload  # the library reports it, through ReceivedDataFilter
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, list):
        return payload
    changed = False
    for index, item in enumerate(result):
        try:
            Update.de_json(item, None)
        except Exception as exc:  # whatever the library would fail on
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not isinstance(update_id, int):
                return payload  # no id to confirm it by: nothing better to do
            log.warning(
                "update %s could not be read (%s); skipped, its content is not logged",
                update_id,
                type(exc).__name__,
            )
            result[index] = {"update_id": update_id}
            changed = True
    return json.dumps(body).encode() if changed else payload


class ReadableUpdates(HTTPXRequest):
    """The connection for getUpdates; see `readable`."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        code, payload = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if code == 200 and url.endswith("/getUpdates"):
            return code, readable(payload)
        return code, payload


class ReceivedDataFilter(logging.Filter):
    """A library log of data it could not process keeps the kind of error, not the data."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str) or not any(m in record.msg for m in _RAW_DATA_MARKS):
            return True
        error = record.exc_info[1] if record.exc_info else None
        record.msg = "could not process data received from Telegram (%s); it is not logged"
        record.args = (type(error).__name__ if error else "no exception",)
        record.exc_info, record.exc_text = None, None
        return True


def withhold_received_data() -> None:
    """Put the filter on each of the library's loggers that may print received data (once)."""
    for name in RAW_DATA_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ReceivedDataFilter) for f in logger.filters):
            logger.addFilter(ReceivedDataFilter())
