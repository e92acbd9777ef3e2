"""The API's resources: thin coroutine methods that build requests and return typed results."""
