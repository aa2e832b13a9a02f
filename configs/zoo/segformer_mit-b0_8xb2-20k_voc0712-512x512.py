# Baseline twin of frskd_segformer_mit-b0_8xb2-20k_voc0712-512x512.py
# (identical but for FRSKD): mmseg's segformer_mit-b0 on VOC2007+2012 trainval
# -> VOC2007 test, 512x512, 20k iterations.
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', '../_base_/datasets/voc0712.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_20k.py',
    '../_base_/frskd_runtime.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmsegmentation/v0.5/'
            'pretrain/segformer/mit_b0_20220624-7e0fe6dd.pth')),
    decode_head=dict(num_classes=21))
# mmseg's SegFormer optimisation (segformer_mit-b0_8xb2-160k_ade20k-512x512),
# on the 20k schedule
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys={
            'pos_block': dict(decay_mult=0.),
            'norm': dict(decay_mult=0.),
            'head': dict(lr_mult=10.)
        }))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(
        type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=20000,
        by_epoch=False)
]
train_dataloader = dict(batch_size=2, num_workers=2)
