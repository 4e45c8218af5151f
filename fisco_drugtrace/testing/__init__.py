"""Test support for projects that build on fisco-drugtrace: the pytest plugin
(:mod:`fisco_drugtrace.testing.pytest_plugin`, loaded automatically through the ``pytest11``
entry point once the package is installed)."""

__all__: list[str] = []
