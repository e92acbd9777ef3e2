"""Sessions: tests, lint, typecheck, demo and bench. ``nox -l`` lists them."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"


@nox.session
@nox.parametrize("json", ["stdlib", "orjson"])
def tests(session: nox.Session, json: str) -> None:
    """The whole test suite, with the standard library's JSON and with orjson."""
    session.install("-e", ".[test,fast]" if json == "orjson" else ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install(RUFF)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, and on the examples as users' code would be checked."""
    session.install(MYPY, "-e", ".[test,fast]")
    session.run("mypy", "--strict", "mistral_async")
    session.run("mypy", "--strict", "examples")


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate the spec-driven code (types, resources, fake-server digest, stubs, API
    reference) from tests/conformance/spec and scripts/{operations,types}.tsv."""
    session.install("-e", ".[test]")
    session.run("python", "scripts/generate.py", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The demo: the real API when MISTRAL_API_KEY is set, else the embedded fake server."""
    session.install(".")
    session.run("python", "-m", "mistral_async", "demo")


BENCH_DEPS = ("-e", ".[fast,otel]", "mistralai", "opentelemetry-sdk")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with raw aiohttp and the official SDK, then the features
    beside their baselines (see benchmarks/). Arguments go to the peer benchmarks."""
    session.install(*BENCH_DEPS)
    session.run("python", "-m", "benchmarks", *session.posargs)
    session.run("python", "-m", "benchmarks.features")


@nox.session(name="bench-features")
def bench_features(session: nox.Session) -> None:
    """Only the feature benchmarks (``-- --only cache,tracing --quick``)."""
    session.install(*BENCH_DEPS)
    session.run("python", "-m", "benchmarks.features", *session.posargs)
