from .attention_figure import (AttentionMaps, attention_figure,
                               compute_attention_maps, shown_classes,
                               voc_ground_truth)
from .training_curves import load_scalars, plot_training_curves

__all__ = [
    'AttentionMaps', 'attention_figure', 'compute_attention_maps',
    'shown_classes', 'voc_ground_truth', 'load_scalars',
    'plot_training_curves'
]
