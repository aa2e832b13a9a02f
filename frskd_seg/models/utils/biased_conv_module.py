"""Conv-norm-activation blocks whose conv keeps its bias."""
import warnings

from mmcv.cnn import ConvModule


def biased_conv_module(*args, **kwargs) -> ConvModule:
    """``ConvModule(*args, bias=True, **kwargs)`` without mmcv's warning that
    a bias before a norm layer is unnecessary: the authors' segmentation
    model has these biases, and they are kept so that its layers have the
    official parameter counts."""
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', 'Unnecessary conv bias')
        return ConvModule(*args, bias=True, **kwargs)
