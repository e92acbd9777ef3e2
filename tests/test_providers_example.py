"""``examples/providers.py`` runs offline against the embedded fake server, warnings as errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPLY = "Hello! You said: Name a French painter. This reply comes from the fake Mistral server."


def test_the_providers_example_runs_offline() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("AZURE_ENDPOINT", "AZURE_API_KEY", "GOOGLE_CLOUD_PROJECT")
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(REPO / "examples" / "providers.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == "Azure (foundry, api-version 2024-05-01-preview)"
    assert lines[1] == f"  chat: {REPLY}"
    assert lines[2] == f"  streamed: {REPLY}"
    assert lines[3] == "  ocr pages: 1"
    assert lines[4] == "Vertex AI (europe-west4)"
    assert lines[5] == f"  chat: {REPLY}"
    assert lines[6].startswith("  fim: ") and "def fib(n):" in lines[6]
    assert lines[7] == "  ocr pages: 1"
    assert lines[8] == f"Blocking Azure chat: {REPLY}"


def test_the_providers_add_nothing_to_the_core_import() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from mistral_async import AsyncMistral"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "mistral_async._session" in done.stderr  # the probe does see the imports
    assert "provider" not in done.stderr.lower()
    assert "google" not in done.stderr.lower()
