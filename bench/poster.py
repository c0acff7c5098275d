"""The README's poster screenshot: the Brussels poster rendered to PNG from the sample files.

Usage:
    python bench/poster.py [--city brussels] [--out docs/screenshots/poster.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.core.knowledge.loader import load_directory
from bot.posters.content import make_poster
from bot.posters.render import render_pdf, render_png

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--city", default="brussels")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "poster.png")
    args = p.parse_args()
    knowledge, _ = load_directory(ROOT / "knowledge")
    poster = make_poster(knowledge, args.city, "GuichetBot")
    args.out.write_bytes(render_png(render_pdf(poster), dpi=100))
    print(f"wrote {args.out} ({poster.link})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
