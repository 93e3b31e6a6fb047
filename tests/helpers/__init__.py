"""Helpers shared by test files: fakes, fixture data and the CLI runner. Test files import
from here (or get fixtures from a conftest.py), never from one another."""
