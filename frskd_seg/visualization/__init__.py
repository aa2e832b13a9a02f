from .attention_figure import (AttentionMaps, attention_figure,
                               compute_attention_maps)
from .training_curves import load_scalars, plot_training_curves

__all__ = [
    'AttentionMaps', 'attention_figure', 'compute_attention_maps',
    'load_scalars', 'plot_training_curves'
]
