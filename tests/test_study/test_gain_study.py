"""The paired gain study: configs of the two arms, statistics, report, and a
tiny end-to-end study that resumes from its cache."""
import copy
import glob
import json
import math
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from studies.gain_study import (StudyResult, config_key,
                                detectable_effect,
                                holdout_voc12_val, loaded_files,
                                model_fingerprint, run_study,
                                study_configs, t_interval)
from frskd_seg.apis.export_student import baseline_twin_config
from frskd_seg.cli.config_utils import set_data_root
from frskd_seg.utils.checkpoint import load_local_checkpoint
from tests.conftest import DEMO_CONFIG, load_config


def test_t_interval_by_hand():
    mean, half = t_interval([1.0, 2.0, 3.0])
    # sd 1, sem 1/sqrt(3), t_{0.975, 2} = 4.302653
    assert mean == 2.0
    assert half == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert math.isnan(t_interval([1.5])[1])


def test_detectable_effect_by_hand():
    # sd 1, n 3: (t_{0.975, 2} + t_{0.8, 2}) / sqrt(3); for 2 degrees of
    # freedom t_p = (2p - 1) / sqrt(2 p (1 - p)): t_{0.8} = 0.6 / sqrt(0.32)
    expected = (4.302653 + 0.6 / math.sqrt(0.32)) / math.sqrt(3)
    assert detectable_effect([1.0, 2.0, 3.0]) == pytest.approx(
        expected, rel=1e-6)
    # twice the spread, twice the effect; four times the seeds, about half
    assert detectable_effect([2.0, 4.0, 6.0]) == pytest.approx(
        2 * expected, rel=1e-6)
    assert detectable_effect([1.0, 2.0, 3.0] * 4) < expected / 2
    assert math.isnan(detectable_effect([1.5]))


def test_thread_count_is_part_of_the_cache_key():
    cfg = load_config(DEMO_CONFIG)
    keys = {config_key(cfg, 'frskd', t) for t in (None, 1, 2)}
    assert len(keys) == 3
    assert config_key(cfg, 'frskd', 1) == config_key(cfg, 'frskd', 1)


def test_the_codes_defaults_are_part_of_the_frskd_key(monkeypatch):
    """The two-line recipe leaves the distillation terms to the code: the
    same config text under other defaults trains another model, so its runs
    get another key -- the twin's, all spelled out by mmseg, keep theirs."""
    from frskd_seg.models.segmentors import frskd_mixin
    cfg = load_config(DEMO_CONFIG)
    twin = study_configs(cfg, holdout=None)['twin']
    keys = config_key(cfg, 'frskd', 1), config_key(twin, 'twin', 1)
    assert 'AttentionTransferLoss(p=2.0, loss_weight=100.0' in \
        model_fingerprint(cfg)
    assert model_fingerprint(twin) == ''
    monkeypatch.setitem(frskd_mixin.DEFAULT_LOSS_FEAT, 'loss_weight', 50.0)
    assert config_key(cfg, 'frskd', 1) != keys[0]
    assert config_key(twin, 'twin', 1) == keys[1]


def test_passive_hooks_leave_the_cache_key():
    cfg = load_config(DEMO_CONFIG)
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert 'GracefulStopHook' in hooks
    without = copy.deepcopy(cfg)
    without.custom_hooks = [h for h in cfg.custom_hooks
                            if h['type'] != 'GracefulStopHook']
    assert config_key(without, 'twin', 1) == config_key(cfg, 'twin', 1)
    # the key did not change the config it was asked about
    assert [h['type'] for h in cfg.custom_hooks] == hooks
    # a hook that changes what is computed (validation's draws) does
    other = copy.deepcopy(cfg)
    other.custom_hooks = [h for h in cfg.custom_hooks
                          if h['type'] != 'RNGStateHook']
    assert config_key(other, 'twin', 1) != config_key(cfg, 'twin', 1)


