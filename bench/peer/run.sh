#!/bin/sh
# Start the FastAPI + SQLAlchemy peer (bench/peer/app.py) the way such a service runs:
# uvicorn, 2 workers. Its dependencies go in a venv of its own (bench/peer/.venv), never the app's.
#   PEER_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tixxety_bench bench/peer/run.sh 8151
set -e
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$here/.venv/bin/uvicorn" ]; then
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install -q -r "$here/requirements.txt"
fi
exec "$here/.venv/bin/uvicorn" --app-dir "$here" app:app --host 127.0.0.1 --port "${1:-8151}" \
    --workers 2 --no-access-log --log-level warning
