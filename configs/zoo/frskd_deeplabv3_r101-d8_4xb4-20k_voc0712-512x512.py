# FRSKD on deeplabv3_r101-d8_4xb4-20k_voc0712-512x512.py (its baseline twin),
# with the recipe of ../_base_/frskd.py.
_base_ = ['./deeplabv3_r101-d8_4xb4-20k_voc0712-512x512.py', '../_base_/frskd.py']

model = dict(_base_.frskd_model)
val_evaluator = _base_.frskd_evaluator
test_evaluator = val_evaluator