def test_the_loaded_backbone_is_part_of_the_cache_key(tmp_path):
    """A backbone remade at the same path trains other runs: the key follows
    the file's content, not its name."""
    backbone = tmp_path / 'backbone.pth'
    backbone.write_bytes(b'first')
    cfg = load_config(DEMO_CONFIG)
    cfg.model.backbone.init_cfg = dict(type='Pretrained',
                                       checkpoint=str(backbone))
    twin = study_configs(cfg, holdout=None)['twin']
    assert loaded_files(cfg.model) == [str(backbone)]
    assert loaded_files(twin.model) == [str(backbone)]
    keys = config_key(cfg, 'frskd', 1), config_key(twin, 'twin', 1)
    backbone.write_bytes(b'second')
    assert config_key(cfg, 'frskd', 1) != keys[0]
    assert config_key(twin, 'twin', 1) != keys[1]
    backbone.write_bytes(b'first')
    assert (config_key(cfg, 'frskd', 1),
            config_key(twin, 'twin', 1)) == keys
    # a path that is not a file here is keyed by its text alone
    cfg.model.backbone.init_cfg.checkpoint = str(tmp_path / 'missing.pth')
    assert loaded_files(cfg.model) == []


def test_holdout_moves_voc12_val_out_of_training():
    cfg = holdout_voc12_val(load_config(DEMO_CONFIG))
    train = [d.ann_file for d in cfg.train_dataloader.dataset.datasets]
    assert train == ['VOC2007/ImageSets/Segmentation/trainval.txt',
                     'VOC2012/ImageSets/Segmentation/train.txt']
    val = cfg.val_dataloader.dataset
    assert val.ann_file == 'VOC2012/ImageSets/Segmentation/val.txt'
    assert val.data_prefix.img_path == 'VOC2012/JPEGImages'
    assert val.pipeline == cfg.test_dataloader.dataset.pipeline
    assert cfg.test_dataloader.dataset.ann_file == \
        'VOC2007/ImageSets/Segmentation/test.txt'


def test_holdout_needs_the_voc0712_layout():
    cfg = load_config(DEMO_CONFIG)
    cfg.train_dataloader.dataset.datasets.pop()
    with pytest.raises(ValueError, match="holdout 'voc12-val' needs exactly "
                       'one training data set .* this config has 0'):
        holdout_voc12_val(cfg)


def test_epoch_based_configs_are_refused():
    from tests.conftest import REPO
    cfg = load_config(osp.join(REPO, 'configs', 'paper',
                               'frskd_effdet-d0_voc0712-512x512.py'))
    with pytest.raises(ValueError, match='the gain study runs iteration-'
                       r"based configs \(train_cfg.max_iters\), got "
                       "train_cfg {'type': 'EpochBasedTrainLoop'"):
        study_configs(cfg)


def test_study_arms_differ_only_by_frskd():
    frskd = load_config(DEMO_CONFIG)
    arms = study_configs(frskd)
    twin, ours = arms['twin'], arms['frskd']
    assert twin.model.type == 'EncoderDecoder'
    assert 'self_teacher' not in twin.model
    assert twin.custom_imports == ours.custom_imports  # same hooks
    for key in ('backbone', 'decode_head', 'auxiliary_head'):
        assert twin.model[key] == ours.model[key]
    for key in ('train_dataloader', 'val_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg', 'randomness'):
        assert twin[key] == ours[key], key
    # validation and checkpoints at the end of the warm-up and at the end
    assert ours.train_cfg.val_interval == 1333
    assert ours.default_hooks.checkpoint.interval == 1333
    assert ours.model.evaluate_teacher
    # FRSKD variants share their twin's runs
    variant = load_config(DEMO_CONFIG)
    variant.model.teacher_grad_scale = 1.0
    other = study_configs(variant)
    assert config_key(other['twin'], 'twin') == config_key(twin, 'twin')
    assert config_key(other['frskd'], 'frskd') != config_key(ours, 'frskd')


