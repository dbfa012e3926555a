"""`python -m app` is the `helpdesk` command."""

from app.cli import main

main()
