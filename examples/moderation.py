"""Moderation: screen user texts, and a whole conversation, before they reach your app.

Run it with ``python examples/moderation.py`` (``MISTRAL_API_KEY`` and optionally
``MISTRAL_SERVER_URL`` set).
"""

from __future__ import annotations

import asyncio

from mistral_async import AsyncMistral
from mistral_async.types import AssistantMessage, MessageParam, UserMessage

MODEL = "mistral-moderation-latest"
TEXTS = [
    "I am going to kill you if you do that again.",
    "Have a nice day!",
]


async def main() -> None:
    async with AsyncMistral() as client:
        # One request moderates every text; ``results[i]`` is the verdict on ``TEXTS[i]``.
        response = await client.classifiers.moderate(model=MODEL, inputs=TEXTS)
        for text, result in zip(TEXTS, response.results, strict=True):
            # ``categories`` says which categories are flagged; ``category_scores`` how sure
            # the model is, from 0 to 1. Category names are open-ended strings.
            if result.flagged:
                worst = max(result.category_scores, key=result.category_scores.__getitem__)
                details = ", ".join(result.flagged_categories)
                print(f"BLOCKED  {text!r} ({details}; top score {worst})")
            else:
                print(f"ok       {text!r}")

        # Chat moderation looks at a conversation as a whole: here the user shares
        # personal data in the last turn.
        conversation: list[MessageParam] = [
            UserMessage("Can you help me fill in a form?"),
            AssistantMessage("Sure, what do you need?"),
            {"role": "user", "content": "My e-mail is jane.doe@example.com."},
        ]
        chat = await client.classifiers.moderate_chat(model=MODEL, inputs=conversation)
        verdict = chat.results[0]
        state = f"flagged ({', '.join(verdict.flagged_categories)})" if verdict.flagged else "ok"
        print(f"conversation: {state}")


if __name__ == "__main__":
    asyncio.run(main())
