"""The public surface: one sorted, complete ``__all__``, cheap import, current generated stub."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mistral_async

ROOT = Path(__file__).resolve().parent.parent


def test_all_is_sorted_and_every_name_resolves() -> None:
    names = [n for n in mistral_async.__all__ if n != "__version__"]
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    for name in mistral_async.__all__:
        assert getattr(mistral_async, name) is not None, name


def test_every_error_class_is_exported() -> None:
    from mistral_async import _errors

    for name in _errors.__all__:
        assert getattr(mistral_async, name) is getattr(_errors, name)


def test_import_is_lazy() -> None:
    """``import mistral_async`` must not pull in aiohttp or the resources."""
    code = (
        "import sys, mistral_async; "
        "print(','.join(m for m in ('aiohttp', 'cattrs', 'tenacity', 'anyio', "
        "'mistral_async.resources.chat') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_blocking_stub_is_current() -> None:
    """The stub that types the generated blocking client matches the async classes."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_blocking_stub.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_reprs_name_the_public_classes(fake_mistral: object) -> None:
    client = mistral_async.Mistral(api_key="k", server_url="http://127.0.0.1:9")
    try:
        assert repr(client).startswith("<Mistral ")
        assert type(client.chat).__name__ == "Chat"
        assert type(client.chat).__module__ == "mistral_async"
    finally:
        client.close()
