# The paper's segmentation model and schedule (FRSKD, CVPR 2021, Table 6:
# VOC2007+2012 trainval -> VOC2007 test), without FRSKD: the baseline twin of
# frskd_effdet-d0_voc0712-512x512.py, from the authors' segmentation code
# (MingiJi/FRSKD segmentation/{main.py,utils/efficientdet.py,utils/BiFPN.py}).
#
# Model (EfficientDet-d0 style): EfficientNet-B0 read after blocks 1, 3, 5
# and 15 (24, 40, 80, 320 channels at strides 4, 8, 16, 32); FPN top-down
# with two extra stride-2 levels (P2..P7, 64 channels); 3 BiFPN layers of
# per-channel 1x1 nodes; a 3x3 conv-BN-ReLU (256) + 3x3 classifier on P2.
# Schedule: 60 epochs, batch 32, SGD momentum 0.9, weight decay 5e-4, lr 0.01
# then 0.001 from epoch 40, gradients clipped to [-2, 2] per value.
#
# Batch 32 on any number of GPUs (train_dataloader.batch_size per GPU;
# accumulative_counts steps the optimizer every k batches):
#   8 GPUs: bash tools/dist_train.sh CONFIG 8 --cfg-options train_dataloader.batch_size=4
#   4 GPUs: bash tools/dist_train.sh CONFIG 4                 (8 per GPU, this file)
#   2 GPUs: bash tools/dist_train.sh CONFIG 2 --cfg-options train_dataloader.batch_size=16
#   1 GPU:  python tools/train.py CONFIG --cfg-options train_dataloader.batch_size=16 optim_wrapper.accumulative_counts=2
# The schedule is in epochs, so none of these changes it.
#
# Where the official code and mmseg's conventions differ, this follows mmseg
# (docs/paper_model.md):
# - data: mmseg's VOC pipelines -- random resize 0.5-2.0 of 2048x512, a 512
#   crop with cat_max_ratio 0.75, flip, photometric distortion; masks padded
#   with 255 (ignored), evaluation at the original image size. Official:
#   short side 256-1024, 512 crop, flip, Gaussian blur; masks padded with 0
#   (background); evaluation of a fixed 512x512 resize.
# - loss: mmseg's CrossEntropyLoss, averaged over all pixels of the crop
#   (avg_non_ignore=False); official nn.CrossEntropyLoss averages over the
#   labelled pixels only.
# - the map the loss compares: logits upsampled to the label size by mmseg's
#   loss (the same as the official upsampling to the input size).
# - the stem: mmseg's EfficientNet applies its Swish after the stem's BN; the
#   official model (layer0 = conv_stem + bn0) leaves it out.
# - initialisation: mmseg's for the decoder and classifier (the classifier's
#   last conv N(0, 0.01)); PyTorch's defaults in the official code.
# - BN: the official decoder's BN layers use eps 1e-4, momentum 0.997 (torch
#   convention: the running statistics are almost the last batch's); mmseg's
#   defaults (1e-5, 0.1) here, SyncBN across GPUs.
# - the backbone: OpenMMLab's EfficientNet (mmdet's copy of mmpretrain's; see
#   below) with mmpretrain's port of the TF AutoAugment ImageNet weights; the
#   official code loads efficientnet_pytorch's port of TF weights.
_base_ = [
    '../_base_/datasets/voc0712.py',
    'mmseg::_base_/default_runtime.py',
    '../_base_/frskd_runtime.py',
]
crop_size = (512, 512)
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
# mmpretrain's EfficientNet needs torchvision; mmdet carries the same module
# (same arguments, same checkpoints), which needs nothing more. With
# mmpretrain installed: --cfg-options
#   model.backbone.efficientnet.type=mmpretrain.EfficientNet
efficientnet_b0_weights = (
    'https://download.openmmlab.com/mmclassification/v0/efficientnet/'
    'efficientnet-b0_3rdparty_8xb32-aa_in1k_20220119-8d939117.pth')
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='TappedEfficientNet',
        efficientnet=dict(
            type='mmdet.EfficientNet',
            arch='b0',
            # efficientnet_pytorch's BN: eps 1e-3, momentum 0.01
            norm_cfg=dict(
                type='SyncBN', requires_grad=True, eps=1e-3, momentum=0.01),
            init_cfg=dict(
                type='Pretrained',
                prefix='backbone.',
                checkpoint=efficientnet_b0_weights)),
        taps=((2, 0), (3, 0), (4, 0), (5, 4))),
    neck=dict(
        type='EfficientDetSegNeck',
        in_channels=[24, 40, 80, 320],
        channels=64,
        num_extra_levels=2,
        num_bifpn_layers=3,
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='EfficientDetSegHead',
        in_channels=64,
        in_index=0,
        channels=256,
        num_convs=1,
        kernel_size=3,
        dropout_ratio=0.0,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# 60 epochs over VOC2007+2012 trainval, batch 32 (here 4 GPUs x 8)
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=True),
    drop_last=True)
val_dataloader = dict(batch_size=1, num_workers=4)
test_dataloader = val_dataloader
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(type='value', clip_value=2.0),
    accumulative_counts=1)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[40], gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=60, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=5,
                    max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
