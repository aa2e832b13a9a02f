# FRSKD on mmseg's DeepLabV3 ResNet-50-D8, VOC2007+2012 trainval -> VOC2007
# test: the baseline twin deeplab_voc.py plus the recipe of _base_/frskd.py
# (official tau, alpha, beta and schedule; self-teacher widths 32..256 and a
# 128-channel ASPP teacher head, chosen so the self-teacher stays small).
_base_ = ['./deeplab_voc.py', './_base_/frskd.py']

model = dict(_base_.frskd_model)
