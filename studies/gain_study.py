"""Paired gain study: does FRSKD give a better student than its baseline twin?

For every seed, the FRSKD config and its baseline twin (the same config with
the FRSKD segmentor turned into mmseg's ``EncoderDecoder``, or a given one)
are trained with that seed -- so, by :class:`PrivateRNG`, from the same
initial student weights and on the same batches -- and both are evaluated
(the FRSKD student and its self-teacher) on a validation split, to choose
designs on, and on the test split, to report. The study reports per seed
and over the seeds the paired gain ``mIoU(FRSKD student) - mIoU(twin)`` with
its 95 % confidence interval (t distribution over the seeds), per-class
gains, and the self-teacher's lead over its student at the end of the
distillation warm-up and at the end of training.

Runs are cached by the hash of the exact config they train and, for the
FRSKD arm, of the model it builds (``RUNS/<config>-<hash>/seed_<k>``;
:func:`config_key`): a finished seed is never rerun, an
interrupted one resumes from its last checkpoint (exactly, with
``RNGStateHook``), and studies of several FRSKD variants against the same
twin share the twin's runs. One training runs at a time. Each run records
the environment it trained in (:mod:`studies.run_environment`): a
run resumes only in it, and a run is paired only with runs of the same.

Validation split: with ``holdout='voc12-val'`` (the default for the VOC07+12
configs) VOC2012 ``val`` is taken out of training (VOC2012 ``train`` is
trained on instead of ``trainval``) and is the validation split; the test
split is the config's test set (VOC2007 ``test``). ``holdout=None`` trains
on the config's own data and evaluates the test split only.
"""
import copy
import hashlib
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

from frskd_seg.apis.export_student import baseline_twin_config
from frskd_seg.datasets.dataset_configs import leaf_datasets
from frskd_seg.models.losses import model_distill_schedule
from frskd_seg.models.segmentors import (STUDENT_TYPES, describe_recipe,
                                         is_frskd_model)
from .run import Run, check_environments, evaluator
from .run_environment import python_environment
from .study_result import (StudyResult, detectable_effect,  # noqa: F401
                           t_interval)
from .warm_start import (active_hooks, warmup_checkpoint,  # noqa: F401
                         warmup_differences)

HOLDOUTS = (None, 'voc12-val')
_VOC12 = 'VOC2012/ImageSets/Segmentation/'


def holdout_voc12_val(cfg: Config) -> Config:
    """``cfg`` training on VOC2012 ``train`` instead of ``trainval``, with
    VOC2012 ``val`` as its validation split (``val_dataloader``) and the test
    split unchanged."""
    cfg = copy.deepcopy(cfg)
    held = [
        d for d in leaf_datasets(cfg, ('train_dataloader', ))
        if str(d.get('ann_file', '')).endswith(_VOC12 + 'trainval.txt')
    ]
    if len(held) != 1:
        raise ValueError(
            "holdout 'voc12-val' needs exactly one training data set with "
            f"ann_file '{_VOC12}trainval.txt' (the VOC07+12 configs); this "
            f'config has {len(held)}: pass holdout=None (--holdout none)')
    voc12 = held[0]
    voc12['ann_file'] = _VOC12 + 'train.txt'
    val = copy.deepcopy(cfg.test_dataloader)
    val.dataset = dict(copy.deepcopy(voc12),
                       ann_file=_VOC12 + 'val.txt',
                       pipeline=copy.deepcopy(
                           cfg.test_dataloader.dataset.pipeline))
    cfg.val_dataloader = val
    return cfg


def warmup_milestone(frskd_cfg: Config) -> int:
    """The iteration both arms validate and checkpoint at besides the end:
    the distillation warm-up's end (the end itself when there is none)."""
    max_iters = int(frskd_cfg.train_cfg.max_iters)
    return model_distill_schedule(
        frskd_cfg.model).warmup_end(max_iters) or max_iters


