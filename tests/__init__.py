"""Hydron's tests (a package, so test modules share helpers such as tests.unit.planning.factories).

The test bed they run against is the `hydron_testbed` package in operator/."""
