"""How fast a model answers: TTFT, output speed, TPOT and behaviour under load.

See PROTOCOLS.md (Speed) for the definitions and docs/VALIDATION-speed.md for how the numbers
were checked against a llama.cpp server's own timings.
"""

from bakeoff.speed.metrics import Distribution, RequestMetrics, RequestTimes, request_metrics
from bakeoff.speed.summary import LevelSummary, ModelSpeed, SpeedSummary, speed_summary
from bakeoff.speed.sweep import SpeedSettings
from bakeoff.speed.workloads import WORKLOAD_TOKENS

__all__ = ["WORKLOAD_TOKENS", "Distribution", "LevelSummary", "ModelSpeed", "RequestMetrics",
           "RequestTimes", "SpeedSettings", "SpeedSummary", "request_metrics", "speed_summary"]