def study_configs(frskd_cfg: Config,
                  baseline_cfg: Optional[Config] = None,
                  holdout: Optional[str] = 'voc12-val') -> Dict[str, Config]:
    """The two arms' training configs: ``{'frskd': ..., 'twin': ...}``.

    Both validate (and save a checkpoint) at the end of the distillation
    warm-up and at the end, and with ``evaluate_teacher`` the FRSKD arm
    logs ``teacher/mIoU`` beside ``mIoU``.
    """
    if holdout not in HOLDOUTS:
        raise ValueError(f'holdout must be one of {HOLDOUTS}, got '
                         f'{holdout!r}')
    if not is_frskd_model(frskd_cfg.model):
        raise ValueError('the study config must be an FRSKD config (model.'
                         f'type one of {sorted(STUDENT_TYPES)}), got '
                         f"{frskd_cfg.model.get('type')!r}")
    if 'max_iters' not in frskd_cfg.get('train_cfg', {}):
        # its checkpoints and evaluations are placed by iteration
        raise ValueError(
            'the gain study runs iteration-based configs (train_cfg.'
            'max_iters), got train_cfg '
            f"{dict(frskd_cfg.get('train_cfg', {}))!r}")
    arms = dict(
        frskd=copy.deepcopy(frskd_cfg),
        twin=copy.deepcopy(baseline_cfg) if baseline_cfg is not None else
        baseline_twin_config(frskd_cfg))
    milestone = warmup_milestone(frskd_cfg)
    for name, cfg in arms.items():
        if holdout == 'voc12-val':
            cfg = arms[name] = holdout_voc12_val(cfg)
        else:
            cfg.val_dataloader = copy.deepcopy(cfg.test_dataloader)
        cfg.train_cfg.val_interval = milestone
        cfg.default_hooks.checkpoint.interval = milestone
        cfg.default_hooks.checkpoint.max_keep_ckpts = -1
        cfg.default_hooks.checkpoint.pop('save_best', None)
        cfg.val_evaluator = evaluator(teacher=name == 'frskd')
        cfg.test_evaluator = evaluator(teacher=name == 'frskd')
        if name == 'frskd':
            cfg.model.evaluate_teacher = True
        for key in ('work_dir', 'load_from', 'resume', 'launcher'):
            cfg.pop(key, None)
    return arms


def model_fingerprint(cfg: Config) -> str:
    """The recipe the FRSKD model of ``cfg`` resolves to
    (:func:`describe_recipe`; '' for any other segmentor): what the code's
    defaults fill in where the config is silent, so a change of those
    defaults shows here though the config's text is the same."""
    if not is_frskd_model(cfg.get('model')):
        return ''
    import torch
    from mmseg.registry import MODELS
    with torch.random.fork_rng(devices=[]):  # building initialises: draws
        model = MODELS.build(copy.deepcopy(cfg.model))
    return describe_recipe(model)


def loaded_files(node) -> List[str]:
    """The local files a config's model loads weights from: every
    ``init_cfg=dict(type='Pretrained', checkpoint=PATH)`` and every
    ``pretrained=PATH`` in it, where PATH is a file here (URLs and
    ``scheme://`` names are left to the config's text)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and osp.isfile(value) and (
                    key == 'pretrained' or key == 'checkpoint'
                    and node.get('type') == 'Pretrained'):
                found.append(value)
            else:
                found.extend(loaded_files(value))
    elif isinstance(node, (list, tuple)):
        for value in node:
            found.extend(loaded_files(value))
    return found


def file_digest(path: str) -> str:
    """SHA-1 of a file's content."""
    digest = hashlib.sha1()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def config_key(cfg: Config, name: str, threads: Optional[int] = None) -> str:
    """``<name>-<hash of the config's text>``: the cache key of its runs.

    For an FRSKD config its resolved recipe (:func:`model_fingerprint`)
    joins the hash: the two-line recipe leaves the distillation terms to the
    code's defaults, and the same text trained under other defaults is
    another run. ``threads`` (CPU threads per training) joins it when given:
    on a CPU the thread count changes the order of floating-point sums, so
    runs on 1 and on 2 threads are different samples, and the two arms of a
    pair must use the same count (with ``teacher_grad_scale=0`` their
    students stay bit-identical until distillation).
    Hooks that do not change what is computed (``PASSIVE_HOOKS``) leave
    it out: a config that declares ``GracefulStopHook`` and one trained by
    a tool that added it share their runs. The content of the weights the
    model loads (:func:`loaded_files`) joins it: a backbone remade at the
    same path trains other runs.
    """
    if cfg.get('custom_hooks'):
        cfg = copy.deepcopy(cfg)
        cfg.custom_hooks = active_hooks(cfg.custom_hooks)
    text = cfg.pretty_text
    fingerprint = model_fingerprint(cfg)
    if fingerprint:
        text += f'\n# model:\n{fingerprint}'
    for path in loaded_files(cfg.get('model', {})):
        text += f'\n# loads {path}: sha1 {file_digest(path)}'
    if threads is not None:
        text += f'\n# threads={threads}'
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    return f'{name}-{digest}'


