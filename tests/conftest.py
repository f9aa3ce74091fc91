"""Shared test configuration: hypothesis profiles.

The property-based tests (tests/test_fuzz.py) run a bounded number of
examples by default so the suite stays fast. Select a longer search with::

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py

Profiles:

- ``default``: 30 examples per test, no deadline (a first fit pays for
  imports and BLAS warm-up, so timings are not stable enough for one).
- ``long``: 1000 examples per test, for a thorough search before a release
  or after touching input validation or the training loop.
- ``ci``: as ``default`` but derandomized, for a reproducible run; the
  default when the ``CI`` environment variable is set.
"""

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    # Estimators are built inside the tests from drawn parameters; the data
    # strategies are composite and sometimes filter (a few rows per class).
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}

settings.register_profile("default", max_examples=30, **_COMMON)
settings.register_profile("ci", max_examples=30, derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=1000, **_COMMON)
# CI (which sets CI=true) runs the reproducible profile unless told otherwise.
_DEFAULT = "ci" if os.environ.get("CI") else "default"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _DEFAULT))
