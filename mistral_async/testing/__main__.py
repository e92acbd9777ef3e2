"""Run the fake Mistral server in the foreground: ``python -m mistral_async.testing``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from ._server import DEFAULT_API_KEY, FakeMistral


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m mistral_async.testing",
        description="Serve a fake Mistral API (deterministic replies, no API key needed).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind, 0 for any (8000)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="accepted bearer key")
    parser.add_argument(
        "--stream-delay",
        type=float,
        default=0.05,
        help="seconds between streamed events (0.05)",
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    """Serve until Ctrl-C or SIGTERM."""
    async with FakeMistral(
        api_key=args.api_key, host=args.host, port=args.port, stream_delay=args.stream_delay
    ) as fake:
        print(f"Fake Mistral API listening on {fake.url}", flush=True)
        print(f"API key: {fake.api_key}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        stop = asyncio.Event()
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows loops
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m mistral_async.testing``."""
    args = _parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
