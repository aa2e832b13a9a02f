# FRSKD ablation (the paper's): feature distillation only, no KD term.
_base_ = '../frskd_deeplab_voc.py'
model = dict(loss_kd=None)
