"""Structured outputs: schemas from types, ``chat.parse`` / ``parse_stream``, agents and
conversations, over loopback to the fake server (or a small aiohttp server of the test)."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal, NotRequired, TypedDict

import attrs
import pydantic
import pytest
from aiohttp import web

import mistral_async
from mistral_async import (
    AsyncMistral,
    InvalidParameterError,
    Mistral,
    OutputParseError,
    OutputTruncatedError,
    StructuredOutputError,
    response_format_for,
    strict_json_schema,
)
from mistral_async.lib.parse import (
    ParsedAssistantMessage,
    ParsedChatCompletion,
    ParsedConversationResponse,
    ParsedMessageOutputEntry,
    parse_partial_json,
)
from mistral_async.testing import CompletionScript, FakeMistral
from mistral_async.types import ChatCompletionResponse

pytestmark = pytest.mark.anyio

MODEL = "mistral-small-latest"
HI = [{"role": "user", "content": "Tell me about Paris"}]


class Continent(enum.Enum):
    EUROPE = "europe"
    ASIA = "asia"


@attrs.define
class City:
    """A city.

    Attributes:
        name: the city's name.
    """

    name: str
    country: str
    population: int | None


@attrs.define
class Cities:
    cities: list[City]
    continent: Continent
    kind: Literal["capitals", "ports"] = "capitals"
    best: City | None = None
    tags: list[str | int] = attrs.Factory(list)


@dataclasses.dataclass
class Point:
    x: float
    y: float
    label: Annotated[str, "what the point is"] = ""


class Movie(TypedDict):
    title: str
    year: int
    rating: NotRequired[float]


@attrs.define
class Tree:
    value: int
    children: list[Tree]


class Address(pydantic.BaseModel):
    street: str
    number: int


class Person(pydantic.BaseModel):
    name: str
    age: int
    friends: list[Person] = []
    address: Address | None = None


def _objects(schema: Any) -> Iterator[dict[str, Any]]:
    """Every object schema with properties, at any depth."""
    if isinstance(schema, dict):
        if isinstance(schema.get("properties"), dict):
            yield schema
        for value in schema.values():
            yield from _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _objects(value)


def _assert_strict(schema: dict[str, Any]) -> None:
    objects = list(_objects(schema))
    assert objects
    for obj in objects:
        assert obj["additionalProperties"] is False, obj
        assert obj["required"] == list(obj["properties"]), obj


# -- schemas -----------------------------------------------------------------------------


def test_schema_of_attrs_class_nested_enum_literal_optional_list_union() -> None:
    schema = strict_json_schema(Cities)
    _assert_strict(schema)
    city = schema["properties"]["cities"]["items"]
    assert city["type"] == "object"
    assert city["description"] == "A city."
    assert city["properties"]["name"] == {"type": "string", "description": "the city's name."}
    assert city["properties"]["population"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert schema["properties"]["continent"] == {"type": "string", "enum": ["europe", "asia"]}
    # A field with a default is required and nullable (null means: the default).
    assert schema["properties"]["kind"] == {
        "anyOf": [{"type": "string", "enum": ["capitals", "ports"]}, {"type": "null"}]
    }
    assert schema["properties"]["best"]["anyOf"][1] == {"type": "null"}
    assert schema["properties"]["tags"]["anyOf"][0] == {
        "type": "array",
        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    }
    assert "$defs" not in schema  # nothing recursive: every definition inlined


def test_schema_of_dataclass_and_typeddict() -> None:
    point = strict_json_schema(Point)
    _assert_strict(point)
    assert point["properties"]["x"] == {"type": "number"}
    assert point["properties"]["label"] == {
        "description": "what the point is",
        "anyOf": [{"type": "string"}, {"type": "null"}],
    }
    assert "description" not in point  # the docstring dataclasses invent is not used
    movie = strict_json_schema(Movie)
    _assert_strict(movie)
    assert movie["properties"]["rating"] == {"anyOf": [{"type": "number"}, {"type": "null"}]}


def test_schema_of_recursive_type_keeps_defs() -> None:
    schema = strict_json_schema(Tree)
    assert schema["type"] == "object"
    assert schema["properties"]["children"]["items"] == {"$ref": "#/$defs/Tree"}
    assert schema["$defs"]["Tree"]["properties"]["value"] == {"type": "integer"}
    _assert_strict(schema)


def test_schema_of_pydantic_model_is_strict_and_inlined() -> None:
    schema = strict_json_schema(Person)
    _assert_strict(schema)
    assert schema["properties"]["friends"]["anyOf"][0]["items"] == {"$ref": "#/$defs/Person"}
    # Address is not recursive: inlined, not referenced.
    address = schema["properties"]["address"]["anyOf"][0]
    assert address["properties"]["street"]["type"] == "string"
    assert set(schema["$defs"]) == {"Person"}


def test_schema_of_dict_is_made_strict() -> None:
    schema = strict_json_schema(
        {
            "title": "Answer",
            "type": "object",
            "properties": {
                "a": {"$ref": "#/$defs/A"},
                "b": {"type": "string"},
            },
            "required": ["a"],
            "$defs": {
                "A": {"type": "object", "properties": {"n": {"type": "integer"}}},
            },
        }
    )
    _assert_strict(schema)
    assert schema["properties"]["a"]["properties"]["n"] == {
        "anyOf": [{"type": "integer"}, {"type": "null"}]
    }
    assert schema["properties"]["b"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert "$defs" not in schema
    param = response_format_for({"title": "Answer", "type": "object", "properties": {}})
    assert param["type"] == "json_schema"
    assert param["json_schema"]["name"] == "Answer"
    assert param["json_schema"]["strict"] is True


def test_response_format_param_of_a_type() -> None:
    param = response_format_for(City)
    assert param == {
        "type": "json_schema",
        "json_schema": {"name": "City", "schema": strict_json_schema(City), "strict": True},
    }
    assert response_format_for(City, name="town")["json_schema"]["name"] == "town"


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (int, "JSON object"),
        (list[City], "JSON object"),
        ("City", "expected a type"),
        (complex, "cannot describe"),
        ({"type": "object", "properties": {"a": {}}, "additionalProperties": True}, "additional"),
        ({"type": "json_schema", "json_schema": {}}, "not a whole response_format"),
    ],
)
def test_unusable_response_format_raises(bad: Any, words: str) -> None:
    with pytest.raises(InvalidParameterError, match=words):
        strict_json_schema(bad)


def test_public_names() -> None:
    for name in ("strict_json_schema", "response_format_for", "OutputParseError"):
        assert name in mistral_async.__all__
    assert issubclass(OutputParseError, StructuredOutputError)
    assert issubclass(OutputParseError, ValueError)
    assert issubclass(OutputTruncatedError, StructuredOutputError)


# -- parse over HTTP -----------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeMistral]:
    async with FakeMistral() as server:
        yield server


@pytest.fixture
async def client(fake: FakeMistral) -> AsyncIterator[AsyncMistral]:
    async with AsyncMistral(api_key=fake.api_key, server_url=fake.url, max_retries=0) as c:
        yield c


async def test_parse_sends_the_strict_schema_and_parses_the_answer(
    fake: FakeMistral, client: AsyncMistral
) -> None:
    r = await client.chat.parse(model=MODEL, messages=HI, response_format=Cities, temperature=0)
    assert isinstance(r, ParsedChatCompletion)
    assert isinstance(r, ChatCompletionResponse)
    sent = fake.requests[-1].json
    assert sent["response_format"] == response_format_for(Cities)
    assert sent["temperature"] == 0
    parsed = r.choices[0].message.parsed
    assert isinstance(parsed, Cities)
    assert isinstance(parsed.cities[0], City)
    assert parsed.continent is Continent.EUROPE
    # Every field of the normal response is kept.
    assert r.id and r.model == MODEL and r.usage is not None
    assert r.choices[0].finish_reason == "stop"
    assert json.loads(r.choices[0].message.text) == json.loads(r.choices[0].message.content)


async def test_parse_scripted_answer(fake: FakeMistral, client: AsyncMistral) -> None:
    fake.state(CompletionScript).add('{"name": "Paris", "country": "FR", "population": 2100000}')
    r = await client.chat.parse(model=MODEL, messages=HI, response_format=City)
    assert r.choices[0].message.parsed == City("Paris", "FR", 2100000)
    message = r.choices[0].message
    assert isinstance(message, ParsedAssistantMessage)
    assert "parsed=City(name='Paris'" in repr(message)
    # The message goes back into a conversation without its parsed value.
    await client.chat.complete(
        model=MODEL, messages=[*HI, message, {"role": "user", "content": "ok"}]
    )
    sent = fake.requests[-1].json["messages"][1]
    assert sent == {"role": "assistant", "content": message.content}


async def test_parse_null_means_the_default(fake: FakeMistral, client: AsyncMistral) -> None:
    fake.state(CompletionScript).add(
        '{"cities": [], "continent": "asia", "kind": null, "best": null, "tags": null}'
    )
    parsed = (
        (await client.chat.parse(model=MODEL, messages=HI, response_format=Cities))
        .choices[0]
        .message.parsed
    )
    assert parsed == Cities([], Continent.ASIA)


async def test_parse_typed_dict_dataclass_pydantic_and_dict(
    fake: FakeMistral, client: AsyncMistral
) -> None:
    script = fake.state(CompletionScript)
    script.add('{"title": "Heat", "year": 1995, "rating": null}')
    script.add('{"x": 1, "y": 2.5, "label": "A"}')
    script.add(
        '{"name": "Ann", "age": 30, "friends": [{"name": "Bo", "age": 4, "friends": null}], '
        '"address": null}'
    )
    script.add('{"anything": [1, 2]}')
    movie = await client.chat.parse(model=MODEL, messages=HI, response_format=Movie)
    assert movie.choices[0].message.parsed == {"title": "Heat", "year": 1995}
    point = await client.chat.parse(model=MODEL, messages=HI, response_format=Point)
    assert point.choices[0].message.parsed == Point(1.0, 2.5, "A")
    assert isinstance(point.choices[0].message.parsed.x, float)
    person = await client.chat.parse(model=MODEL, messages=HI, response_format=Person)
    assert person.choices[0].message.parsed == Person(
        name="Ann", age=30, friends=[Person(name="Bo", age=4)]
    )
    raw = await client.chat.parse(
        model=MODEL, messages=HI, response_format={"type": "object", "properties": {}}
    )
    assert raw.choices[0].message.parsed == {"anything": [1, 2]}


async def test_fake_server_answers_recursive_and_pydantic_schemas(client: AsyncMistral) -> None:
    tree = await client.chat.parse(model=MODEL, messages=HI, response_format=Tree)
    assert isinstance(tree.choices[0].message.parsed, Tree)
    person = await client.chat.parse(model=MODEL, messages=HI, response_format=Person)
    assert isinstance(person.choices[0].message.parsed, Person)


async def test_length_finish_reason_raises_truncation_before_parsing(
    fake: FakeMistral, client: AsyncMistral
) -> None:
    with pytest.raises(OutputTruncatedError) as caught:
        await client.chat.parse(model=MODEL, messages=HI, response_format=City, max_tokens=3)
    assert caught.value.text == '{"name'
    assert caught.value.completion.choices[0].finish_reason == "length"
    fake.state(CompletionScript).add(
        '{"name": "Paris", "country": "FR", "population": 1}', finish_reason="length"
    )
    with pytest.raises(OutputTruncatedError, match="token limit"):
        await client.chat.parse(model=MODEL, messages=HI, response_format=City)


async def test_invalid_json_raises_parse_error_with_the_text(
    fake: FakeMistral, client: AsyncMistral
) -> None:
    fake.state(CompletionScript).add("Sure! Here is Paris: {name: Paris}")
    with pytest.raises(OutputParseError) as caught:
        await client.chat.parse(model=MODEL, messages=HI, response_format=City)
    assert caught.value.path == "$"
    assert "not valid JSON" in str(caught.value)
    assert caught.value.text == "Sure! Here is Paris: {name: Paris}"


@pytest.mark.parametrize(
    ("answer", "path", "reason"),
    [
        (
            {"name": "a", "country": "b", "population": None},
            "$.cities[2].population",
            "expected an integer, got a string ('many')",
        ),
        ({"name": "a", "population": None}, "$.cities[2]", "missing required field 'country'"),
        (
            {"name": "a", "country": "b", "population": 1, "mayor": "x"},
            "$.cities[2]",
            "unexpected field mayor",
        ),
    ],
)
async def test_value_not_fitting_names_its_path(
    fake: FakeMistral, client: AsyncMistral, answer: dict[str, Any], path: str, reason: str
) -> None:
    good = {"name": "a", "country": "b", "population": 1}
    bad = dict(answer)
    if path.endswith("population"):
        bad["population"] = "many"
    text = json.dumps({"cities": [good, good, bad], "continent": "asia"})
    fake.state(CompletionScript).add(text)
    with pytest.raises(OutputParseError) as caught:
        await client.chat.parse(model=MODEL, messages=HI, response_format=Cities)
    assert caught.value.path == path
    assert caught.value.reason == reason
    assert caught.value.text == text
    assert str(caught.value) == f"{path}: {reason}"


async def test_wrong_enum_and_literal_values(fake: FakeMistral, client: AsyncMistral) -> None:
    fake.state(CompletionScript).add('{"cities": [], "continent": "mars"}')
    with pytest.raises(OutputParseError, match=r'\$\.continent: expected one of "europe", "asia"'):
        await client.chat.parse(model=MODEL, messages=HI, response_format=Cities)
    fake.state(CompletionScript).add('{"cities": [], "continent": "asia", "kind": "towns"}')
    with pytest.raises(OutputParseError, match=r"\$\.kind: expected one of"):
        await client.chat.parse(model=MODEL, messages=HI, response_format=Cities)


async def test_pydantic_error_names_the_path(fake: FakeMistral, client: AsyncMistral) -> None:
    fake.state(CompletionScript).add(
        '{"name": "A", "age": 1, "friends": [{"name": "B", "age": "x"}]}'
    )
    with pytest.raises(OutputParseError) as caught:
        await client.chat.parse(model=MODEL, messages=HI, response_format=Person)
    assert caught.value.path == "$.friends[0].age"


async def test_bad_response_format_raises_before_sending(
    fake: FakeMistral, client: AsyncMistral
) -> None:
    with pytest.raises(InvalidParameterError):
        await client.chat.parse(model=MODEL, messages=HI, response_format=complex)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="temperature"):
        await client.chat.parse(model=MODEL, messages=HI, response_format=City, temperature=9)
    assert fake.requests == []


async def test_raw_response_parse(client: AsyncMistral) -> None:
    raw = await client.with_raw_response.chat.parse(model=MODEL, messages=HI, response_format=City)
    assert raw.status_code == 200
    assert isinstance(raw.parse().choices[0].message.parsed, City)


# -- reasoning models: thinking + text chunks ----------------------------------------------------


def _thinking_answer(text: str) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "model": "magistral-medium-latest",
        "created": 1,
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "thinking",
                            "thinking": [{"type": "text", "text": "Paris {is} big; say so"}],
                        },
                        {"type": "text", "text": text[:10]},
                        {"type": "text", "text": text[10:]},
                    ],
                },
            }
        ],
    }


@pytest.fixture
async def reasoning_server() -> AsyncIterator[str]:
    answer = '{"name": "Paris", "country": "FR", "population": null}'

    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        assert body["response_format"]["type"] == "json_schema"
        return web.json_response(_thinking_answer(answer))

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_thinking_and_text_chunks_parse_from_the_text(reasoning_server: str) -> None:
    async with AsyncMistral(api_key="k", server_url=reasoning_server) as c:
        r = await c.chat.parse(model="magistral-medium-latest", messages=HI, response_format=City)
    assert r.choices[0].message.parsed == City("Paris", "FR", None)
    assert len(r.choices[0].message.content) == 3  # the chunks are kept as they came


# -- parse_stream --------------------------------------------------------------------------------


async def test_parse_stream_gives_partial_objects_then_the_final(
    fake: FakeMistral, client: AsyncMistral
) -> None:
    text = '{"name": "Paris", "country": "France", "population": 2100000}'
    fake.state(CompletionScript).add(text)
    partials = []
    async with client.chat.parse_stream(model=MODEL, messages=HI, response_format=City) as stream:
        async for event in stream:
            partials.append(event.partial)
            assert text.startswith(event.snapshot)
        final = await stream.get_final_completion()
    assert fake.requests[-1].json["stream"] is True
    assert fake.requests[-1].json["response_format"] == response_format_for(City)
    assert {"name": "Paris"} in partials
    assert {"name": "Paris", "country": "France"} in partials
    assert partials[-1] == {"name": "Paris", "country": "France", "population": 2100000}
    # Objects only grow.
    sizes = [len(p or {}) for p in partials]
    assert sizes == sorted(sizes)
    assert final.choices[0].message.parsed == City("Paris", "France", 2100000)
    assert isinstance(final, ParsedChatCompletion)


async def test_parse_stream_truncated(client: AsyncMistral) -> None:
    stream = client.chat.parse_stream(model=MODEL, messages=HI, response_format=City, max_tokens=4)
    async with stream:
        with pytest.raises(OutputTruncatedError):
            await stream.get_final_completion()


def test_partial_json() -> None:
    assert parse_partial_json("") is None
    assert parse_partial_json('{"a": "hel') == {"a": "hel"}
    assert parse_partial_json('{"a": 12') == {}
    assert parse_partial_json('{"a": 12,') == {"a": 12}
    assert parse_partial_json('{"a": tr') == {}
    assert parse_partial_json('{"a": true, "b": [1, {"c": nu') == {"a": True, "b": [1, {}]}
    assert parse_partial_json('{"a": "x\\') == {"a": "x"}
    assert parse_partial_json('{"a": "\\u00e') == {"a": ""}
    assert parse_partial_json('{"a"') == {}
    assert parse_partial_json('[1, 2, "x"]') == [1, 2, "x"]
    with pytest.raises(ValueError, match="expected a key"):
        parse_partial_json("{a: 1}")


# -- agents, conversations, the blocking client ---------------------------------------------------


async def test_agents_parse(fake: FakeMistral, client: AsyncMistral) -> None:
    fake.state(CompletionScript).add('{"name": "Rome", "country": "IT", "population": 3}')
    r = await client.agents.parse(agent_id="ag_123", messages=HI, response_format=City)
    assert r.choices[0].message.parsed == City("Rome", "IT", 3)
    assert fake.requests[-1].path == "/v1/agents/completions"
    assert fake.requests[-1].json["response_format"] == response_format_for(City)
    async with client.agents.parse_stream(
        agent_id="ag_123", messages=HI, response_format=City
    ) as stream:
        final = await stream.get_final_completion()
    assert isinstance(final.choices[0].message.parsed, City)


async def test_conversations_output_type(fake: FakeMistral, client: AsyncMistral) -> None:
    r = await client.beta.conversations.start(
        model=MODEL,
        inputs="Tell me about Paris",
        output_type=City,
        completion_args={"temperature": 0.1},
    )
    sent = fake.requests[-1].json["completion_args"]
    assert sent["response_format"] == response_format_for(City)
    assert sent["temperature"] == 0.1
    assert isinstance(r, ParsedConversationResponse)
    assert isinstance(r.parsed, City)
    assert isinstance(r.outputs[-1], ParsedMessageOutputEntry)
    assert r.outputs[-1].parsed == r.parsed
    assert r.conversation_id
    again = await client.beta.conversations.append(
        r.conversation_id, inputs="And Rome?", output_type=Point
    )
    assert isinstance(again.parsed, Point)
    assert (
        fake.requests[-1].json["completion_args"]["response_format"]["json_schema"]["name"]
        == "Point"
    )
    plain = await client.beta.conversations.append(r.conversation_id, inputs="Thanks")
    assert not isinstance(plain, ParsedConversationResponse)
    with pytest.raises(InvalidParameterError, match="output_type"):
        await client.beta.conversations.start(
            model=MODEL,
            inputs="x",
            output_type=City,
            completion_args={"response_format": {"type": "json_object"}},
        )


def test_blocking_client_parse() -> None:
    with FakeMistral() as fake, Mistral(api_key=fake.api_key, server_url=fake.url) as client:
        fake.state(CompletionScript).add('{"name": "Oslo", "country": "NO", "population": 1}')
        r = client.chat.parse(model=MODEL, messages=HI, response_format=City)
        assert r.choices[0].message.parsed == City("Oslo", "NO", 1)
        fake.state(CompletionScript).add('{"name": "Bern", "country": "CH", "population": 2}')
        with client.chat.parse_stream(model=MODEL, messages=HI, response_format=City) as stream:
            partials = [event.partial for event in stream]
            final = stream.get_final_completion()
        assert partials[-1] == {"name": "Bern", "country": "CH", "population": 2}
        assert final.choices[0].message.parsed == City("Bern", "CH", 2)
        with pytest.raises(OutputParseError):
            fake.state(CompletionScript).add('{"name": 1}')
            client.chat.parse(model=MODEL, messages=HI, response_format=City)


# -- the example -----------------------------------------------------------------------------------


def test_structured_output_example_runs_without_a_key() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL_")}
    env["PYTHONPATH"] = str(root)
    out = subprocess.run(
        [sys.executable, "-W", "error", str(root / "examples" / "structured_output.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "Parsed: Rotterdam (NL), population 655000" in out.stdout
    assert "Parsed: Marseille (FR), population None" in out.stdout
    assert "Partial: {'name': 'Antwerp', 'country': 'BE'}" in out.stdout
    assert (
        "Streamed and parsed: City(name='Antwerp', country='BE', population=530000, kind='port')"
        in out.stdout
    )
    assert "Cut off at max_tokens" in out.stdout
