# The pretrained CPU demo that also distils on the synthetic set's images
# without masks (tools/make_synthetic_voc.py writes six times the labeled
# training images, listed in ImageSets/Main only): each batch is the demo's
# 4 labeled crops and 4 of the pool (MultiSourceSampler); once distillation
# starts the student learns from its self-teacher on them by the recipe's
# terms, with no CE (model.unlabeled, docs/usage.md). The labeled batches
# are exactly those of frskd_deeplab_r18_voc_demo_pretrained.py and of its
# twin.
_base_ = './frskd_deeplab_r18_voc_demo_pretrained.py'

crop_size = (128, 128)
# the demo's training pipeline without annotations
unlabeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(512, 128),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
model = dict(unlabeled=dict(type='UnlabeledDistillation'))
train_dataloader = dict(
    batch_size=8,
    sampler=dict(
        _delete_=True,
        type='MultiSourceSampler',
        batch_size=8,
        source_ratio=[1, 1]),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            _base_.train_dataloader.dataset,
            dict(
                type='ConcatDataset',
                datasets=[
                    dict(_base_.voc07_unlabeled, data_root=_base_.data_root,
                         pipeline=unlabeled_pipeline),
                    dict(_base_.voc12_unlabeled, data_root=_base_.data_root,
                         pipeline=unlabeled_pipeline),
                ])
        ]))
