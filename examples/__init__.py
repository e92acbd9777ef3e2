"""Runnable examples of mistral_async (a package so ``uvicorn examples.fastapi_app:app`` works)."""