def default_jobs(threads: Optional[int], gpus: int = 1) -> int:
    """Trainings at once: on a CPU-only machine as many as its cores hold at
    ``threads`` each (two 1-thread runs on 2 cores train ~1.4x faster in all
    than one 2-thread run: docs/studies.md); one where there is a GPU."""
    import torch
    if torch.cuda.is_available() or threads is None:
        return 1
    return max(1, (os.cpu_count() or 1) // max(1, threads))


def run_study(frskd_cfg: Config,
              seeds: Sequence[int],
              work_dir: str,
              runs_dir: Optional[str] = None,
              baseline_cfg: Optional[Config] = None,
              holdout: Optional[str] = 'voc12-val',
              title: str = 'FRSKD paired gain study',
              commands: Sequence[str] = (),
              python: str = sys.executable,
              gpus: int = 1,
              threads: Optional[int] = None,
              jobs: int = 1,
              diagnose: bool = True,
              warm_start_from: Optional[str] = None,
              warmup_eval: bool = True,
              echo=print) -> StudyResult:
    """Train and evaluate both arms for every seed (resumably), then write
    ``report.md``, ``report.png`` and ``study.json`` in ``work_dir``.

    ``jobs`` trainings run at once, each on ``threads`` CPU threads (part of
    the runs' cache key); the evaluations follow, one at a time, and with
    ``diagnose`` the diagnostics of the FRSKD runs
    (:mod:`.distill_diagnostics`) on the training images and the study's
    splits.

    ``warmup_eval=False`` evaluates each run at its end alone: the
    self-teacher's lead at the warm-up end is left out of the report (the
    demo's table), the rest is the same.

    ``warm_start_from``: the runs directory of another FRSKD config
    (``RUNS/<key>``) whose runs this study's FRSKD runs equal until the end
    of the warm-up (:func:`warmup_differences`: a variant of the
    distillation terms only). Each FRSKD run then resumes from that run's
    warm-up-end checkpoint -- exactly what it would have computed, in a
    third of the time for the official 2/3 warm-up.
    """
    arms = study_configs(frskd_cfg, baseline_cfg, holdout)
    runs_dir = runs_dir or osp.join(work_dir, 'runs')
    keys = {arm: config_key(cfg, arm, threads) for arm, cfg in arms.items()}
    max_iters = int(frskd_cfg.train_cfg.max_iters)
    warmup = warmup_milestone(frskd_cfg)
    splits = ['val', 'test'] if holdout else ['test']
    runs = [
        Run(arm, seed, cfg, osp.join(runs_dir, keys[arm], f'seed_{seed}'))
        for seed in seeds for arm, cfg in arms.items()
    ]
    for run in runs:
        if warm_start_from and run.arm == 'frskd' and not run.finished:
            run.warm_start = warmup_checkpoint(
                osp.join(warm_start_from, f'seed_{run.seed}'), run)
        echo(f'[gain_study] seed {run.seed} {run.arm}: '
             f'{"cached" if run.finished else "training"} in '
             f'{run.work_dir}')
    todo = [run for run in runs if not run.finished]
    environment = None
    if todo:
        environment = python_environment(python)
        check_environments(runs, environment)
    if jobs > 1 and len(todo) > 1:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(jobs) as pool:
            # list(): a failed training raises here
            list(pool.map(lambda r: r.train(python, echo, gpus, threads,
                                            environment), todo))
    else:
        for run in todo:
            run.train(python, echo, gpus, threads, environment)
    evals = {arm: {} for arm in arms}
    diagnostics = {}
    frskd_runs = {run.seed: run for run in runs if run.arm == 'frskd'}
    for run in runs:  # each seed's FRSKD run first
        if (warmup_eval and run.arm == 'twin' and baseline_cfg is None
                and warmup < max_iters):
            # until distillation starts the twin is its FRSKD run's student
            run.take_student_evaluation(frskd_runs[run.seed], warmup)
        ev = run.evaluate(
            sorted({warmup, run.max_iters} if warmup_eval else
                   {run.max_iters}), splits)
        # a twin trained longer (--twin-cfg-options) is compared at its end
        evals[run.arm][run.seed] = ev = {
            sp: {**by_iter, str(max_iters): by_iter[str(run.max_iters)]}
            for sp, by_iter in ev.items()}
        echo(f'[gain_study] seed {run.seed} {run.arm}: ' + ', '.join(
            f'{sp} mIoU {ev[sp][str(max_iters)]["mIoU"]:.2f}'
            for sp in splits))
        if run.arm == 'frskd' and diagnose:
            diagnostics[run.seed] = run.diagnose(sorted({warmup, max_iters}),
                                                 ['train', *splits])
    environments = {arm: {run.seed: run.environment for run in runs
                          if run.arm == arm} for arm in arms}
    result = StudyResult(list(seeds), evals, warmup, max_iters, splits,
                         list(commands), diagnostics, environments)
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, 'report.md'), 'w') as f:
        f.write(result.markdown(title))
    result.plot(osp.join(work_dir, 'report.png'), title)
    with open(osp.join(work_dir, 'study.json'), 'w') as f:
        json.dump(dict(seeds=list(seeds), keys=keys, warmup=warmup,
                       max_iters=max_iters, splits=splits,
                       summary=result.summary(),
                       diagnostics=result.mean_diagnostics(),
                       evals={a: {str(s): v for s, v in e.items()}
                              for a, e in evals.items()},
                       environments={a: {str(s): v for s, v in e.items()}
                                     for a, e in environments.items()}),
                  f, indent=1)
    return result
