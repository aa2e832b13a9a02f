from .complexity import ComplexityReport, frskd_complexity

__all__ = ['ComplexityReport', 'frskd_complexity']
