"""The staff console from the command line: start it, and add or remove the staff who use it.

Usage:
    python main.py console                      # the console alone (GUICHET_WEB_PORT, 8080)
    python main.py staff add --name "Ana" --city mechelen --role editor
    python main.py staff add --name "Sara" --city brussels --role translator --languages ar fa
    python main.py staff add --name "Admin" --role admin
    python main.py staff add --name "Ines" --city brussels --role coordinator --org "Red Cross"
    python main.py staff login-link             # a sign-in link for the first admin
    python main.py staff list
    python main.py staff remove 3
    python main.py review --city brussels       # volunteers' answers waiting for review

A new staff member gets an invitation link to the bot; opening it binds their Telegram chat.
From then on `/staff` in that chat gets them a sign-in link (once, 10 minutes).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from bot.core.languages import UI_LANGUAGES
from bot.storage.staff import Role

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.applications import Starlette
    from starlette.routing import BaseRoute

    from bot.app import App
    from bot.settings import Settings
    from bot.storage.network import Network

EXIT_USAGE = 2
ROLES = tuple(role.value for role in Role)


def add_parsers(sub: Any) -> None:
    sub.add_parser("console", help="the staff web console alone (GUICHET_WEB_PORT)")
    staff = sub.add_parser("staff", help="the city staff who use the web console")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="add a person; prints their invitation link")
    add.add_argument("--name", required=True, help="how the console names them")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--city", help="their city (every role but admin)")
    add.add_argument("--languages", nargs="+", choices=UI_LANGUAGES, help="a translator's")
    add.add_argument("--org", help="a coordinator's organisation (see network list)")
    staff_sub.add_parser("login-link", help="a one-time sign-in link for the first admin")
    staff_sub.add_parser("list", help="the staff and their roles")
    remove = staff_sub.add_parser("remove", help="remove a person: signed out at once")
    remove.add_argument("id", type=int)
    review = sub.add_parser("review", help="volunteers' answers waiting for review, newest first")
    review.add_argument("--city", required=True)


class Refused:
    """`--org` given where it may not be, or naming no organisation of the city: said on err."""


async def _organisation(
    network: Network, role: Role, city: str | None, name: str | None, err: TextIO
) -> tuple[int, str] | Refused | None:
    """A coordinator's organisation (id, name), found by name in their city, ignoring case."""
    if role is not Role.COORDINATOR:
        if name is not None:
            print("--org is only for a coordinator (--role coordinator)", file=err)
            return Refused()
        return None
    known = [(i, n) for i, _, n, _ in await network.organisations(city)]
    wanted = " ".join((name or "").split()).casefold()
    found = next(((i, n) for i, n in known if n.casefold() == wanted), None)
    if found is not None:
        return found
    if name is None:
        print("a coordinator needs --org, their organisation in the city", file=err)
    else:
        print(f"{city} has no organisation named {name!r}.", file=err)
    if known:
        print(f"Its organisations: {', '.join(n for _, n in known)}", file=err)
    else:
        print(f"{city} has no organisation yet.", file=err)
    print(f'Create one with: python main.py network invite --city {city} --org "NAME"', file=err)
    return Refused()


def _invite_link(settings: Settings, token: str) -> str:
    username = settings.support.bot_username
    if username:
        return f"https://t.me/{username}?start=s_{token}"
    return f"/start s_{token}"


