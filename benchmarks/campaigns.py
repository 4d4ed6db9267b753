"""What the benchmarks that loop over simulated campaigns share: their options and loop."""
from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from pathlib import Path

from phusong.sim import simulated_campaign


def campaign_arguments(parser: argparse.ArgumentParser, variants: str) -> None:
    """``--seeds``, ``--readings``, ``--variants`` (default ``variants``) and ``--workdir``."""
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--readings", type=int, default=20_000)
    parser.add_argument("--variants", default=variants)
    parser.add_argument("--workdir", type=Path,
                        help="Keep the simulated campaigns here and reuse them on later runs.")


def each_campaign(args: argparse.Namespace, units) -> Iterator[tuple[str, Path]]:
    """Every (variant, campaign folder) the options name, simulated where missing (in a
    temporary folder without ``--workdir``)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        for variant in args.variants.split(","):
            for seed in (int(s) for s in args.seeds.split(",")):
                yield variant, simulated_campaign(work, variant, seed, args.readings, units)
