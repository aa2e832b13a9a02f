# Baseline twin of frskd_deeplabv3_r50-d8_4xb4-20k_voc0712-512x512.py: the
# mmseg-style name of ../deeplab_voc.py.
_base_ = '../deeplab_voc.py'
