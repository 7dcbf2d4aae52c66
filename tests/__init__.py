"""The project's tests (a package, so that `tests.conftest` is ours, not a dependency's)."""
