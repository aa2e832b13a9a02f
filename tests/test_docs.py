"""What the docs say the defaults are is what the code does: the options
tables of docs/usage.md (``| `option` [default] | ... |``) against the
signatures of the segmentor and the self-teacher."""
import ast
import inspect
import os.path as osp
import re

import pytest

from frskd_seg.models.necks import SelfTeacherNeck
from frskd_seg.models.segmentors import FRSKDMixin
from frskd_seg.models.segmentors.teacher_side import (DEFAULT_LOSS_FEAT,
                                                      DEFAULT_LOSS_KD)
from tests.conftest import REPO

USAGE = osp.join(REPO, 'docs', 'usage.md')
#: documented defaults that are not literals: what the code does instead
NOT_LITERAL = {
    'self_teacher': 'required', 'in_channels': 'measured',
    'top_down_only': 'set from the head',
    'out_channels / width_ratio / finest_width': 'max(32, c_1 / 2)',
}


def documented_defaults():
    """``{option (or 'a / b / c'): the text in its brackets}``."""
    rows = {}
    with open(USAGE) as f:
        for line in f:
            m = re.match(r'\| ((?:`\w+`(?: / )?)+) \[([^\]]*)\] \|', line)
            if m:
                rows[m.group(1).replace('`', '')] = m.group(2).replace(
                    '`', '')
    return rows


DOCUMENTED = documented_defaults()


def code_default(name):
    for cls in (FRSKDMixin, SelfTeacherNeck):
        params = inspect.signature(cls.__init__).parameters
        if name in params:
            return params[name].default
    raise KeyError(name)


def test_every_option_is_documented():
    mixin = [p for p in inspect.signature(FRSKDMixin.__init__).parameters
             if p not in ('self', 'student')]
    neck = [p for p in inspect.signature(SelfTeacherNeck.__init__).parameters
            if p not in ('self', 'init_cfg', 'act_cfg')]
    names = {n for row in DOCUMENTED for n in row.split(' / ')}
    assert set(mixin + neck) - names == set()


@pytest.mark.parametrize('name', sorted(DOCUMENTED))
def test_a_documented_default_is_the_codes(name):
    text = DOCUMENTED[name]
    if name in NOT_LITERAL:
        assert text.startswith(NOT_LITERAL[name])
        return
    default = code_default(name)
    if name == 'norm_cfg':
        assert default['type'] == text
        return
    if isinstance(default, dict) or name == 'loss_kd':
        if default is None:  # off by default: the docs say so
            assert text == 'None', (name, text)
            return
        want = {'loss_kd': DEFAULT_LOSS_KD,
                'loss_feat': DEFAULT_LOSS_FEAT}[name]
        assert default == want
        # the type, then every number the dict holds, in the text
        assert want['type'] in text, (name, text)
        for key, value in want.items():
            if isinstance(value, (int, float)) and key != 'type':
                assert re.search(rf'(^|\D){value:g}(\D|$)', text), (
                    name, key, value, text)
        return
    literal = text.split(':')[0].strip()
    assert ast.literal_eval(literal) == default, (name, text, default)
