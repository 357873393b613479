# Before any module creates a Prometheus metric (see tixxety.multiprocess_metrics).
from tixxety.multiprocess_metrics import use_host_qualified_ids

use_host_qualified_ids()
