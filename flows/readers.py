"""The commands that read a warehouse and start no flow: ``newslake export`` and ``newslake dashboard``
(``flows.cli`` checks their arguments and sets the environment first)."""

from __future__ import annotations

import argparse
import sys


def export_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """No flow: a copy of committed files, done in this process."""
    from tasks.warehouse.export import export
    from tasks.warehouse.storage import WarehouseError

    try:
        snap = export(args.warehouse, args.dest)
    except (WarehouseError, OSError) as problem:
        parser.error(f"export: {problem}")
    print(f"newslake: exported version {snap.version} of {args.warehouse} to {snap.out}")
    return 0


def dashboard_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """No flow: a read-only web server in this process, until Ctrl+C."""
    from tasks.dashboard.server import serve

    try:
        serve(args.warehouse, args.port)
    except OSError as error:  # the port is taken, or not ours to bind
        parser.error(f"dashboard --port {args.port}: {error.strerror or error}")
    except KeyboardInterrupt:
        print("\nnewslake: dashboard stopped", file=sys.stderr)
    return 0
