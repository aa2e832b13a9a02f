from .efficientdet_seg_head import EfficientDetSegHead

__all__ = ['EfficientDetSegHead']
