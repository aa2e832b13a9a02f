# FRSKD ablation (the paper's): feature distillation only, no KD term -- since
# the paired study (docs/results.md) this is the recipe itself; kept so the
# ablation set stays the paper's.
_base_ = '../frskd_deeplab_voc.py'
model = dict(loss_kd=None)
