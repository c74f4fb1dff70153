"""The `madoguchi` command: `app` assembles the commands each module of this package defines.

This file stays empty of imports: `channels.cli.settings` is imported by every command module, and a package
that imported its commands here would load all of them (and form a cycle) whenever one of them is imported.
"""
