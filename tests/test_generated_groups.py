"""The generated groups' non-trivial behaviour, end to end through the embedded fake server:
speech streams and binary audio, workflow waits and resumed event streams, the admin and
``x-api-key`` auth schemes, state kept across calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mistral_async import (
    AsyncMistral,
    InvalidParameterError,
    Mistral,
    NotFoundError,
    WorkflowExecutionError,
    WorkflowWaitTimeoutError,
)
from mistral_async.testing import FakeMistral, SpecStore

pytestmark = pytest.mark.anyio


def client_for(fake: FakeMistral, **kwargs: Any) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, **kwargs)


async def test_speech_stream_writes_the_audio_as_it_arrives(
    fake_mistral: FakeMistral, tmp_path: Path
) -> None:
    async with client_for(fake_mistral) as client:
        async with client.audio.speech.stream(input="Bonjour", voice_id="v1") as stream:
            written = await stream.write_to(tmp_path / "hello.wav")
        whole = await client.audio.speech.complete(input="Bonjour", voice_id="v1")
    audio = (tmp_path / "hello.wav").read_bytes()
    assert written == len(audio) > 44
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
    sent = fake_mistral.requests[0]
    assert sent.json["stream"] is True and sent.headers["accept"] == "text/event-stream"
    assert "stream" not in fake_mistral.requests[-1].json
    assert isinstance(whole.audio_data, str)


def test_speech_stream_blocking(fake_mistral: FakeMistral) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        with client.audio.speech.stream(input="Hi") as stream:
            chunks = list(stream.iter_audio())
    assert b"".join(chunks)[:4] == b"RIFF" and len(chunks) >= 2


async def test_voice_sample_is_a_streamed_wav_asked_for_as_such(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        async with await client.audio.voices.get_sample_audio("v1") as body:
            data = b"".join([chunk async for chunk in body.iter_bytes()])
    assert data[:4] == b"RIFF"
    assert fake_mistral.last_request.headers["accept"] == "audio/wav"


async def test_execute_workflow_and_wait(fake_mistral: FakeMistral) -> None:
    seen: list[str] = []
    fake_mistral.state(SpecStore).execution_polls = 3
    async with client_for(fake_mistral) as client:
        done = await client.workflows.execute_workflow_and_wait(
            "my-flow",
            input={"n": 1},
            poll_interval=0.01,
            on_progress=lambda execution: seen.append(execution.status),
        )
    assert done.status == "COMPLETED"
    assert seen == ["RUNNING", "COMPLETED"]
    polls = [r for r in fake_mistral.requests if r.method == "GET"]
    assert len(polls) == 4


async def test_a_failed_execution_raises_and_a_slow_one_times_out(
    fake_mistral: FakeMistral,
) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(WorkflowExecutionError) as failed:
            await client.workflows.execute_workflow_and_wait(
                "my-flow", input={"_fake": {"polls": 0, "status": "FAILED"}}, poll_interval=0
            )
        assert failed.value.execution.status == "FAILED"
        fake_mistral.state(SpecStore).execution_polls = 10_000
        with pytest.raises(WorkflowWaitTimeoutError) as slow:
            await client.workflows.execute_workflow_and_wait(
                "my-flow", poll_interval=0.01, timeout=0.1
            )
        assert slow.value.execution is not None and slow.value.execution.status == "RUNNING"
        with pytest.raises(InvalidParameterError, match="poll_interval"):
            await client.workflows.execute_workflow_and_wait("my-flow", poll_interval=-1)


async def test_the_execution_stream_resumes_after_a_drop(fake_mistral: FakeMistral) -> None:
    fake_mistral.state(SpecStore).stream_events = 6
    async with client_for(fake_mistral) as client:
        uncut = [e async for e in client.workflows.executions.stream("exec-1")]
        fake_mistral.cut_stream_after(2)
        async with client.workflows.executions.stream("exec-1") as stream:
            resumed = [e async for e in stream]
    assert len(uncut) == 6
    assert [e.to_dict() for e in resumed] == [e.to_dict() for e in uncut]
    reconnect = fake_mistral.requests[-1]
    assert reconnect.headers["last-event-id"] == "2"


async def test_admin_operations_take_only_the_admin_key(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError, match="admin_api_key"):
            await client.beta.admin.workspaces.list()
        assert fake_mistral.requests == []
        admin = client.with_options(admin_api_key=fake_mistral.admin_api_key)
        page = await admin.beta.admin.workspaces.list(page_size=5)
    assert page.items is not None
    sent = fake_mistral.last_request.headers["authorization"]
    assert sent == f"Bearer {fake_mistral.admin_api_key}"
    assert fake_mistral.api_key not in sent


async def test_the_identity_endpoints_get_the_key_as_x_api_key(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        await client.beta.users.get_identity()
    headers = fake_mistral.last_request.headers
    assert headers["x-api-key"] == fake_mistral.api_key
    assert "authorization" not in headers


async def test_created_objects_are_kept_then_deleted(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        created = await client.beta.observability.judges.create(
            name="politeness",
            description="Is the answer polite?",
            model_name="mistral-small-latest",
            output={
                "type": "REGRESSION",
                "min": 0,
                "max": 1,
                "min_description": "rude",
                "max_description": "polite",
            },
            instructions="Rate politeness.",
            tools=[],
        )
        fetched = await client.beta.observability.judges.fetch(created.id)
        assert fetched.name == "politeness"
        await client.beta.observability.judges.delete(created.id)
        with pytest.raises(NotFoundError):
            await client.beta.observability.judges.fetch(created.id)
