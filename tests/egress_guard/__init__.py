"""The test suite's network guard (sitecustomize.py: its docstring says how it works)."""