async def staff_command(
    settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    from bot.app import open_app

    app = await open_app(settings)
    try:
        store = app.console().staff
        if args.staff_command == "add":
            role = Role(args.role)
            if role is not Role.ADMIN and args.city not in app.knowledge.cities:
                known = ", ".join(sorted(app.knowledge.cities))
                print(f"--city must be one of {known}", file=err)
                return EXIT_USAGE
            if role is Role.TRANSLATOR and not args.languages:
                print("a translator needs --languages (such as: --languages ar fa)", file=err)
                return EXIT_USAGE
            org = await _organisation(app.support.network, role, args.city, args.org, err)
            if isinstance(org, Refused):
                return EXIT_USAGE
            who, token = await store.add(
                args.name, role, args.city, args.languages, organisation_id=org[0] if org else None
            )
            of = f" of {org[1]} in {who.city}" if org else f" of {who.city}" if who.city else ""
            print(f"Added {who.name} (#{who.id}) as {role.value}{of}.", file=out)
            print(
                "Send them this invitation (valid 7 days, once). They open it in Telegram:",
                file=out,
            )
            print(f"    {_invite_link(settings, token)}", file=out)
            print("Then /staff in that chat gets them a sign-in link to the console.", file=out)
            return 0
        if args.staff_command == "login-link":
            admin = await store.first_admin()
            if admin is None:
                print(
                    "There is no admin yet: python main.py staff add --name NAME --role admin",
                    file=err,
                )
                return 1
            token = await store.login_token(admin.id)
            print(f"{settings.web.public_url}/login/{token}", file=out)
            print(f"(for {admin.name}; once, within 10 minutes)", file=out)
            return 0
        if args.staff_command == "list":
            names = {i: name for i, _, name, _ in await app.support.network.organisations()}
            for who in await store.members():
                langs = f" [{', '.join(who.languages)}]" if who.languages else ""
                of_org = f" ({names.get(who.organisation_id, '?')})" if who.organisation_id else ""
                print(
                    f"#{who.id}  {who.role.value:<11} {who.city or '(all cities)':<24} "
                    f"{who.name}{langs}{of_org}",
                    file=out,
                )
            return 0
        if await store.remove(args.id):
            print(f"Removed #{args.id}: signed out, and their links no longer work.", file=out)
            return 0
        print(f"No active staff member #{args.id}.", file=err)
        return 1
    finally:
        await app.close()


async def review_command(
    settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO, now: datetime
) -> int:
    """`review --city SLUG`: the city's review queue, as the console shows it (no identity;
    a question whose text expired says so). Decisions are made in the console."""
    from bot.app import open_app

    app = await open_app(settings)
    try:
        if args.city not in app.knowledge.cities:
            print(f"--city must be one of {', '.join(sorted(app.knowledge.cities))}", file=err)
            return EXIT_USAGE
        found = await app.console().review.pending(args.city, now)
        for s in found:
            print(f"#{s.id}  {s.created_at:%Y-%m-%d}  {s.language}  {s.topic or '-'}", file=out)
            print(f"    question: {s.question or '(its text has expired)'}", file=out)
            print(f"    answer:   {' '.join(s.answer.split())}", file=out)
        print(
            f"{len(found)} to review: {settings.web.public_url}/city/{args.city}/review", file=out
        )
        return 0
    finally:
        await app.close()


def console_app(app: App, lifespan: Any = None, extra: Sequence[BaseRoute] = ()) -> Starlette:
    from bot.web.app import build_console

    return build_console(app.console(), lifespan, extra)


async def run_console(settings: Settings) -> int:
    """`console`: the console alone, for a city that edits before the bot goes live."""
    from bot.app import open_app
    from bot.web.serve import serve

    app = await open_app(settings)
    try:
        return 0 if await serve(console_app(app), settings.web) else 1
    finally:
        await app.close()


async def run_bot_and_console(app: App, settings: Settings) -> bool:
    """`run`: the bot inside the console's lifespan, so that uvicorn's handling of SIGTERM
    stops both cleanly (the bot after the last request). In webhook mode one server, on the
    webhook's address, receives Telegram's updates and serves the console. What stops the bot
    from starting (a refused token) is raised here, after uvicorn has given up."""
    from bot.channels.telegram.run import running
    from bot.channels.telegram.webhook import WebhookRoute
    from bot.web.serve import serve

    live = app.live()
    failed: list[Exception] = []
    tg, web = settings.telegram, settings.web
    hook = None
    if tg.mode == "webhook":
        hook = WebhookRoute(tg.webhook_path, tg.webhook_secret or "")
        web = replace(web, listen=tg.webhook_listen, port=tg.webhook_port)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        bot = running(
            app.conversation("telegram", voice=True), tg, app.delivery, app.support,
            also=[live.watch], staff=app.staff_door(), webhook_served=hook is not None,
        )  # fmt: skip
        try:
            served = await bot.__aenter__()
        except Exception as exc:
            failed.append(exc)
            raise
        if hook is not None:
            hook.served = served
        try:
            yield
        finally:
            if hook is not None:
                hook.served = None
            await bot.__aexit__(None, None, None)

    routes = [hook.route()] if hook is not None else []
    done = await serve(console_app(app, lifespan, routes), web)
    if failed:
        raise failed[0]
    return done
