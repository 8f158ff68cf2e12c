"""pytest plugin for MockIdP: a session-wide mock identity provider and the conformance suite as tests."""
from .server import MockIdP, MockIdPError, find_binary

__all__ = ["MockIdP", "MockIdPError", "find_binary"]
