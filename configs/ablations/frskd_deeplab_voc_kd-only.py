# FRSKD ablation (the paper's): logit distillation only, no feature term: the
# recipe's KL without attention transfer.
_base_ = '../frskd_deeplab_voc.py'
model = dict(loss_feat=None)
