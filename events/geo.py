"""Great-circle distances computed in the database (Haversine)."""

from django.db.models import F, FloatField, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


def haversine_km(lat: float, lng: float, lat_field: str, lng_field: str) -> Combinable:
    """An expression for the distance in km from (lat, lng) to the row's coordinates."""
    lat1, lng1 = (
        Radians(Value(lat, output_field=FloatField())),
        Radians(Value(lng, output_field=FloatField())),
    )
    lat2, lng2 = Radians(F(lat_field)), Radians(F(lng_field))
    a = Power(Sin((lat2 - lat1) / 2), 2) + Cos(lat1) * Cos(lat2) * Power(Sin((lng2 - lng1) / 2), 2)
    # Rounding can push `a` a hair above 1 for antipodes; ASin would then fail.
    return 2 * EARTH_RADIUS_KM * ASin(Sqrt(Least(a, Value(1.0))))
