from .synthetic_voc import (VOC_CLASSES, SplitSizes, make_scene,
                            make_synthetic_voc0712, voc_palette)

__all__ = [
    'VOC_CLASSES', 'SplitSizes', 'make_scene', 'make_synthetic_voc0712',
    'voc_palette'
]
