"""``/metrics`` for the monitoring system only.

The Prometheus page names every route with its traffic, latencies and errors,
and the database's and cache's figures: nothing for the public. Two settings
restrict it (README, "Configuration"): ``METRICS_ALLOWED_NETWORKS``, the
client networks it answers (``*`` for any; production defaults to loopback),
and ``METRICS_TOKEN``, which when set must also come as
``Authorization: Bearer <token>``. The client is the socket's address
(``REMOTE_ADDR``), never ``X-Forwarded-For``: a made-up header must not open it.
"""

import hmac
import ipaddress
import logging

from django.conf import settings
from django.http import JsonResponse
from django_prometheus.exports import ExportToDjangoView

logger = logging.getLogger(__name__)


def metrics_view(request):
    if not (_from_allowed_network(request) and _has_token(request)):
        logger.warning("Refused /metrics to %s", request.META.get("REMOTE_ADDR") or "an unknown address")
        body = {"detail": "Metrics are not available to this client.", "code": "permission_denied"}
        return JsonResponse(body, status=403)
    return ExportToDjangoView(request)


def _from_allowed_network(request) -> bool:
    networks = settings.METRICS_ALLOWED_NETWORKS
    if "*" in networks:
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:  # a Unix socket has no address
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


def _has_token(request) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), token.encode())
