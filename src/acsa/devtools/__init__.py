"""Tools for developers: in-memory scenarios used by tests, benchmarks and the worked example."""
