"""City staff's commands for the support network and its tickets (`network ...`, `tickets ...`).

Usage:
    python main.py network invite --city brussels --org "Red Cross"
    python main.py network list --city brussels
    python main.py network remove 7
    python main.py network group --city brussels --chat -1001234567890
    python main.py tickets list --city brussels
    python main.py tickets assign 12 --volunteer 7

`bot.cli` opens the app, checks the city slug and hands each command its `Staff`: the stores,
the settings and the moment it runs. Nothing here prints who a migrant is.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

from bot.settings import SupportSettings
from bot.storage.network import Network
from bot.storage.tickets import TicketInfo, Tickets

QUESTION_WIDTH = 60


@dataclass(frozen=True)
class Staff:
    """What a staff command works with."""

    network: Network
    tickets: Tickets
    settings: SupportSettings
    now: datetime


def add_parsers(sub: Any) -> None:
    """The `network` and `tickets` commands, on the main parser's subparsers."""
    network = sub.add_parser("network", help="the city's support network of volunteers")
    net_sub = network.add_subparsers(dest="network_command", required=True)
    invite = net_sub.add_parser("invite", help="a code that makes its users volunteers")
    invite.add_argument("--city", required=True, help="city slug")
    invite.add_argument("--org", required=True, help="the volunteers' organisation")
    invite.add_argument("--uses", type=positive, help="how many may join with it (default: 5)")
    invite.add_argument("--days", type=positive, help="how many days it is valid (default: 7)")
    net_list = net_sub.add_parser("list", help="organisations and their volunteers")
    net_list.add_argument("--city", required=True, help="city slug")
    remove = net_sub.add_parser("remove", help="remove a volunteer at once")
    remove.add_argument("id", type=int, help="the volunteer's number (see network list)")
    group = net_sub.add_parser("group", help="the city's coordination group chat")
    group.add_argument("--city", required=True, help="city slug")
    which = group.add_mutually_exclusive_group(required=True)
    which.add_argument("--chat", help="the group's chat id")
    which.add_argument("--none", action="store_true", help="no coordination group")

    tickets = sub.add_parser("tickets", help="questions handed to volunteers")
    tickets_sub = tickets.add_subparsers(dest="tickets_command", required=True)
    t_list = tickets_sub.add_parser("list", help="open tickets and those closed this week")
    t_list.add_argument("--city", required=True, help="city slug")
    assign = tickets_sub.add_parser(
        "assign", help="give a ticket to a volunteer of its city, offered to them or not"
    )
    assign.add_argument("ticket", type=int, help="the ticket's number (see tickets list)")
    assign.add_argument(
        "--volunteer", type=int, required=True, help="the volunteer's number (see network list)"
    )


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def span(delta: timedelta) -> str:
    """A duration as staff read it: 45s, 12m, 3h 05m, 2d 4h."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{seconds}s"


def _short(text: str | None) -> str:
    if text is None:
        return "(erased)"
    text = " ".join(text.split())
    return text if len(text) <= QUESTION_WIDTH else text[: QUESTION_WIDTH - 1] + "…"


async def invite(staff: Staff, args: argparse.Namespace, out: TextIO) -> int:
    uses = args.uses or staff.settings.invite_uses
    days = args.days or staff.settings.invite_days
    made = await staff.network.invite(
        args.city, args.org, uses=uses, valid=timedelta(days=days), now=staff.now
    )
    print(f"Invite for {made.organisation} ({made.city})", file=out)
    print(f"Code: {made.code}", file=out)
    print(f"Valid until: {made.expires_at:%Y-%m-%d %H:%M} UTC", file=out)
    print(f"Uses: {made.uses_left} (each volunteer who joins uses one)", file=out)
    username = staff.settings.bot_username
    if username:
        print(f"Link: https://t.me/{username}?start=v_{made.code}", file=out)
    else:
        print(f"In a private chat with the bot, send: /start v_{made.code}", file=out)
    return 0


async def listing(staff: Staff, args: argparse.Namespace, out: TextIO) -> int:
    city, network = args.city, staff.network
    group = await network.group(city)
    print(f"Support network of {city}", file=out)
    print(f"Coordination group: {group or 'none'}", file=out)
    organisations = await network.organisations(city)
    if not organisations:
        print(
            "No organisations yet. Invite volunteers with:\n"
            f"    python main.py network invite --city {city} --org NAME",
            file=out,
        )
        return 0
    members = await network.members(city)
    for org_id, _city, name, count in organisations:
        print(f"\n{name}: {count or 'no'} volunteer(s)", file=out)
        for v in (m for m in members if m.organisation_id == org_id):
            languages = ", ".join(v.languages) or "no languages yet"
            state = "available" if v.available else "away"
            print(
                f"  #{v.id}  {v.display_name}  ({languages})  {state}, {v.load} ticket(s) in hand",
                file=out,
            )
    return 0


async def remove(staff: Staff, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    gone = await staff.network.remove(args.id, now=staff.now)
    if gone is None:
        print(f"There is no active volunteer #{args.id}.", file=err)
        return 1
    print(
        f"Removed volunteer #{gone.id} {gone.display_name} ({gone.organisation}, {gone.city}).",
        file=out,
    )
    print(f"{gone.load} ticket(s) they had taken went back to open.", file=out)
    return 0


async def group(staff: Staff, args: argparse.Namespace, out: TextIO) -> int:
    chat = None if args.none else args.chat.strip()
    await staff.network.set_group(args.city, chat)
    if chat is None:
        print(f"{args.city} has no coordination group now.", file=out)
    else:
        print(f"Coordination group of {args.city}: {chat}", file=out)
    return 0


def _ticket_row(t: TicketInfo, now: datetime) -> list[str]:
    claimed = span(t.claimed_at - t.created_at) if t.claimed_at else "-"
    answered = span(t.answered_at - t.created_at) if t.answered_at else "-"
    rating = {True: "helpful", False: "not helpful", None: "-"}[t.helpful]
    return [
        f"#{t.id}",
        t.status.value,
        t.language,
        t.topic or "-",
        "URGENT" if t.urgent else "-",
        span(now - t.created_at),
        claimed,
        answered,
        str(t.messages),
        rating,
    ]


HEADER = ["ID", "STATE", "LANG", "TOPIC", "URGENT", "AGE", "CLAIMED", "ANSWERED", "MSGS", "RATING"]


async def tickets_list(staff: Staff, args: argparse.Namespace, out: TextIO) -> int:
    found = await staff.tickets.listing(args.city, now=staff.now)
    if not found:
        print(f"No open tickets in {args.city}, and none closed in the last 7 days.", file=out)
        return 0
    print(
        f"Tickets of {args.city}: open, taken, and closed in the last 7 days "
        "(CLAIMED and ANSWERED: how long after it was sent)",
        file=out,
    )
    rows = [HEADER, *(_ticket_row(t, staff.now) for t in found)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    for row, ticket in zip(rows, [None, *found], strict=True):
        line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        print(line.rstrip(), file=out)
        if ticket is not None:
            print(f"    {_short(ticket.question)}", file=out)
    return 0


async def tickets_assign(staff: Staff, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """A volunteer takes only what was offered to them; staff may give them any ticket of
    their city, open or taken (it is then theirs alone)."""
    volunteer = await staff.network.get(args.volunteer)
    if volunteer is None:
        print(f"There is no active volunteer #{args.volunteer}.", file=err)
        return 1
    if not await staff.tickets.assign(args.ticket, volunteer.id, now=staff.now):
        print(
            f"Ticket #{args.ticket} is not an open or taken ticket of {volunteer.city}: "
            "nothing changed.",
            file=err,
        )
        return 1
    print(
        f"Ticket #{args.ticket} is now with volunteer #{volunteer.id} {volunteer.display_name} "
        f"({volunteer.organisation}, {volunteer.city}). The bot sends it to them within a "
        "minute (and tells whoever had it); they also see it with /mytickets.",
        file=out,
    )
    return 0


async def run(staff: Staff, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run a `network` or `tickets` command (its city already checked)."""
    if args.command == "tickets" and args.tickets_command == "assign":
        return await tickets_assign(staff, args, out, err)
    if args.command == "tickets":
        return await tickets_list(staff, args, out)
    if args.network_command == "invite":
        return await invite(staff, args, out)
    if args.network_command == "list":
        return await listing(staff, args, out)
    if args.network_command == "remove":
        return await remove(staff, args, out, err)
    return await group(staff, args, out)
