"""One factory per model, a module per area; import them all from ``tests.factories``."""

from tests.factories.api import *  # noqa: F403
from tests.factories.incidents import *  # noqa: F403
from tests.factories.notifications import *  # noqa: F403
from tests.factories.oncall import *  # noqa: F403
from tests.factories.people import *  # noqa: F403
from tests.factories.postmortems import *  # noqa: F403
from tests.factories.reports import *  # noqa: F403
from tests.factories.swaps import *  # noqa: F403
