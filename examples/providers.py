"""Mistral models on Azure AI Foundry and Google Cloud Vertex AI.

``AsyncMistralAzure`` and ``AsyncMistralGCP`` have the resources of ``AsyncMistral``
(``chat``, ``fim`` on Vertex, ``ocr``) with the same parameters, types, streams, retries and
errors; only where requests go and how they are authenticated differ.

- Azure: set ``AZURE_ENDPOINT`` (the resource URL, or the Target URI pasted from the portal)
  and ``AZURE_API_KEY``; ``AZURE_CHAT_MODEL`` / ``AZURE_OCR_MODEL`` name your deployments.
- Vertex AI: set ``GOOGLE_CLOUD_PROJECT`` and ``GOOGLE_CLOUD_REGION``; tokens come from
  Application Default Credentials (``gcloud auth application-default login``, needs
  ``pip install 'mistral-async[gcp]'``).

Without those variables, each part runs against the SDK's embedded fake server, offline:
``python examples/providers.py``.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import ExitStack

from mistral_async import AsyncMistralAzure, AsyncMistralGCP, MistralAzure
from mistral_async.testing import DEFAULT_AZURE_API_KEY, DEFAULT_GCP_TOKEN, FakeMistral

MESSAGES = [{"role": "user", "content": "Name a French painter"}]
PAPER = {"type": "document_url", "document_url": "https://arxiv.org/pdf/2201.04234"}


def azure_client(fake: FakeMistral | None) -> AsyncMistralAzure:
    if fake is None:  # AZURE_ENDPOINT and AZURE_API_KEY are read from the environment
        return AsyncMistralAzure()
    # The fake serves Azure Foundry's paths at its root; its host does not tell the family.
    return AsyncMistralAzure(
        endpoint=f"{fake.url}/models/chat/completions",  # a pasted Target URI works too
        api_key=DEFAULT_AZURE_API_KEY,
        api_family="foundry",
    )


def gcp_client(fake: FakeMistral | None) -> AsyncMistralGCP:
    if fake is None:  # project, region and credentials from the environment (ADC)
        return AsyncMistralGCP()
    return AsyncMistralGCP(
        project_id="my-project",
        region="europe-west4",
        access_token=DEFAULT_GCP_TOKEN,  # a string, or a function returning a fresh token
        server_url=fake.url,
    )


async def on_azure(fake: FakeMistral | None) -> None:
    chat_model = os.environ.get("AZURE_CHAT_MODEL", "mistral-medium-2505")
    ocr_model = os.environ.get("AZURE_OCR_MODEL", "mistral-ocr-2505")
    async with azure_client(fake) as azure:
        print(f"Azure ({azure.api_family}, api-version {azure.api_version})")
        reply = await azure.chat.complete(model=chat_model, messages=MESSAGES, max_tokens=64)
        print("  chat:", reply.choices[0].message.text)
        async with azure.chat.stream(model=chat_model, messages=MESSAGES) as stream:
            streamed = "".join([chunk.choices[0].delta.text async for chunk in stream])
        print("  streamed:", streamed)
        pages = await azure.ocr.process(model=ocr_model, document=PAPER, pages=[0])
        print("  ocr pages:", len(pages.pages))


async def on_vertex(fake: FakeMistral | None) -> None:
    async with gcp_client(fake) as gcp:
        print(f"Vertex AI ({gcp.region})")
        reply = await gcp.chat.complete(model="mistral-small-2503", messages=MESSAGES)
        print("  chat:", reply.choices[0].message.text)
        code = await gcp.fim.complete(model="codestral-2501", prompt="def fib(n):", suffix="")
        print("  fim:", (code.choices[0].message.text or "").strip())
        pages = await gcp.ocr.process(model="mistral-ocr-2505", document=PAPER, pages=[0])
        print("  ocr pages:", len(pages.pages))


def blocking_azure(fake: FakeMistral | None) -> None:
    # The blocking twin takes the same arguments as the async client.
    if fake is None:
        client = MistralAzure()
    else:
        client = MistralAzure(
            endpoint=fake.url, api_key=DEFAULT_AZURE_API_KEY, api_family="foundry"
        )
    with client:
        model = os.environ.get("AZURE_CHAT_MODEL", "mistral-medium-2505")
        reply = client.chat.complete(model=model, messages=MESSAGES)
        print("Blocking Azure chat:", reply.choices[0].message.text)


def main() -> None:
    with ExitStack() as stack:
        fake_azure = fake_gcp = None
        if not os.environ.get("AZURE_ENDPOINT"):
            fake_azure = stack.enter_context(FakeMistral())
        if not os.environ.get("GOOGLE_CLOUD_PROJECT"):
            fake_gcp = fake_azure or stack.enter_context(FakeMistral())
        asyncio.run(on_azure(fake_azure))
        asyncio.run(on_vertex(fake_gcp))
        blocking_azure(fake_azure)


if __name__ == "__main__":
    main()
