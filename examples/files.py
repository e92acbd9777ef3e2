"""Files: upload, list, read, download, share with a signed URL, and delete.

Run it with ``python examples/files.py`` (``MISTRAL_API_KEY`` and optionally
``MISTRAL_SERVER_URL`` set). It uploads two small files and deletes them at the end.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from mistral_async import AsyncMistral

# A fine-tuning file is JSONL: one training conversation per line.
CONVERSATIONS = [
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
    [{"role": "user", "content": "2 + 2?"}, {"role": "assistant", "content": "4"}],
    [{"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Goodbye!"}],
]


async def main() -> None:
    async with AsyncMistral() as client, asyncio.timeout(120):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "training.jsonl"
            path.write_text("".join(json.dumps({"messages": c}) + "\n" for c in CONVERSATIONS))

            # A path is streamed from disk; the name and type come from the path.
            training = await client.files.upload(file=path, purpose="fine-tune")
            print(
                f"Uploaded {training.filename}: {training.bytes} bytes, {training.num_lines} lines"
            )
            # Bytes (or a binary file object, or an async iterator of bytes) with a name.
            requests = (
                b'{"custom_id": "0", "body": {"messages": [{"role": "user", "content": "Hi"}]}}\n'
            )
            batch_input = await client.files.upload(
                file=("requests.jsonl", requests), purpose="batch"
            )
            print(f"Uploaded {batch_input.filename} as {batch_input.sample_type}")

            # ``await`` a list for one page; ``async for`` walks every page.
            page = await client.files.list(page_size=10, purpose="fine-tune")
            print(f"Fine-tuning files: {page.total}")
            async for file in client.files.list(search="requests"):
                print(f"Found {file.filename} ({file.purpose}, {file.mimetype})")

            info = await client.files.retrieve(training.id)
            print(f"Retrieved {info.filename}, created at {info.created_at}")

            # Downloads are streamed: write to a file in constant memory, or iterate chunks.
            copy = Path(tmp) / "copy.jsonl"
            async with await client.files.download(training.id) as body:
                size = await body.write_to(copy)
            print(f"Downloaded {size} bytes, identical: {copy.read_bytes() == path.read_bytes()}")

            # A URL to fetch the file without the API key, valid for one hour.
            signed = await client.files.get_signed_url(training.id, expiry=1)
            print(f"Signed URL: {signed.url.split('?')[0]}?...")

            for file in (training, batch_input):
                deleted = await client.files.delete(file.id)
                print(f"Deleted {file.filename}: {deleted.deleted}")


if __name__ == "__main__":
    asyncio.run(main())
