"""Knowledge base: FAQ files that maintainers own, their schema, loader and linter, and the matcher."""
