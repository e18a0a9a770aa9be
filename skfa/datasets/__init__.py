"""Logged-transition data sets built on :mod:`skfa.envs`."""

from ._car_on_hill import make_car_on_hill_transitions

__all__ = ["make_car_on_hill_transitions"]