def _fake_result():
    def metrics(student, teacher=None, per_class=(10.0, 20.0)):
        out = {'mIoU': student, 'IoU.a': per_class[0],
               'IoU.b': per_class[1]}
        if teacher is not None:
            out['teacher/mIoU'] = teacher
        return out

    evals = {'twin': {}, 'frskd': {}}
    for seed, (twin, ours, teacher) in enumerate([(50, 52, 55), (60, 61, 60),
                                                  (40, 43, 44)]):
        evals['twin'][seed] = {'test': {'5': metrics(twin - 5),
                                        '10': metrics(twin)}}
        evals['frskd'][seed] = {'test': {
            '5': metrics(ours - 6, teacher - 2),
            '10': metrics(ours, teacher, (11.0, 19.0))}}
    return StudyResult([0, 1, 2], evals, warmup=5, max_iters=10,
                       splits=['test'], commands=['python tools/x.py'])


def test_study_result_statistics():
    result = _fake_result()
    assert result.gains('test') == [2, 1, 3]
    summary = result.summary()['test']
    assert summary['gain'] == 2.0
    assert summary['ci'] == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert summary['teacher'] == pytest.approx(53.0)
    # teacher - student at the warm-up end: (53-46, 58-55, 42-37) / 3
    assert summary['lead_warmup'] == pytest.approx(5.0)
    assert summary['lead_end'] == pytest.approx((3 - 1 + 1) / 3)
    assert result.class_gains('test') == {'a': 1.0, 'b': -1.0}
    # twins 50, 60, 40 and students 52, 61, 43: deviations (0, 10, -10)
    # and (0, 9, -9), so SDs 10 and 9, correlation 1; gains 2, 1, 3: SD 1
    # (= sqrt(100 + 81 - 2 * 1 * 10 * 9))
    assert result.spread('test') == pytest.approx(dict(
        twin_sd=10.0, student_sd=9.0, correlation=1.0, gain_sd=1.0))
    text = result.markdown('t')
    assert '**+2.00** [-0.48, +4.48] | 3.10 |' in text
    assert '| test | 10.00 | 9.00 | 1.00 | 1.00 |' in text
    assert 'python tools/x.py' in text
    # evaluated at the end alone: no lead at the warm-up end, the rest kept
    for arm in result.evals.values():
        for by_split in arm.values():
            del by_split['test'][str(result.warmup)]
    assert not result.evaluated_at(result.warmup)
    end_only = result.summary()['test']
    assert math.isnan(end_only['lead_warmup'])
    assert end_only == pytest.approx(dict(summary, lead_warmup=math.nan),
                                     nan_ok=True)
    assert '| n/a | +1.00 |' in result.markdown('t')


def test_spread_of_an_unpaired_student_and_of_one_seed():
    result = _fake_result()
    # students 52, 61, 43 reordered against the twins 50, 60, 40
    for seed, ours in enumerate([61, 43, 52]):
        result.evals['frskd'][seed]['test']['10']['mIoU'] = ours
    spread = result.spread('test')
    # deviations (0, 10, -10) and (9, -9, 0): covariance -90 / 2, SDs 10, 9
    assert spread['correlation'] == pytest.approx(-0.5)
    # gains 11, -17, 12: mean 2, deviations 9, -19, 10 -> var 542 / 2
    assert spread['gain_sd'] == pytest.approx(math.sqrt(271))
    assert spread['gain_sd'] ** 2 == pytest.approx(100 + 81 + 90)
    one = StudyResult([0], {a: {0: result.evals[a][0]} for a in result.evals},
                      warmup=5, max_iters=10, splits=['test'])
    assert all(math.isnan(v) for v in one.spread('test').values())


