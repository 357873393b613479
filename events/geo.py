"""Great-circle distances computed in the database (Haversine)."""

from django.db.models import Case, F, FloatField, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Abs, ASin, Cos, Least, Radians, Sin, Sqrt
from django.db.models.lookups import GreaterThan

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
# Below this a squared half-angle sine underflows a double, which PostgreSQL reports as an
# error ("value out of range: underflow") instead of rounding to 0. 1e-150 rad is ~1e-141 m.
NEGLIGIBLE = 1e-150


def haversine_km(lat: float, lng: float, lat_field: str, lng_field: str) -> Combinable:
    """An expression for the distance in km from (lat, lng) to the row's coordinates."""
    lat1, lng1 = (
        Radians(Value(lat, output_field=FloatField())),
        Radians(Value(lng, output_field=FloatField())),
    )
    lat2, lng2 = Radians(F(lat_field)), Radians(F(lng_field))
    a = _squared(Sin((lat2 - lat1) / 2)) + Cos(lat1) * Cos(lat2) * _squared(Sin((lng2 - lng1) / 2))
    # Rounding can push `a` a hair above 1 for antipodes; ASin would then fail.
    return 2 * EARTH_RADIUS_KM * ASin(Sqrt(Least(a, Value(1.0))))


def _squared(value: Combinable) -> Combinable:
    """``value²``, taken as 0 when ``value`` is too small to square (near-identical coordinates)."""
    return Case(
        When(GreaterThan(Abs(value), NEGLIGIBLE), then=value * value),
        default=Value(0.0),
        output_field=FloatField(),
    )
