"""Document libraries (beta): create one, upload documents, read their text, share it.

Agents search libraries with the ``document_library`` tool; this script manages one. Run it
with ``python examples/libraries.py`` (``MISTRAL_API_KEY`` and optionally
``MISTRAL_SERVER_URL`` set). It deletes the library it creates before it ends.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from mistral_async import AsyncMistral

FAQ = """# Product FAQ

## Refunds
Annual plans are refunded within 30 days of purchase.
\f## Support hours
Support answers from 9:00 to 18:00 CET, Monday to Friday.
"""
RELEASE_NOTES = b"v2.0: libraries, sharing and faster uploads.\n"
COLLEAGUE = "0f8fad5b-d9cb-469f-a165-70867728950e"  # a user of your organization


async def wait_until_processed(client: AsyncMistral, library_id: str, document_id: str) -> str:
    """Poll the document's status until its processing has ended; the final status."""
    delay = 0.1
    while True:
        status = await client.beta.libraries.documents.status(library_id, document_id)
        if status.processed:
            return status.process_status
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


async def main() -> None:
    async with AsyncMistral() as client:
        libraries = client.beta.libraries
        library = await libraries.create(name="Product docs", description="FAQ and release notes")
        print(f"Created library {library.name!r} ({library.id})")
        try:
            with tempfile.TemporaryDirectory() as folder:
                # A path is streamed from disk; bytes (or a file object, or an async iterator
                # of bytes) work too, with ``(filename, content)`` to name the document.
                path = Path(folder) / "faq.md"
                path.write_text(FAQ, encoding="utf-8")
                faq = await libraries.documents.upload(library.id, file=path)
            notes = await libraries.documents.upload(
                library.id, file=("release-notes.txt", RELEASE_NOTES)
            )
            print(f"Uploaded {faq.name}: {faq.process_status}")

            # Documents are searchable, and their text readable, once processed.
            for document in (faq, notes):
                final = await wait_until_processed(client, library.id, document.id)
                print(f"{document.name} is processed: {final}")
            page = await libraries.documents.text_content(
                library.id, faq.id, page_start=1, page_end=1
            )
            print(f"Page 1 of {faq.name}: {page.text.strip()!r}")

            names = [d.name async for d in libraries.documents.list(library.id, sort_by="name")]
            print("Documents:", ", ".join(sorted(names)))

            # Share the library with a colleague, read who has access, then unshare it.
            access = await libraries.accesses.update_or_create(
                library.id, level="Viewer", share_with_uuid=COLLEAGUE, share_with_type="User"
            )
            print(f"Shared with {access.share_with_uuid} as {access.role}")
            accesses = await libraries.accesses.list(library.id)
            print("Accesses:", ", ".join(a.role for a in accesses.data))
            await libraries.accesses.delete(
                library.id, share_with_uuid=COLLEAGUE, share_with_type="User"
            )
            accesses = await libraries.accesses.list(library.id)
            print("Accesses after unsharing:", ", ".join(a.role for a in accesses.data))
        finally:
            await libraries.delete(library.id)  # its documents go with it
            print("Deleted the library")


if __name__ == "__main__":
    asyncio.run(main())
