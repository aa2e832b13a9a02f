"""The two-line recipe on CI's fixed sample of mmseg's configs (one per
decode head and backbone type pair, as the full sweep of
tools/check_recipe.py found them), and the sweep's bookkeeping."""
import json
import os.path as osp

import pytest

from studies.recipe_check import (REFUSED, UNAVAILABLE, WORKS,
                                  CheckResult, check_config,
                                  list_configs, mmseg_config_dir,
                                  run_checks)
from studies.recipe_report import pair_sample, report

SAMPLE = osp.join(osp.dirname(osp.abspath(__file__)), 'recipe_sample.txt')


def sample():
    with open(SAMPLE) as f:
        rows = [line.split() for line in f if not line.startswith('#')]
    return [pytest.param(status, int(size), config, id=config)
            for status, size, config in rows]


@pytest.mark.parametrize('status, size, config', sample())
def test_sample(status, size, config):
    """Works: builds, trains a step and predicts; refused: at build, with
    the reason. (Equality with the plain twin: the families' tests and the
    full sweep.)"""
    result = check_config(osp.join(mmseg_config_dir(), config),
                          sizes=(size, ), twin=False)
    if result.status == UNAVAILABLE:  # a package the sweep had (mmdet)
        pytest.skip(result.message.splitlines()[0])
    assert (result.status, result.message if status == WORKS else '') == (
        status, ''), result.message
    if status == REFUSED:
        assert result.message


def test_sweep_resumes_and_reuses_equal_models(tmp_path, monkeypatch):
    from studies import recipe_check
    checked = []

    def fake_check(path, **kwargs):
        checked.append(osp.basename(path))
        return CheckResult(config=path, status=WORKS, head='DAHead',
                           segmentor='EncoderDecoder',
                           backbone='ResNetV1c', size=64)

    monkeypatch.setattr(recipe_check, 'check_config', fake_check)
    root = mmseg_config_dir()
    paths = [osp.join(root, 'danet', name) for name in (
        'danet_r50-d8_4xb4-20k_voc12aug-512x512.py',
        'danet_r50-d8_4xb4-40k_voc12aug-512x512.py')]  # same model
    results_file = str(tmp_path / 'results.jsonl')
    run_checks(paths[:1], results_file, echo=lambda _: None)
    results = run_checks(paths, results_file, echo=lambda _: None)
    assert len(checked) == 1  # resumed, and the second reused the first
    with open(results_file) as f:
        records = [json.loads(line) for line in f]
    assert [r.get('reused', False) for r in records] == [False, True]
    assert [r.status for r in results] == [WORKS, WORKS]
    assert '**2 work (100.0 %;' in report(results)
    assert '| DAHead | ResNetV1c | 2 | 2 | 0 | 0 | 0 |' in report(results)
    assert len(pair_sample(results)) == 1


#: one mmseg config per multi-output head and cascade family
FAMILIES = [
    'danet/danet_r50-d8_4xb4-20k_voc12aug-512x512.py',
    'encnet/encnet_r50-d8_4xb4-20k_voc12aug-512x512.py',
    'pidnet/pidnet-s_2xb6-120k_1024x1024-cityscapes.py',
    'ddrnet/ddrnet_23-slim_in1k-pre_2xb6-120k_cityscapes-1024x1024.py',
    'ocrnet/ocrnet_hr18s_4xb2-40k_cityscapes-512x1024.py',
    'point_rend/pointrend_r50_4xb2-80k_cityscapes-512x1024.py',
]


@pytest.mark.parametrize('config', FAMILIES,
                         ids=lambda c: c.split('/')[0])
def test_two_lines_train_and_predict_like_the_plain_model(config):
    """One training step, and a prediction identical to the plain mmseg
    model holding the student's weights, on each family."""
    result = check_config(osp.join(mmseg_config_dir(), config))
    assert result.status == WORKS, result.message
    assert result.size == 64


def test_sweep_lists_mmseg_configs():
    paths = list_configs('danet/*.py')
    assert len(paths) == 16
    assert not list_configs('_base_/models/*.py')
