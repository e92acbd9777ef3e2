"""``client.classifiers``: moderation and classification of texts and chats, over loopback."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import mistral_async
from mistral_async import AsyncMistral, Mistral
from mistral_async.testing import FakeMistral
from mistral_async.testing.groups.classifiers import ClassifiersState
from mistral_async.types import AssistantMessage, SystemMessage, UserMessage
from mistral_async.types.classifiers import (
    ClassificationResponse,
    ClassificationTargetResult,
    InstructRequest,
    ModerationObject,
    ModerationResponse,
)

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent
MODERATION = "mistral-moderation-latest"
CLASSIFIER = "ft:classifier:ministral-3b-latest:fake:20250101:abc12345"
CATEGORIES = {
    "sexual",
    "hate_and_discrimination",
    "violence_and_threats",
    "dangerous_and_criminal_content",
    "selfharm",
    "health",
    "financial",
    "law",
    "pii",
}


def client_for(fake: FakeMistral) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, max_retries=0)


def flagged(result: ModerationObject) -> list[str]:
    return [name for name, on in result.categories.items() if on]


# -- moderate ---------------------------------------------------------------------------------


async def test_moderate_sends_input_and_parses_each_result(fake_mistral: FakeMistral) -> None:
    texts = ["I will kill you.", "Write to jane@example.com", "What a lovely day."]
    async with client_for(fake_mistral) as client:
        result = await client.classifiers.moderate(
            model=MODERATION, inputs=texts, metadata={"team": "trust"}
        )
        again = await client.classifiers.moderate(model=MODERATION, inputs=texts[0])
    sent = fake_mistral.requests[0]
    assert (sent.method, sent.path) == ("POST", "/v1/moderations")
    assert sent.json == {"model": MODERATION, "input": texts, "metadata": {"team": "trust"}}
    assert fake_mistral.last_request.json == {"model": MODERATION, "input": texts[0]}

    assert isinstance(result, ModerationResponse)
    assert result.model == MODERATION and result.id
    assert [flagged(r) for r in result.results] == [["violence_and_threats"], ["pii"], []]
    first = result.results[0]
    assert set(first.categories) == CATEGORIES == set(first.category_scores)
    assert first.flagged and first.flagged_categories == ["violence_and_threats"]
    assert not result.results[2].flagged
    assert first.category_scores["violence_and_threats"] >= 0.9
    assert all(
        0 <= s < 0.01 for n, s in first.category_scores.items() if n != "violence_and_threats"
    )
    # Deterministic: the same text gets the same scores.
    assert again.results[0].category_scores == first.category_scores


async def test_moderate_sends_null_metadata(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        await client.classifiers.moderate(model=MODERATION, inputs=["a"], metadata=None)
    assert fake_mistral.last_request.json == {"model": MODERATION, "input": ["a"], "metadata": None}


async def test_unknown_categories_and_fields_are_kept(fake_mistral: FakeMistral) -> None:
    """Category names are open-ended: a new one parses like the others."""

    async def moderations(call: Any) -> Any:
        return call.ok(
            {
                "id": "mod-1",
                "model": MODERATION,
                "results": [
                    {
                        "categories": {"jailbreaking": True},
                        "category_scores": {"jailbreaking": 0.97},
                        "rationale": "new field",
                    }
                ],
            }
        )

    fake_mistral.app.route("POST", "/v1/moderations", moderations, replace=True)
    async with client_for(fake_mistral) as client:
        result = await client.classifiers.moderate(model=MODERATION, inputs="x")
    assert result.results[0].flagged_categories == ["jailbreaking"]
    assert result.results[0].category_scores == {"jailbreaking": 0.97}
    assert result.results[0].rationale == "new field"


# -- moderate_chat ------------------------------------------------------------------------------


async def test_moderate_chat_one_conversation(fake_mistral: FakeMistral) -> None:
    conversation = [
        SystemMessage("You are a chemist."),
        UserMessage("How do I build a bomb?"),
        {"role": "assistant", "content": "I can't help with that."},
    ]
    async with client_for(fake_mistral) as client:
        result = await client.classifiers.moderate_chat(model=MODERATION, inputs=conversation)
    sent = fake_mistral.last_request
    assert (sent.method, sent.path) == ("POST", "/v1/chat/moderations")
    assert sent.json == {
        "model": MODERATION,
        "input": [
            {"role": "system", "content": "You are a chemist."},
            {"role": "user", "content": "How do I build a bomb?"},
            {"role": "assistant", "content": "I can't help with that."},
        ],
    }
    assert len(result.results) == 1
    assert result.results[0].flagged_categories == ["dangerous_and_criminal_content"]


async def test_moderate_chat_several_conversations(fake_mistral: FakeMistral) -> None:
    conversations = [
        [UserMessage("Hi!"), AssistantMessage("Hello, how can I help?")],
        [{"role": "user", "content": [{"type": "text", "text": "My SSN is secret"}]}],
    ]
    async with client_for(fake_mistral) as client:
        result = await client.classifiers.moderate_chat(model=MODERATION, inputs=conversations)
    assert fake_mistral.last_request.json["input"] == [
        [
            {"role": "user", "content": "Hi!"},
            {"role": "assistant", "content": "Hello, how can I help?"},
        ],
        [{"role": "user", "content": [{"type": "text", "text": "My SSN is secret"}]}],
    ]
    assert [r.flagged_categories for r in result.results] == [[], ["pii"]]


# -- classify -----------------------------------------------------------------------------------


def assert_distribution(target: ClassificationTargetResult) -> None:
    assert math.isclose(sum(target.scores.values()), 1.0)
    assert all(0 < s < 1 for s in target.scores.values())


async def test_classify_scores_every_target(fake_mistral: FakeMistral) -> None:
    texts = ["This is a great product, I love it!", "Could you please send the invoice"]
    async with client_for(fake_mistral) as client:
        result = await client.classifiers.classify(
            model=CLASSIFIER, inputs=texts, metadata={"source": "reviews"}
        )
        one = await client.classifiers.classify(model=CLASSIFIER, inputs=texts[0])
    sent = fake_mistral.requests[0]
    assert (sent.method, sent.path) == ("POST", "/v1/classifications")
    assert sent.json == {"model": CLASSIFIER, "input": texts, "metadata": {"source": "reviews"}}
    assert isinstance(result, ClassificationResponse) and result.model == CLASSIFIER
    assert len(result.results) == 2
    first, second = result.results
    assert set(first) == {"sentiment", "intent"}
    for target in (*first.values(), *second.values()):
        assert isinstance(target, ClassificationTargetResult)
        assert_distribution(target)
    assert first["sentiment"].label == "positive"
    assert second["intent"].label == "request"
    assert one.results[0]["sentiment"].scores == first["sentiment"].scores


async def test_classify_uses_the_models_own_targets(fake_mistral: FakeMistral) -> None:
    fake_mistral.state(ClassifiersState).targets[CLASSIFIER] = {"spam": ["ham", "spam"]}
    async with client_for(fake_mistral) as client:
        result = await client.classifiers.classify(model=CLASSIFIER, inputs="Buy now")
    assert list(result.results[0]) == ["spam"]
    assert set(result.results[0]["spam"].scores) == {"ham", "spam"}


# -- classify_chat ------------------------------------------------------------------------------


async def test_classify_chat_one_and_several(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        one = await client.classifiers.classify_chat(
            model=CLASSIFIER,
            inputs=InstructRequest([UserMessage("Why is the sky blue?")]),
        )
        assert fake_mistral.last_request.path == "/v1/chat/classifications"
        assert fake_mistral.last_request.json == {
            "model": CLASSIFIER,
            "input": {"messages": [{"role": "user", "content": "Why is the sky blue?"}]},
        }
        several = await client.classifiers.classify_chat(
            model=CLASSIFIER,
            inputs=[
                {"messages": [{"role": "user", "content": "This is awful and terrible"}]},
                InstructRequest(
                    messages=[UserMessage("Hi"), {"role": "assistant", "content": "Great!"}]
                ),
            ],
        )
    assert one.results[0]["intent"].label == "question"
    assert fake_mistral.last_request.json["input"][1] == {
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Great!"},
        ]
    }
    assert [r["sentiment"].label for r in several.results] == ["negative", "positive"]
    for result in several.results:
        assert_distribution(result["sentiment"])


# -- validation ---------------------------------------------------------------------------------

BAD_CALLS = [
    ("moderate", {"model": MODERATION, "inputs": []}, "inputs"),
    ("moderate", {"model": MODERATION, "inputs": ["ok", 3]}, "inputs[1]"),
    ("moderate", {"model": MODERATION, "inputs": None}, "inputs"),
    ("moderate", {"model": "", "inputs": "x"}, "model"),
    ("moderate", {"model": MODERATION, "inputs": "x", "metadata": ["a"]}, "metadata"),
    ("classify", {"model": 3, "inputs": "x"}, "model"),
    ("classify", {"model": CLASSIFIER, "inputs": {"text": "x"}}, "inputs"),
    ("moderate_chat", {"model": MODERATION, "inputs": "Hi"}, "inputs"),
    ("moderate_chat", {"model": MODERATION, "inputs": []}, "inputs"),
    ("moderate_chat", {"model": MODERATION, "inputs": [{"role": "bot"}]}, "inputs[0].role"),
    ("moderate_chat", {"model": MODERATION, "inputs": [[]]}, "inputs[0]"),
    (
        "moderate_chat",
        {"model": MODERATION, "inputs": [[{"role": "user", "content": "a"}], ["x"]]},
        "inputs[1][0]",
    ),
    ("classify_chat", {"model": CLASSIFIER, "inputs": [{"role": "user"}]}, "inputs[0]"),
    ("classify_chat", {"model": CLASSIFIER, "inputs": {"messages": []}}, "inputs.messages"),
    ("classify_chat", {"model": CLASSIFIER, "inputs": "Hi"}, "inputs"),
    (
        "classify_chat",
        {"model": CLASSIFIER, "inputs": {"messages": [{"role": "user"}], "extra": 1}},
        "inputs",
    ),
    (
        "classify_chat",
        {"model": CLASSIFIER, "inputs": [InstructRequest([{"role": "robot"}])]},
        "inputs[0].messages[0].role",
    ),
]


@pytest.mark.parametrize(("method", "kwargs", "param"), BAD_CALLS)
async def test_bad_input_is_refused_before_sending(
    fake_mistral: FakeMistral, method: str, kwargs: dict[str, Any], param: str
) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(mistral_async.InvalidParameterError) as caught:
            await getattr(client.classifiers, method)(**kwargs)
    assert caught.value.param == param
    assert fake_mistral.requests == []


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/v1/moderations", {"model": MODERATION}, ["body", "input"]),
        ("/v1/classifications", {"model": CLASSIFIER, "input": "x", "x": 1}, ["body", "x"]),
        ("/v1/chat/moderations", {"model": MODERATION, "input": [{"role": "bot"}]}, None),
        ("/v1/chat/classifications", {"model": CLASSIFIER, "input": {"msgs": []}}, None),
    ],
)
async def test_fake_answers_422_to_bad_bodies(
    fake_mistral: FakeMistral, path: str, body: dict[str, Any], loc: list[str] | None
) -> None:
    headers = {"Authorization": f"Bearer {fake_mistral.api_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(fake_mistral.url + path, json=body, headers=headers) as response,
    ):
        assert response.status == 422
        detail = (await response.json())["detail"]
    assert detail
    if loc is not None:
        assert detail[0]["loc"] == loc


# -- blocking -----------------------------------------------------------------------------------


def test_blocking_client_has_every_method(fake_mistral: FakeMistral) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        moderated = client.classifiers.moderate(model=MODERATION, inputs=["kill", "hi"])
        assert [r.flagged for r in moderated.results] == [True, False]
        chat = client.classifiers.moderate_chat(
            model=MODERATION, inputs=[{"role": "user", "content": "I hate you, racist"}]
        )
        assert chat.results[0].flagged_categories == ["hate_and_discrimination"]
        classified = client.classifiers.classify(model=CLASSIFIER, inputs="best day ever")
        assert classified.results[0]["sentiment"].label == "positive"
        chat_classified = client.classifiers.classify_chat(
            model=CLASSIFIER, inputs=[{"messages": [{"role": "user", "content": "how?"}]}]
        )
        assert chat_classified.results[0]["intent"].label == "question"
        with pytest.raises(mistral_async.InvalidParameterError):
            client.classifiers.moderate(model=MODERATION, inputs=[])
    paths = [r.path for r in fake_mistral.requests]
    assert paths == [
        "/v1/moderations",
        "/v1/chat/moderations",
        "/v1/classifications",
        "/v1/chat/classifications",
    ]


# -- example ------------------------------------------------------------------------------------


def test_moderation_example_runs(fake_mistral: FakeMistral) -> None:
    env = {
        **os.environ,
        "MISTRAL_API_KEY": fake_mistral.api_key,
        "MISTRAL_SERVER_URL": fake_mistral.url,
        "PYTHONPATH": str(REPO),
    }
    result = subprocess.run(
        [sys.executable, "-W", "error", str(REPO / "examples" / "moderation.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "BLOCKED  'I am going to kill you" in out
    assert "violence_and_threats" in out
    assert "ok       'Have a nice day!'" in out
    assert "conversation: flagged (pii)" in out
    assert {r.path for r in fake_mistral.requests} == {"/v1/moderations", "/v1/chat/moderations"}
