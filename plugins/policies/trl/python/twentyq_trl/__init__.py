"""twentyq's TRL backend: gradient steps for 20-Questions questioner policies (see ../../README.md)."""

__all__: list[str] = []
