# CPU demo of the paper's own model: configs/paper/frskd_effdet-d0_voc0712-
# 512x512.py (EfficientNet-B0, FPN + 3 BiFPN layers, a classifier on P2; the
# self-teacher 2 more BiFPN layers over the decoder's six outputs, its head a
# copy of the student's, its CE reaching the student, as the authors' code)
# at the scale of the CPU demo: the synthetic VOC-layout set of `make demo`,
# 128x128 crops, 2000 iterations of batch 4, poly LR, no pretrained weights,
# plain BN, the distillation schedule as fractions of the run (2/3 warm-up,
# 1/3 ramp-up). Student and self-teacher classify maps of the same stride
# (P2, stride 4): the self-teacher's lead cannot be one of resolution.
# tools/gain_study.py gives it its twin (the same config with EncoderDecoder).
_base_ = ['../paper/frskd_effdet-d0_voc0712-512x512.py']

data_root = 'data/voc0712_demo'
crop_size = (128, 128)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        efficientnet=dict(
            norm_cfg=dict(type='BN', requires_grad=True, eps=1e-3,
                          momentum=0.01),
            init_cfg=None)),
    neck=dict(norm_cfg=norm_cfg),
    decode_head=dict(norm_cfg=norm_cfg),
    self_teacher=dict(norm_cfg=norm_cfg),
    distill_schedule=dict(
        _delete_=True, type='DistillSchedule', warmup=2 / 3, rampup=1 / 3))

# the CPU demo's data (configs/demo/deeplab_r18_voc_demo.py)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(512, 128),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(512, 128), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(datasets=[
        dict(_base_.voc07_trainval, data_root=data_root,
             pipeline=train_pipeline),
        dict(_base_.voc12_trainval, data_root=data_root,
             pipeline=train_pipeline),
    ]))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 2000
optim_wrapper = dict(
    optimizer=dict(lr=0.05), accumulative_counts=1)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters // 2)
default_hooks = dict(
    logger=dict(interval=20, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=max_iters // 2))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