def assert_warm_start_exact(cfg, base_runs, work_dir):
    """``cfg``'s run warm-started from ``base_runs`` is refused nothing and
    ends bit for bit where it ends trained from scratch."""
    from studies import run as study_run
    messages, evaluated = [], []
    evaluate = study_run.evaluate_checkpoint

    def counted(cfg, checkpoint, split, **kwargs):
        evaluated.append((osp.basename(checkpoint), split))
        return evaluate(cfg, checkpoint, split, **kwargs)

    study_run.evaluate_checkpoint = counted
    try:
        run_study(cfg, [0], str(work_dir / 'warm'), threads=1,
                  diagnose=False, warm_start_from=base_runs,
                  echo=messages.append)
    finally:
        study_run.evaluate_checkpoint = evaluate
    assert any('from the warm-up end of' in m for m in messages)
    # the warm-up-end checkpoint is the base's: its evaluation is reused;
    # the twin (trained in this study's own runs folder) holds the same
    # student there and takes its evaluation too
    assert sorted(evaluated) == sorted(
        [('iter_2.pth', sp) for sp in ('val', 'test')] * 2)
    run_study(cfg, [0], str(work_dir / 'scratch'), threads=1,
              diagnose=False, echo=messages.append)
    warm_eval, scratch_eval = (json.load(open(path)) for [path] in (
        glob.glob(str(work_dir / arm / 'runs/frskd-*/seed_0/eval.json'))
        for arm in ('warm', 'scratch')))
    assert warm_eval == scratch_eval
    warm, scratch = (load_local_checkpoint(path)['state_dict'] for [path] in (
        glob.glob(str(work_dir / arm / 'runs/frskd-*/seed_0/iter_2.pth'))
        for arm in ('warm', 'scratch')))
    assert warm.keys() == scratch.keys()
    assert all(torch.equal(warm[k], scratch[k]) for k in warm)


def test_tiny_study_end_to_end_and_cached(synthetic_voc, tmp_path):
    cfg = load_config(DEMO_CONFIG)
    set_data_root(cfg, synthetic_voc)
    cfg.train_cfg.max_iters = 2
    cfg.model.distill_schedule = dict(type='DistillSchedule', warmup=1,
                                      rampup=1)
    cfg.train_dataloader.batch_size = 2
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        # worker processes cost seconds to start and stop per evaluation
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    messages = []
    # both arms train at once, one thread each
    result = run_study(cfg, [0], str(tmp_path / 'study'), threads=1, jobs=2,
                       echo=messages.append)
    assert result.splits == ['val', 'test']
    for name in ('report.md', 'report.png', 'study.json'):
        assert osp.isfile(tmp_path / 'study' / name)
    with open(tmp_path / 'study' / 'study.json') as f:
        saved = json.load(f)
    evals = saved['evals']['frskd']['0']
    assert set(evals) == {'val', 'test'}
    assert set(evals['test']) == {'1', '2'}
    assert 'teacher/mIoU' in evals['test']['2']
    assert 'IoU.background' in saved['evals']['twin']['0']['val']['2']
    # until distillation starts the twin is the FRSKD run's student: its
    # warm-up-end evaluation is that student's, not computed again
    for split in ('val', 'test'):
        student = {k: v for k, v in evals[split]['1'].items()
                   if not k.startswith('teacher/')}
        assert saved['evals']['twin']['0'][split]['1'] == student
    # the diagnostics score the same predictions as the evaluation (mmseg's
    # IoUMetric rounds to 2 decimals), on the training images too
    diag = result.diagnostics[0]
    assert set(diag) == {'train', 'val', 'test'}
    for split in ('val', 'test'):
        for it in ('1', '2'):
            assert diag[split][it]['student/mIoU'] == pytest.approx(
                evals[split][it]['mIoU'], abs=0.006)
            assert diag[split][it]['teacher/mIoU'] == pytest.approx(
                evals[split][it]['teacher/mIoU'], abs=0.006)
    for values in diag['train'].values():
        assert 0 <= values['teacher_right_student_wrong'] <= 100
        assert 0 <= values['student_right_teacher_wrong'] <= 100
    assert set(saved['diagnostics']) == {f'{sp} @{it}' for sp in
                                         ('train', 'val', 'test')
                                         for it in (1, 2)}
    assert '## Diagnostics of the FRSKD runs' in (
        tmp_path / 'study' / 'report.md').read_text()
    # both runs recorded the environment they trained in
    from studies.run_environment import run_environment
    assert saved['environments'] == {arm: {'0': run_environment()}
                                     for arm in ('twin', 'frskd')}
    assert sum('training' in m for m in messages) == 2
    # a second study finds both runs finished and evaluated
    messages.clear()
    run_study(cfg, [0], str(tmp_path / 'study'), threads=1,
              echo=messages.append)
    assert sum('cached' in m for m in messages) == 2
    # a twin trained longer (the compute-matched twin) is compared with the
    # same FRSKD runs at its own end
    longer = baseline_twin_config(cfg)
    longer.train_cfg.max_iters = 3
    longer.param_scheduler[0].end = 3
    longer_study = run_study(cfg, [0], str(tmp_path / 'longer'),
                             runs_dir=str(tmp_path / 'study' / 'runs'),
                             baseline_cfg=longer, threads=1,
                             diagnose=False, echo=messages.append)
    with open(tmp_path / 'longer' / 'study.json') as f:
        longer_evals = json.load(f)['evals']
    assert longer_evals['frskd'] == saved['evals']['frskd']
    twin_runs = glob.glob(str(tmp_path / 'study' / 'runs' / 'twin-*'))
    assert len(twin_runs) == 2
    longer_run = [r for r in twin_runs
                  if osp.isfile(osp.join(r, 'seed_0', 'iter_3.pth'))][0]
    with open(osp.join(longer_run, 'seed_0', 'eval.json')) as f:
        at_its_end = json.load(f)['val']['3']
    assert longer_evals['twin']['0']['val']['2'] == at_its_end
    assert longer_study.max_iters == 2
    # a variant of the distillation terms starts from the warm-up end of
    # these runs and ends exactly where it ends trained from scratch
    variant = copy.deepcopy(cfg)
    variant.model.loss_kd = dict(type='PixelKLDivLoss', tau=2.0)
    base_runs = str(tmp_path / 'study' / 'runs' / saved['keys']['frskd'])
    assert_warm_start_exact(variant, base_runs, tmp_path / 'variant')
    # what changes the warm-up is refused, with the differences named
    other = copy.deepcopy(cfg)
    other.model.teacher_grad_scale = 1.0
    with pytest.raises(ValueError, match=r'frskd seed 0 cannot start from '
                       r'the warm-up of .*: model.teacher_grad_scale: 0.0 '
                       r'\(base\) != 1.0'):
        run_study(other, [0], str(tmp_path / 'other'), threads=1,
                  warm_start_from=base_runs, echo=messages.append)


