"""``python -m acsa.i18n [check|update|compile]``: see :mod:`acsa.i18n.catalogues`."""

import sys

from acsa.i18n.catalogues import main

raise SystemExit(main(sys.argv[1:]))
