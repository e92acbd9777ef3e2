"""Endpoint groups of the fake server, one module per API area.

Each public module here (name not starting with ``_``) exposes ``register(app: FakeApp)``;
:class:`~mistral_async.testing.FakeMistral` imports them all, in sorted order, when it is
constructed. See :mod:`mistral_async.testing._app` for the extension API and a worked
example. Modules starting with ``_`` hold helpers shared by several groups.
"""
