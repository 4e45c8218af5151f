"""Project-wide test configuration.

Hypothesis profiles: ``ci`` (default; bounded so the whole suite stays well inside CI's time) and
``thorough`` (``HYPOTHESIS_PROFILE=thorough``) for longer local runs.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
