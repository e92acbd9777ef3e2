"""A chat completion with the blocking client, for scripts and code without ``async``.

Run it with ``python examples/sync_chat.py`` (``MISTRAL_API_KEY`` and optionally
``MISTRAL_SERVER_URL`` set). ``Mistral`` has the same constructor and methods as
``AsyncMistral``; it runs them on an event loop in a background thread.
"""

from __future__ import annotations

from mistral_async import Mistral
from mistral_async.types import ChatCompletionResponse, UserMessage

MODEL = "mistral-small-latest"


def main() -> None:
    # ``with`` closes the connections and stops the client's background thread.
    with Mistral() as client:
        response: ChatCompletionResponse = client.chat.complete(
            model=MODEL,
            messages=[UserMessage(content="Tell me a fun fact about octopuses.")],
        )
        print("Answer:", response.choices[0].message.text)
        if response.usage is not None:
            print("Total tokens:", response.usage.total_tokens)

        # Every other call works the same way, e.g. a code model with plain dict messages.
        code = client.chat.complete(
            model="codestral-latest",
            messages=[{"role": "user", "content": "Reverse a list in Python."}],
            max_tokens=200,
        )
        print("Codestral:", code.choices[0].message.text)


if __name__ == "__main__":
    main()
