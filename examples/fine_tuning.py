"""Fine-tuning: upload training data, estimate the cost, train a model, follow it, use it.

Run it with ``python examples/fine_tuning.py`` (``MISTRAL_API_KEY`` and optionally
``MISTRAL_SERVER_URL`` set). A real job takes minutes to hours, and costs money: the script
polls every ``POLL_INTERVAL`` seconds (10 by default). Against the fake server the job
finishes after a handful of polls, so ``POLL_INTERVAL=0.05`` is plenty there.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from mistral_async import AsyncMistral
from mistral_async.types.fine_tuning import DetailedFineTuningJob, FineTuningJobError

MODEL = "mistral-small-latest"
POLL_INTERVAL = float(os.environ.get("POLL_INTERVAL", "10"))

# Chat samples, one JSON object per line: the conversations the model should learn from.
SAMPLES = [
    ("How do I reset my password?", "Open Settings > Security and choose 'Reset password'."),
    ("Can I change my plan?", "Yes: Settings > Billing > Change plan, at any time."),
    ("Where are my invoices?", "Under Settings > Billing > Invoices, as PDF files."),
]


def training_data() -> bytes:
    """The samples as JSONL, the format fine-tuning files use."""
    lines = [
        json.dumps(
            {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
        )
        for q, a in SAMPLES
    ]
    return ("\n".join(lines) + "\n").encode()


def show_progress(job: DetailedFineTuningJob) -> None:
    """Called by ``wait`` whenever the status, the events or the checkpoints change."""
    line = f"  {job.status}"
    if job.checkpoints:
        latest = job.checkpoints[-1]
        line += f" (step {latest.step_number}, train loss {latest.metrics.train_loss})"
    print(line)


async def main() -> int:
    async with AsyncMistral() as client:
        uploaded = await client.files.upload(
            file=("support.jsonl", training_data()), purpose="fine-tune"
        )
        print(f"Uploaded {uploaded.filename} ({uploaded.bytes} bytes)")

        job_params: dict[str, Any] = {
            "model": MODEL,
            "training_files": [uploaded.id],
            "hyperparameters": {"training_steps": 10, "learning_rate": 1e-4},
            "suffix": "support",
        }
        # A dry run creates nothing: it tells what the job would cost.
        estimate = await client.fine_tuning.jobs.create(**job_params, dry_run=True)
        print(f"Estimate: {estimate.train_tokens} tokens, {estimate.cost} {estimate.cost_currency}")

        created = await client.fine_tuning.jobs.create(**job_params)
        print(f"Created job {created.id}: {created.status}")

        try:
            # ``wait`` returns once the job succeeded; a failed or cancelled job raises.
            job = await client.fine_tuning.jobs.wait(
                created.id, poll_interval=POLL_INTERVAL, timeout=4 * 3600, on_progress=show_progress
            )
        except FineTuningJobError as exc:
            print(f"The job ended {exc.status}: {exc.reason}", file=sys.stderr)
            return 1

        model = job.fine_tuned_model
        assert model is not None  # set on every successful job
        print(f"Fine-tuned model: {model}")

        answer = await client.chat.complete(
            model=model, messages=[{"role": "user", "content": "Can I change my plan?"}]
        )
        print("Answer:", answer.choices[0].message.text)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
