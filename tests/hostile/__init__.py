"""Hostile and broken input: every edge answered with a clear refusal, nothing half-stored."""
