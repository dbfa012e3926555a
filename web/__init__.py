"""The browser side: the users' web chat and the operators' console, server-rendered with Jinja2 and htmx."""
