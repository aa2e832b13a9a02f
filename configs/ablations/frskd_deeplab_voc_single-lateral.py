# FRSKD ablation (the paper's): one lateral per level (the paper's text) instead
# of the official code's second bottom-up laterals.
_base_ = '../frskd_deeplab_voc.py'
model = dict(self_teacher=dict(bottom_up_laterals=False))
