"""The web app and JSON API served by ``trialscope serve``."""

from trialscope.web.app import create_app

__all__ = ["create_app"]
