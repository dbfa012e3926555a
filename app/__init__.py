"""Composition root and the `helpdesk` command line: the only package that imports all the others."""