def test_evaluations_run_on_the_pinned_thread_count(tmp_path, monkeypatch):
    from studies import run as study_run
    seen = []
    monkeypatch.setattr(
        study_run, 'evaluate_checkpoint',
        lambda *args, **kwargs: seen.append(torch.get_num_threads()) or {})
    run = study_run.Run('twin', 0, Config(), str(tmp_path))
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as under OMP_NUM_THREADS=1
    try:
        run.evaluate([1, 2], ['val', 'test'])
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert seen == [study_run.EVAL_THREADS] * 4 and seen[0] == 2


def test_a_twin_takes_the_evaluation_of_the_same_student(tmp_path):
    from studies import run as study_run
    frskd = study_run.Run('frskd', 0, Config(), str(tmp_path / 'frskd'))
    twin = study_run.Run('twin', 0, Config(), str(tmp_path / 'twin'))
    student = {'backbone.w': torch.arange(4.), 'decode_head.b': torch.ones(2)}
    for run, weights in ((frskd, dict(student, **{
            'self_teacher.w': torch.zeros(3)})), (twin, student)):
        os.makedirs(run.work_dir)
        torch.save(dict(state_dict=weights), run.checkpoint(5))
    metrics = {'mIoU': 50.0, 'IoU.cat': 40.0, 'teacher/mIoU': 60.0}
    with open(osp.join(frskd.work_dir, 'eval.json'), 'w') as f:
        json.dump({'val': {'5': metrics}, 'test': {'5': metrics}}, f)
    assert twin.take_student_evaluation(frskd, 5)
    with open(osp.join(twin.work_dir, 'eval.json')) as f:
        taken = json.load(f)
    assert taken == {split: {'5': {'mIoU': 50.0, 'IoU.cat': 40.0}}
                     for split in ('val', 'test')}
    # nothing left to take: the checkpoints are not read again
    assert not twin.take_student_evaluation(frskd, 5)
    # another student (one weight apart) takes nothing
    os.remove(osp.join(twin.work_dir, 'eval.json'))
    torch.save(dict(state_dict=dict(student, **{
        'backbone.w': torch.tensor([0., 1., 2., 3.5])})), twin.checkpoint(5))
    assert not twin.take_student_evaluation(frskd, 5)
    assert not osp.isfile(osp.join(twin.work_dir, 'eval.json'))


