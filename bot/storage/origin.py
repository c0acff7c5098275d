"""Where the change being made comes from: the incoming update being handled, as
"<channel>:<update id>". A channel's inbox worker sets it for the handling of each update; a
store whose change must happen once per update (however often the update is handled) reads it.
"""

from __future__ import annotations

from contextvars import ContextVar

origin: ContextVar[str | None] = ContextVar("guichet_origin", default=None)
