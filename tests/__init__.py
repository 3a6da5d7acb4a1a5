"""Hydron's tests; a package so support code imports as `tests.support`."""