@pytest.mark.parametrize('gpus', [1, 4])
def test_run_command_and_progress(tmp_path, monkeypatch, gpus):
    """tools/train.py per run (torchrun --launcher pytorch on several GPUs),
    --resume when a checkpoint exists, progress lines echoed."""
    from studies import gain_study
    from studies import run as study_run
    cfg = study_configs(load_config(DEMO_CONFIG), holdout=None)['frskd']
    run = gain_study.Run('frskd', 3, cfg, str(tmp_path / 'run'))
    commands = []

    class FakeProc:

        def __init__(self, cmd, **kwargs):
            commands.append(cmd)
            assert kwargs['env']['OMP_NUM_THREADS'] == '1'
            open(run.checkpoint(run.max_iters), 'w').close()
            self.stdout = iter([
                'x - mmengine - INFO - Iter(train) [ 200/2000]  lr: 1\n',
                'x - mmengine - INFO - Iter(train) [ 220/2000]  lr: 1\n',
                'x - mmengine - INFO - Iter(val) [30/30]  mIoU: 50.0\n'
            ])
            self.returncode = 0

        def wait(self):
            return 0

    monkeypatch.setattr(study_run.subprocess, 'Popen', FakeProc)
    echoed = []
    (tmp_path / 'run').mkdir()
    (tmp_path / 'run' / 'last_checkpoint').write_text('x')
    run.train('py', echoed.append, gpus=gpus, threads=1)
    cmd = commands[0]
    assert cmd[-1] == '--resume'
    if gpus > 1:
        assert cmd[:6] == ['py', '-m', 'torch.distributed.run',
                           '--nproc_per_node=4', '-m', 'frskd_seg.cli.train']
        assert cmd[-3:-1] == ['--launcher', 'pytorch']
    else:
        # the installed package's entry point, not a checkout's tools/
        assert cmd[:3] == ['py', '-m', 'frskd_seg.cli.train']
        assert '--launcher' not in cmd
    trained = Config.fromfile(str(tmp_path / 'run' / 'config.py'))
    assert trained.randomness.seed == 3
    # validated afterwards, not inside the training; evaluated on its own
    assert trained.val_cfg is None and trained.val_dataloader is None
    assert run.cfg.val_dataloader is not None
    assert echoed == ['    frskd seed 3: Iter(train) [ 200/2000]  lr: 1',
                      '    frskd seed 3: Iter(val) [30/30]  mIoU: 50.0']
    assert run.finished
    run.train('py', echoed.append, gpus=gpus, threads=1)  # finished
    assert len(commands) == 1


def test_a_run_records_its_environment_and_resumes_only_in_it(
        tmp_path, monkeypatch):
    from studies import gain_study
    from studies import run as study_run
    cfg = study_configs(load_config(DEMO_CONFIG), holdout=None)['frskd']
    run = gain_study.Run('frskd', 3, cfg, str(tmp_path / 'run'))

    class Interrupted:

        def __init__(self, cmd, **kwargs):
            self.stdout = iter([])
            self.returncode = 1

        def wait(self):
            return 1

    monkeypatch.setattr(study_run.subprocess, 'Popen', Interrupted)
    here = {'torch': '2.13.0', 'torch cpu kernels': 'AVX512'}
    with pytest.raises(RuntimeError, match='failed'):
        run.train('py', environment=here)
    assert run.environment == here
    with pytest.raises(RuntimeError, match='failed'):
        run.train('py', environment=dict(here))  # the same: resumes
    elsewhere = dict(here, **{'torch cpu kernels': 'AVX2'})
    with pytest.raises(RuntimeError, match=r'frskd seed 3 .* started in '
                       r'another environment than this one \(then != now: '
                       r'torch cpu kernels AVX512 != AVX2\)'):
        run.train('py', environment=elsewhere)
    assert run.environment == here


