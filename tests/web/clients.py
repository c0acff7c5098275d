"""A browser-less session of a staff member on the real console app (httpx's ASGI transport),
signed in as staff are: the one-time link's page, then its button."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from bot.storage.staff import Staff
from bot.web.app import Console, build_console


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


@asynccontextmanager
async def signed_in(console: Console, who: Staff) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_console(console))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        token = await console.staff.login_token(who.id)
        form = await client.get(f"/login/{token}")
        signed = await client.post(f"/login/{token}", data={"csrf": csrf_of(form.text)})
        assert signed.status_code == 303
        yield client
