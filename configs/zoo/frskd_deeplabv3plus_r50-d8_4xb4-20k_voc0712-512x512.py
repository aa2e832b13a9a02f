# FRSKD on deeplabv3plus_r50-d8_4xb4-20k_voc0712-512x512.py (its baseline
# twin), with the recipe of ../_base_/frskd.py: the self-teacher refines
# levels 1..3 and the DeepLabV3+ head's map (stride 4, after its low-level
# fusion).
_base_ = ['./deeplabv3plus_r50-d8_4xb4-20k_voc0712-512x512.py', '../_base_/frskd.py']

model = dict(_base_.frskd_model)
val_evaluator = _base_.frskd_evaluator
test_evaluator = val_evaluator