def test_a_pair_from_two_environments_is_refused_before_training(tmp_path):
    from studies import gain_study
    arms = study_configs(load_config(DEMO_CONFIG), holdout=None)
    twin, frskd = (gain_study.Run(arm, 0, arms[arm], str(tmp_path / arm))
                   for arm in ('twin', 'frskd'))
    here = {'torch': '2.13.0', 'torch cpu kernels': 'AVX512'}
    (tmp_path / 'twin').mkdir()
    (tmp_path / 'twin' / 'done').write_text('x')
    # a twin that recorded nothing (trained before runs recorded it)
    gain_study.check_environments([twin, frskd], here)
    (tmp_path / 'twin' / 'environment.json').write_text(json.dumps(here))
    gain_study.check_environments([twin, frskd], here)
    elsewhere = dict(here, torch='2.5.1')
    with pytest.raises(ValueError, match=r'frskd seed 0 would train here, '
                       r'paired with .*twin, which trained in another '
                       r'environment \(there != here: torch 2.13.0 != '
                       r'2.5.1\)'):
        gain_study.check_environments([twin, frskd], elsewhere)
    # the run a warm start comes from is a partner too
    frskd.warm_start = str(tmp_path / 'twin' / 'iter_1.pth')
    with pytest.raises(ValueError, match='paired with'):
        gain_study.check_environments([frskd], elsewhere)


def test_an_interrupted_run_from_another_environment_is_refused_first(
        tmp_path):
    """Before any run of the study trains, not when the pool reaches it."""
    from studies import gain_study
    arms = study_configs(load_config(DEMO_CONFIG), holdout=None)
    twin, frskd = (gain_study.Run(arm, 0, arms[arm], str(tmp_path / arm))
                   for arm in ('twin', 'frskd'))
    here = {'torch': '2.13.0', 'torch cpu kernels': 'AVX512'}
    (tmp_path / 'frskd').mkdir()
    (tmp_path / 'frskd' / 'environment.json').write_text(json.dumps(here))
    gain_study.check_environments([twin, frskd], here)  # resumes here
    elsewhere = dict(here, **{'torch cpu kernels': 'AVX2'})
    with pytest.raises(ValueError, match=r'frskd seed 0 \(.*frskd\) '
                       r'started in another environment than this one '
                       r'\(then != now: torch cpu kernels AVX512 != AVX2\)'):
        gain_study.check_environments([twin, frskd], elsewhere)
    (tmp_path / 'frskd' / 'done').write_text('x')  # finished: nothing to do
    gain_study.check_environments([frskd], elsewhere)


def test_the_report_names_the_environments_and_mixed_pairs():
    result = _fake_result()
    a = {'torch': '2.13.0', 'torch cpu kernels': 'AVX512'}
    b = dict(a, **{'torch cpu kernels': 'AVX2'})
    result.environments = {'twin': {0: a, 1: a, 2: None},
                           'frskd': {0: a, 1: b, 2: b}}
    assert result.mixed_pairs() == [1]
    assert result.environment_groups() == [
        (a, ['twin 0', 'frskd 0', 'twin 1']), (b, ['frskd 1', 'frskd 2']),
        (None, ['twin 2'])]
    text = result.markdown('t')
    assert '**The runs trained in 2 environments**' in text
    assert 'not paired bit for bit): 1.**' in text
    assert ('- twin 0, frskd 0, twin 1: torch 2.13.0, torch cpu kernels '
            'AVX512') in text
    assert '- twin 2: not recorded' in text
    result.environments = {'twin': {0: a, 1: a, 2: a},
                           'frskd': {0: a, 1: a, 2: a}}
    text = result.markdown('t')
    assert 'environments**' not in text and 'bit for bit' not in text
    assert '## Environment' in text
