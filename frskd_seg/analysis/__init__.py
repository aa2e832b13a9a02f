from .benchmark import BenchmarkResult, benchmark
from .complexity import ComplexityReport, frskd_complexity, student_cost

__all__ = [
    'BenchmarkResult', 'ComplexityReport', 'benchmark', 'frskd_complexity',
    'student_cost'
]
