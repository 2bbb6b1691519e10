"""``python -m acsa`` runs the command line."""

from acsa.cli import main

main()
