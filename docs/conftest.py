"""The docs folder holds Markdown pages whose ``>>>`` examples run as tests, and the
Sphinx configuration and extensions, which are not tests."""

collect_ignore = ["conf.py"]
collect_ignore_glob = ["_build/*", "_ext/*"]
