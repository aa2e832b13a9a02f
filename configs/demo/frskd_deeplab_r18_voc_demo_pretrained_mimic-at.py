# A candidate of the screen in docs/results_lead_transfer_rule.md: the
# default's terms plus feature mimicking beside attention transfer (the
# decoder's map through a 1x1 connector, MSE towards the self-teacher's T1).
_base_ = './frskd_deeplab_r18_voc_demo_pretrained.py'

model = dict(loss_feat=[
    dict(type='AttentionTransferLoss', p=2, loss_weight=100.0),
    dict(type='FeatureMimicLoss', loss_weight=1.0)
])
