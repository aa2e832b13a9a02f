# FRSKD on mmseg's DeepLabV3 ResNet-50-D8, VOC2007+2012 trainval -> VOC2007
# test: the baseline twin deeplab_voc.py plus the recipe of _base_/frskd.py
# (official placement downstream of the decoder and schedule; the KL at the
# input size, alpha 1, tau 1, and attention transfer, beta 100; self-teacher
# widths 128, 256, 512 and
# 256 (the width rule, max(32, c_1 / 2) on the finest level) over
# ResNet-50's levels 1..3 and the 512-channel ASPP map; its head a 1x1
# classifier on the finest refined level, its CE detached from the student,
# as the paired study chose).
_base_ = ['./deeplab_voc.py', './_base_/frskd.py']

model = dict(_base_.frskd_model)
val_evaluator = _base_.frskd_evaluator
test_evaluator = val_evaluator
