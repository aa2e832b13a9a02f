from .private_random import PrivateRandomState
from .samplers import MultiSourceSampler
from .synthetic_voc import (VOC_CLASSES, SplitSizes, make_scene,
                            make_synthetic_voc0712, voc_palette)
from .voc_unlabeled import VOCUnlabeledDataset

__all__ = [
    'VOC_CLASSES', 'SplitSizes', 'make_scene', 'make_synthetic_voc0712',
    'voc_palette', 'VOCUnlabeledDataset', 'MultiSourceSampler',
    'PrivateRandomState'
]
