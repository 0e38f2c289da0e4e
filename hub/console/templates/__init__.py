"""Jinja2 templates of the handler console (a package so that setuptools ships the *.html files)."""
