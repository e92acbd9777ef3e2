"""Every resource method, async and blocking, over real HTTP to the embedded fake server."""

from __future__ import annotations

import pytest

import mistral_async
from mistral_async import AsyncMistral, Mistral
from mistral_async.testing import FakeMistral
from mistral_async.types import (
    AssistantMessage,
    ChatCompletionResponse,
    CompletionChunk,
    FTModelCard,
    ImageURLChunk,
    SystemMessage,
    TextChunk,
    Tool,
    ToolMessage,
    UserMessage,
)

pytestmark = pytest.mark.anyio

FT = "ft:open-mistral-7b:fake:20240101:abc12345"
HI = [{"role": "user", "content": "Hi"}]
REPLY = "Hello! You said: Hi. This reply comes from the fake Mistral server."


def client_for(fake: FakeMistral, **kwargs: object) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, **kwargs)  # type: ignore[arg-type]


async def test_chat_complete(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        result = await client.chat.complete(model="mistral-small-latest", messages=HI)
    assert isinstance(result, ChatCompletionResponse)
    assert result.choices[0].message.content == REPLY
    assert result.choices[0].message.text == REPLY
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None and result.usage.total_tokens > 0
    sent = fake_mistral.last_request
    assert sent.method == "POST" and sent.path == "/v1/chat/completions"
    assert sent.json == {"model": "mistral-small-latest", "messages": HI}
    assert sent.headers["authorization"] == f"Bearer {fake_mistral.api_key}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["user-agent"].startswith("mistral-async/")


async def test_chat_sends_every_given_parameter_and_nothing_else(
    fake_mistral: FakeMistral,
) -> None:
    tool = Tool(
        function={  # type: ignore[arg-type]
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    )
    messages = [
        SystemMessage("Be brief."),
        UserMessage([TextChunk("Describe"), ImageURLChunk("https://example.com/a.png")]),
        AssistantMessage(content="Sure."),
        {"role": "user", "content": "thanks"},
    ]
    async with client_for(fake_mistral) as client:
        await client.chat.complete(
            model="mistral-small-latest",
            messages=messages,
            temperature=0.2,
            top_p=None,
            max_tokens=50,
            stop=["\n"],
            random_seed=7,
            metadata={"k": "v"},
            response_format={"type": "json_object"},
            tools=[tool],
            tool_choice="auto",
            presence_penalty=0.1,
            frequency_penalty=0.1,
            n=1,
            prediction={"type": "content", "content": ""},
            parallel_tool_calls=False,
            prompt_mode="reasoning",
            safe_prompt=True,
        )
    body = fake_mistral.last_request.json
    assert body["top_p"] is None  # an explicit None is sent as null
    assert "reasoning_effort" not in body  # not given: not sent
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Describe"},
                {"type": "image_url", "image_url": "https://example.com/a.png"},
            ],
        },
        {"role": "assistant", "content": "Sure."},
        {"role": "user", "content": "thanks"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    for key, value in {
        "temperature": 0.2,
        "max_tokens": 50,
        "stop": ["\n"],
        "random_seed": 7,
        "metadata": {"k": "v"},
        "response_format": {"type": "json_object"},
        "tool_choice": "auto",
        "n": 1,
        "parallel_tool_calls": False,
        "prompt_mode": "reasoning",
        "safe_prompt": True,
    }.items():
        assert body[key] == value, key


async def test_tool_call_round_trip(fake_mistral: FakeMistral) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    async with client_for(fake_mistral) as client:
        first = await client.chat.complete(
            model="mistral-small-latest", messages=HI, tools=tools, tool_choice="any"
        )
        message = first.choices[0].message
        assert first.choices[0].finish_reason == "tool_calls"
        assert message.tool_calls and message.tool_calls[0].function.name == "lookup"
        call_id = message.tool_calls[0].id
        # The response message goes straight back into the conversation.
        second = await client.chat.complete(
            model="mistral-small-latest",
            messages=[*HI, message, ToolMessage(content="42", tool_call_id=call_id)],
        )
    assert second.choices[0].message.content
    sent = fake_mistral.last_request.json["messages"]
    assert sent[1]["role"] == "assistant" and sent[1]["tool_calls"][0]["id"] == call_id
    assert sent[2] == {"role": "tool", "content": "42", "tool_call_id": call_id}


async def test_chat_stream_yields_typed_chunks_and_folds(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        async with client.chat.stream(model="mistral-small-latest", messages=HI) as stream:
            assert stream.status_code == 200
            assert stream.request_id  # headers are there before the first event
            chunks = [chunk async for chunk in stream]
            final = await stream.get_final_completion()
    assert len(chunks) > 5
    assert all(isinstance(c, CompletionChunk) for c in chunks)
    assert "".join(c.choices[0].delta.text for c in chunks) == REPLY
    assert final.choices[0].message.content == REPLY
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is not None
    assert fake_mistral.last_request.json["stream"] is True


async def test_stream_tool_calls_merge_by_index(fake_mistral: FakeMistral) -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    async with client_for(fake_mistral) as client:
        stream = client.chat.stream(
            model="mistral-small-latest", messages=HI, tools=tools, tool_choice="any"
        )
        final = await stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert calls is not None and len(calls) == 1
    assert calls[0].function.name == "lookup"
    assert calls[0].id and calls[0].id.startswith("call_")
    assert final.choices[0].finish_reason == "tool_calls"


async def test_stream_without_context_manager(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        texts = [c.choices[0].delta.text async for c in client.chat.stream(model="m", messages=HI)]
    assert "".join(texts) == REPLY


async def test_fim(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        result = await client.fim.complete(model="codestral-latest", prompt="def f(", suffix="")
        async with client.fim.stream(model="codestral-latest", prompt="def f(") as stream:
            final = await stream.get_final_completion()
    assert result.choices[0].message.content
    assert final.choices[0].message.content == result.choices[0].message.content
    assert fake_mistral.last_request.path == "/v1/fim/completions"


async def test_embeddings(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        result = await client.embeddings.create(model="mistral-embed", inputs=["a", "b"])
        again = await client.embeddings.create(model="mistral-embed", inputs="a")
        small = await client.embeddings.create(
            model="mistral-embed", inputs=["a"], output_dimension=8
        )
    assert [d.index for d in result.data] == [0, 1]
    assert len(result.data[0].embedding) == 1024
    assert again.data[0].embedding == result.data[0].embedding  # deterministic
    assert len(small.data[0].embedding) == 8
    assert fake_mistral.last_request.json == {
        "model": "mistral-embed",
        "input": ["a"],
        "output_dimension": 8,
    }


async def test_models(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        listed = await client.models.list()
        ids = [m.id for m in listed.data]
        assert "mistral-small-latest" in ids and FT in ids
        card = await client.models.retrieve(FT)
        assert isinstance(card, FTModelCard) and card.archived is False
        by_name = await client.models.retrieve(model_id="mistral-small-latest")
        assert by_name.id == "mistral-small-latest" and by_name.type == "base"
        updated = await client.models.update(FT, name="mine", description="d")
        assert (updated.name, updated.description) == ("mine", "d")
        assert fake_mistral.last_request.json == {"name": "mine", "description": "d"}
        assert (await client.models.archive(FT)).archived is True
        assert (await client.models.retrieve(FT)).archived is True  # type: ignore[union-attr]
        assert (await client.models.unarchive(FT)).archived is False
        deleted = await client.models.delete(FT)
        assert deleted.deleted is True and deleted.id == FT
        with pytest.raises(mistral_async.NotFoundError) as caught:
            await client.models.retrieve(FT)
    assert caught.value.status_code == 404
    assert caught.value.request_id


async def test_models_list_filters_go_in_the_query(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        await client.models.list(provider="mistral", model="mistral-small-latest")
    assert fake_mistral.last_request.query == {
        "provider": "mistral",
        "model": "mistral-small-latest",
    }


def test_blocking_twin_covers_every_method(fake_mistral: FakeMistral) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        assert client.chat.complete(model="m", messages=HI).choices[0].message.text == REPLY
        assert (
            "".join(c.choices[0].delta.text for c in client.chat.stream(model="m", messages=HI))
            == REPLY
        )
        with client.chat.stream(model="m", messages=HI) as stream:
            assert stream.request_id
            assert stream.get_final_completion().choices[0].message.content == REPLY
        assert client.fim.complete(model="codestral-latest", prompt="x").choices
        with client.fim.stream(model="codestral-latest", prompt="x") as stream:
            assert list(stream)
        assert len(client.embeddings.create(model="mistral-embed", inputs=["a"]).data) == 1
        assert client.models.list().data
        assert client.models.retrieve(FT).id == FT
        assert client.models.update(FT, name="n").name == "n"
        assert client.models.archive(FT).archived is True
        assert client.models.unarchive(FT).archived is False
        assert client.models.delete(model_id=FT).deleted is True
        with pytest.raises(mistral_async.NotFoundError):
            client.models.retrieve(FT)


def test_blocking_methods_mirror_the_async_ones() -> None:
    """The blocking classes are generated: same public methods and signatures."""
    import inspect

    from mistral_async._sync import sync_class
    from mistral_async.resources import chat, embeddings, fim, models

    for async_cls in (chat.AsyncChat, fim.AsyncFim, embeddings.AsyncEmbeddings, models.AsyncModels):
        blocking = sync_class(async_cls)
        public = {n for n in dir(async_cls) if not n.startswith("_")}
        assert public <= set(dir(blocking))
        for name in public:
            a, b = (
                inspect.signature(getattr(async_cls, name)),
                inspect.signature(getattr(blocking, name)),
            )
            assert list(a.parameters) == list(b.parameters), name
