# FRSKD ablation (the paper's): logit distillation only, no feature term.
_base_ = '../frskd_deeplab_voc.py'
model = dict(loss_feat=None)
