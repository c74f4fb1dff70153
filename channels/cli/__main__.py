"""`python -m channels.cli`: the same command as the installed `madoguchi`."""

from channels.cli.app import main

main()
