"""Agents: create one, make versions of it, name a version with an alias, list and delete.

Run it with ``python examples/beta_agents.py``. The key comes from ``MISTRAL_API_KEY`` and
the server from ``MISTRAL_SERVER_URL`` when set (see examples/README.md to try it against
the local fake server). The last part uses the blocking ``Mistral`` client.
"""

from __future__ import annotations

import asyncio

from mistral_async import AsyncMistral, Mistral
from mistral_async.types.beta_agents import CompletionArgs, FunctionTool, WebSearchTool
from mistral_async.types.chat import Function

MODEL = "mistral-small-latest"


async def main() -> None:
    async with AsyncMistral() as client:
        agents = client.beta.agents

        # Tools are typed objects (or plain dicts); so are the completion arguments.
        agent = await agents.create(
            model=MODEL,
            name="Travel helper",
            instructions="Answer in one sentence.",
            tools=[
                WebSearchTool(),
                FunctionTool(
                    function=Function(
                        name="get_weather",
                        parameters={"type": "object", "properties": {"city": {"type": "string"}}},
                    )
                ),
            ],
            completion_args=CompletionArgs(temperature=0.3),
        )
        print(f"Created agent {agent.id} (version {agent.version})")
        print("Tools:", ", ".join(type(tool).__name__ for tool in agent.tools))

        # Every update makes a new version and makes it the current one.
        agent = await agents.update(agent.id, instructions="Answer in two sentences.")
        print(f"Current version: {agent.version} of {agent.versions}")

        # An alias names a version; use it wherever a version is asked for.
        await agents.create_version_alias(agent.id, alias="prod", version=0)
        prod = await agents.get(agent.id, agent_version="prod")
        print(f"Alias prod -> version {prod.version}: {prod.instructions}")

        # Listing: ``async for`` walks every page; ``await`` gives one page.
        async for version in agents.list_versions(agent.id):
            print(f"  version {version.version}: {version.instructions}")
        async for listed in agents.list_pages(page_size=10):
            print("Listed:", listed.name)

        await agents.delete(agent.id)
        print("Deleted", agent.id)


def blocking() -> None:
    # The blocking client has the same methods, without ``await``.
    with Mistral() as client:
        first = client.beta.agents.create(model=MODEL, name="Sync one")
        second = client.beta.agents.create(model=MODEL, name="Sync two")
        names = [agent.name for agent in client.beta.agents.list() if agent.name.startswith("Sync")]
        print(f"Sync: {len(names)} agents ({', '.join(names)})")
        for agent in (first, second):
            client.beta.agents.delete(agent.id)


if __name__ == "__main__":
    asyncio.run(main())
    blocking()
