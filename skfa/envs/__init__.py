"""Small, exact, vectorised control problems."""

from ._car_on_hill import CarOnHill

__all__ = ["CarOnHill"]
