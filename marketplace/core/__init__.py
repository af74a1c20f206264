"""Shared building blocks: database base, enums, errors, state machines, money and time."""
