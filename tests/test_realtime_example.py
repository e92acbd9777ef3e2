"""``examples/realtime_transcription.py`` runs for real: against a fake server given in the
environment, and on its own (no ``MISTRAL_API_KEY``: it starts the embedded fake server)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mistral_async.testing import FakeMistral
from mistral_async.testing.groups.realtime import RealtimeState, transcript_of

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "examples" / "realtime_transcription.py"


def run(env: dict[str, str]) -> str:
    env = {**env, "PYTHONPATH": os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-W", "error", str(SCRIPT)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    return result.stdout


def expected_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.syspath_prepend(str(REPO))
    from examples.realtime_transcription import pcm_of, tone_wav

    return transcript_of(pcm_of(tone_wav(str(tmp_path))))


def test_example_against_a_given_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = expected_text(tmp_path, monkeypatch)
    with FakeMistral() as fake:
        env = {**os.environ, "MISTRAL_API_KEY": fake.api_key, "MISTRAL_SERVER_URL": fake.url}
        out = run(env)
        records = fake.state(RealtimeState).sessions
    assert "embedded fake server" not in out
    lines = out.splitlines()
    assert f"Live transcript: {text}" in lines
    assert f"File transcript: {text}" in lines
    assert f"Transcript with a token: {text}" in lines
    assert f"Blocking transcript: {text}" in lines
    assert "Segments: [(0.0, 2.0)]" in lines
    assert [r.auth for r in records] == ["api_key", "api_key", "token", "api_key"]
    assert records[0].messages[0] == "session.update"
    assert records[0].messages.count("input_audio.append") == 20  # 100 ms chunks


def test_example_without_a_key_uses_the_embedded_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = expected_text(tmp_path, monkeypatch)
    env = {
        k: v for k, v in os.environ.items() if k not in ("MISTRAL_API_KEY", "MISTRAL_SERVER_URL")
    }
    out = run(env)
    assert out.startswith("(no MISTRAL_API_KEY: using the embedded fake server)\n")
    assert f"Live transcript: {text}" in out.splitlines()
