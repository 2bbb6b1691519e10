"""Page tests: the integration suite's node fixtures (both engines) are available here."""

from integration.conftest import FixedClock, engine_kind, make_node, pair  # noqa: F401
from integration.test_order_services import nodes  # noqa: F401
