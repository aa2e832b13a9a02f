# FRSKD on VOC2007+2012 that also distils on VOC's images without masks:
# configs/frskd_deeplab_voc.py, whose every batch also takes 4 images of the
# unlabeled pool (the images of ImageSets/Main trainval with no mask and in
# no held-out list, ../_base_/datasets/voc0712.py). Once distillation
# starts, the student learns from its self-teacher there by the recipe's two
# terms, with no CE (model.unlabeled, docs/usage.md). The labeled batches
# are exactly frskd_deeplab_voc.py's (MultiSourceSampler, and the pool's
# augmentations draw from a stream of their own).
_base_ = './frskd_deeplab_voc.py'

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
                datasets=[_base_.voc07_unlabeled, _base_.voc12_unlabeled])
        ]))
