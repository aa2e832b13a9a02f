# FRSKD on DeepLabV3 R-50-D8, VOC07+12: the mmseg-style name of
# ../frskd_deeplab_voc.py.
_base_ = '../frskd_deeplab_voc.py'
