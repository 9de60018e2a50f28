"""Errors the services raise; views turn them into form errors, the API into 4xx JSON naming the field."""

from __future__ import annotations


class InvalidInput(ValueError):
    """Bad input: `field` names what is wrong (dotted for nested: `targets.2.text`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class Conflict(Exception):
    """The action does not fit the object's current state (e.g. editing a post being sent)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
