"""tools/gain_study.py passes its options to run_study: the seeds, the
runs' cache, the thread and job counts, warm starts and diagnostics."""
import os.path as osp
import runpy
import sys

import pytest

from tests.conftest import DEMO_CONFIG, REPO


@pytest.mark.parametrize('extra, diagnose, warmup_eval', [
    ([], True, True), (['--no-diagnostics'], False, True),
    (['--no-diagnostics', '--no-warmup-eval'], False, False)])
def test_options_reach_the_study(tmp_path, monkeypatch, capsys, extra,
                                 diagnose, warmup_eval):
    import studies.gain_study as gain_study
    calls = []

    class Result:

        def markdown(self, title):
            return f'# {title}'

    def fake_run_study(cfg, seeds, work_dir, **kwargs):
        calls.append((cfg, seeds, work_dir, kwargs))
        return Result()

    monkeypatch.setattr(gain_study, 'run_study', fake_run_study)
    monkeypatch.setattr(sys, 'argv', [
        'tools/gain_study.py', DEMO_CONFIG, '--seeds', '3', '4',
        '--work-dir', str(tmp_path / 'study'), '--runs-dir',
        str(tmp_path / 'runs'), '--threads', '1', '--jobs', '2',
        '--cfg-options', 'model.teacher_grad_scale=0.5', *extra])
    runpy.run_path(osp.join(REPO, 'tools', 'gain_study.py'),
                   run_name='__main__')
    [(cfg, seeds, work_dir, kwargs)] = calls
    assert seeds == [3, 4] and work_dir == str(tmp_path / 'study')
    assert cfg.model.teacher_grad_scale == 0.5
    assert kwargs['runs_dir'] == str(tmp_path / 'runs')
    assert (kwargs['threads'], kwargs['jobs']) == (1, 2)
    assert kwargs['warm_start_from'] is None
    assert kwargs['diagnose'] is diagnose
    assert kwargs['warmup_eval'] is warmup_eval
    assert '--no-diagnostics' in kwargs['commands'][0] or not extra
    assert 'FRSKD vs its twin' in capsys.readouterr().out
