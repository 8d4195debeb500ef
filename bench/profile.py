"""`python -m bench.profile FILE [--top N] [--match TEXT]`: summarise a py-spy raw profile.

Prints the functions with the most samples on top of the stack (self) and anywhere in it
(inclusive), as a share of all samples; `--match` keeps only stacks containing TEXT.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path


def load(path: Path, match: str = "") -> tuple[Counter[str], Counter[str], int]:
    """Self and inclusive sample counts per frame, and the total, from collapsed stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit() or (match and match not in stack):
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    return own, inclusive, total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="")
    args = parser.parse_args(argv)
    own, inclusive, total = load(args.file, args.match)
    if not total:
        print("no samples")
        return 1
    for title, counts in (("self", own), ("inclusive", inclusive)):
        print(f"-- {title} ({total} samples)")
        for frame, count in counts.most_common(args.top):
            print(f"{100.0 * count / total:6.1f}%  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
