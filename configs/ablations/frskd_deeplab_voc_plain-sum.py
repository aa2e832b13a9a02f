# FRSKD ablation (the paper's): plain sums instead of fast normalized fusion.
_base_ = '../frskd_deeplab_voc.py'
model = dict(self_teacher=dict(weighted_fusion=False))
