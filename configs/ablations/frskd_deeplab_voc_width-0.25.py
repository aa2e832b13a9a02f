# FRSKD ablation (the paper's): a wider self-teacher (0.25 x the backbone's channels).
_base_ = '../frskd_deeplab_voc.py'
model = dict(self_teacher=dict(width_ratio=0.25))
