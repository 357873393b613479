"""django-prometheus' request figures, recorded at a fraction of its middleware's cost.

django-prometheus' middleware pair was about 4 % of a booking's instructions
(``bench/booking_cost.py``): each figure calls ``metric.labels(**kwargs)``,
which sorts the label names, converts each value and takes a lock, a dozen
times a request, and ``MiddlewareMixin`` adds its own dispatch. These two
record the same families on django-prometheus' own metric objects (so
``/metrics`` and its multiprocess export are unchanged), with each labelled
child looked up once per process (``tixxety.metric_children``). Keep them
where django-prometheus' were: the first middleware and the last.
"""

from time import perf_counter

from django_prometheus.middleware import Metrics

from tixxety.metric_children import child

HTTP_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PATCH"))


class RequestMetricsBeforeMiddleware:
    """As django-prometheus' ``PrometheusBeforeMiddleware``: requests, responses, total latency."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.metrics = Metrics.get_instance()

    def __call__(self, request):
        metrics = self.metrics
        metrics.requests_total.inc()
        started = perf_counter()
        response = self.get_response(request)
        metrics.responses_total.inc()
        metrics.requests_latency_before.observe(perf_counter() - started)
        return response


class RequestMetricsAfterMiddleware:
    """As django-prometheus' ``PrometheusAfterMiddleware``: figures by method, view and status."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.metrics = Metrics.get_instance()

    def __call__(self, request):
        metrics = self.metrics
        method = _method(request)
        child(metrics.requests_by_method, method).inc()
        child(metrics.requests_by_transport, _transport(request)).inc()
        if request.headers.get("x-requested-with") == "XMLHttpRequest":
            metrics.requests_ajax.inc()
        metrics.requests_body_bytes.observe(_content_length(request))
        started = perf_counter()
        response = self.get_response(request)
        view = _view_name(request)
        status = str(response.status_code)
        child(metrics.responses_by_status, status).inc()
        child(metrics.responses_by_status_view_method, status, view, method).inc()
        if hasattr(response, "charset"):
            child(metrics.responses_by_charset, str(response.charset)).inc()
        if getattr(response, "streaming", False):
            metrics.responses_streaming.inc()
        else:
            metrics.responses_body_bytes.observe(len(response.content))
        # django-prometheus labels this one with the raw method, invalid ones included.
        child(metrics.requests_latency_by_view_method, view, request.method).observe(perf_counter() - started)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        view = request.resolver_match.view_name or "<unnamed view>"
        child(
            self.metrics.requests_by_view_transport_method, view, _transport(request), _method(request)
        ).inc()

    def process_template_response(self, request, response):
        if hasattr(response, "template_name"):
            child(self.metrics.responses_by_templatename, str(response.template_name)).inc()
        return response

    def process_exception(self, request, exception):
        child(self.metrics.exceptions_by_type, type(exception).__name__).inc()
        if getattr(request, "resolver_match", None) is not None:
            child(self.metrics.exceptions_by_view, request.resolver_match.view_name or "<unnamed view>").inc()


def _method(request) -> str:
    return request.method if request.method in HTTP_METHODS else "<invalid method>"


def _transport(request) -> str:
    return "https" if request.is_secure() else "http"


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None and match.view_name is not None else "<unnamed view>"


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
