# One image for web, worker and scheduler; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PROMETHEUS_MULTIPROC_DIR=/var/lib/tixxety/metrics

WORKDIR /app
RUN useradd --create-home --uid 1000 tixxety \
    && install -d -o tixxety -g tixxety /var/lib/tixxety/metrics

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Hashed, compressed static files for WhiteNoise. Only the build runs with the
# development key; the container refuses to start without a real SECRET_KEY.
RUN DEBUG=1 python manage.py collectstatic --noinput

USER tixxety
EXPOSE 8000
# deploy/serve.py: granian, port $PORT (8000), $WEB_CONCURRENCY workers (2), Prometheus' multiprocess bookkeeping.
CMD ["python", "deploy/serve.py"]
