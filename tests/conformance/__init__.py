"""Spec-conformance tests of the SDK against the Mistral OpenAPI spec (see README.md)."""
