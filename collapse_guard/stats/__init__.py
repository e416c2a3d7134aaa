"""Pure statistical functions for the checks: numpy/scipy in, numbers and small dataclasses out.

No file I/O, no configuration, no messages: a check turns these results into measurements. The one
exception to "arrays in" is ``coverage``, whose feature space is fitted on the profiles' pandas row
samples. Probability distributions come from ``distributions`` (on ``scipy.special``), because
importing ``scipy.stats`` or ``scipy.spatial`` at run time costs a noticeable share of a run.

Import the modules themselves (``from collapse_guard.stats.tails import ...``); this package
imports nothing, so that loading one module does not load the others.
"""
