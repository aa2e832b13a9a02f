"""HeadTap: the logits a head predicts with and the map it classifies, read
while the head runs its own code."""
import pytest
import torch
from torch import nn

from frskd_seg.models.segmentors import HeadTap, UnsupportedStudentError


class Head(nn.Module):
    """A head with a classifier and, in training, extra outputs."""

    def __init__(self, outputs='tensor'):
        super().__init__()
        self.outputs = outputs
        self.body = nn.Conv2d(3, 4, 1)
        self.conv_seg = nn.Conv2d(4, 2, 1)
        self.aux_seg = nn.Conv2d(4, 2, 1)

    def cls_seg(self, feat):
        return self.conv_seg(feat)

    def forward(self, x):
        feat = self.body(x)
        if self.outputs == 'tensor':
            return self.cls_seg(feat)
        if self.outputs == 'aux-first':  # like PIDNet's (P, I, D)
            return self.aux_seg(feat), self.cls_seg(feat), feat.mean(1)
        if self.outputs == 'no-classifier':  # like K-Net's stages
            return [self.aux_seg(feat), self.aux_seg(feat)]
        return self.cls_seg(feat), self.cls_seg(feat)  # 'twice'


def test_tensor_output_and_its_map():
    head, x = Head(), torch.randn(2, 3, 5, 5)
    with HeadTap(head) as tap:
        out = head(x)
    assert tap.logits() is out
    assert torch.equal(tap.classified_map(), head.body(x))
    # the head is itself again
    assert 'forward' not in vars(head) and 'cls_seg' not in vars(head)


def test_several_outputs_give_the_classifiers():
    head, x = Head('aux-first'), torch.randn(2, 3, 5, 5)
    with HeadTap(head) as tap:
        out = head(x)
    assert tap.logits() is out[1]


def test_a_wrapper_already_there_runs_and_stays():
    head, seen = Head(), []
    head.forward = lambda x: seen.append(x) or type(head).forward(head, x)
    wrapper = head.forward
    with HeadTap(head) as tap:
        out = head(torch.randn(1, 3, 4, 4))
    assert len(seen) == 1 and tap.logits() is out
    assert head.forward is wrapper and 'cls_seg' not in vars(head)


def test_the_first_forward_counts():
    head = Head()
    with HeadTap(head) as tap:
        first = head.forward(torch.randn(1, 3, 4, 4))  # as mmseg calls it
        head(torch.randn(1, 3, 4, 4))
    assert len(tap.calls) == 2 and tap.logits() is first


@pytest.mark.parametrize('outputs, method, match', [
    ('no-classifier', 'logits', 'list of 2 outputs and its classifier '
     'cls_seg gave none'),
    ('no-classifier', 'classified_map', 'called cls_seg 0 times'),
    ('twice', 'classified_map', 'called cls_seg 2 times'),
])
def test_what_it_cannot_tell_is_refused(outputs, method, match):
    head = Head(outputs)
    with HeadTap(head) as tap:
        head(torch.randn(1, 3, 4, 4))
    with pytest.raises(UnsupportedStudentError, match=match):
        getattr(tap, method)()
