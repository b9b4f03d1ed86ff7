"""trialscope: a self-hostable ClinicalTrials.gov mirror, finder and matcher."""

from trialscope.errors import TrialscopeError

__version__ = "0.1.0"
__all__ = ["TrialscopeError", "__version__"]
