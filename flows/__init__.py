"""The conversation as data, and the engine that runs it: handle(inbound) -> list[Reply]."""
