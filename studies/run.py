"""One training run of a gain study (an arm at a seed, in its own folder):
trained or resumed in a subprocess with the environment it started in,
evaluated and diagnosed with caching."""
import contextlib
import copy
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

from frskd_seg.evaluation.metrics.frskd_iou_metric import TEACHER_PRED_KEY
from .run_environment import differences_text, environment_differences


#: where a run started from another's warm-up-end checkpoint names it
WARM_START_FILE = 'warm_start_from'

#: the CPU threads every evaluation and diagnosis runs on, whatever the
#: environment's OMP_NUM_THREADS or core count: the thread count changes the
#: floating-point sums, and with them a class's IoU (by 0.01 on one demo
#: checkpoint's test split, 1 thread against 2); 2, the count the studies of
#: docs/results.md evaluated on
EVAL_THREADS = 2


@contextlib.contextmanager
def cpu_threads(count: int):
    """torch's intra-op CPU threads set to ``count`` inside, restored
    after."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def evaluator(teacher: bool, classwise: bool = False) -> List[dict]:
    """The student's IoU metric, and the self-teacher's as ``teacher/*``."""
    metrics = [dict(type='FRSKDIoUMetric', iou_metrics=['mIoU'],
                    classwise=classwise)]
    if teacher:
        metrics.append(
            dict(type='FRSKDIoUMetric', iou_metrics=['mIoU'],
                 pred_key=TEACHER_PRED_KEY, prefix='teacher',
                 classwise=classwise))
    return metrics


@dataclass
class Run:
    """One training run of one arm at one seed, in ``work_dir``."""
    arm: str
    seed: int
    cfg: Config
    work_dir: str
    log: List[str] = field(default_factory=list)
    #: a checkpoint at the end of the distillation warm-up of a run this one
    #: equals until then (:func:`warmup_checkpoint`): training resumes from
    #: it instead of repeating the warm-up
    warm_start: Optional[str] = None

    @property
    def max_iters(self) -> int:
        return int(self.cfg.train_cfg.max_iters)

    def checkpoint(self, it: int) -> str:
        return osp.join(self.work_dir, f'iter_{it}.pth')

    @property
    def finished(self) -> bool:
        return osp.isfile(osp.join(self.work_dir, 'done'))

    @property
    def environment(self) -> Optional[Dict[str, str]]:
        """The environment the run trained in
        (:func:`studies.run_environment.run_environment`;
        environment.json), None where it was not recorded."""
        return _recorded_environment(self.work_dir)

    def resume_refusal(self, environment: Dict[str, str]) -> Optional[str]:
        """Why the run cannot go on in ``environment``: it started in
        another (its environment.json differs); None where it recorded none
        or the same."""
        recorded = self.environment
        diff = (environment_differences(recorded, environment)
                if recorded is not None else None)
        if not diff:
            return None
        return (f'{self.arm} seed {self.seed} ({self.work_dir}) started in '
                'another environment than this one (then != now: '
                f'{differences_text(diff)}): finish it there, or delete the '
                'folder to train it again here')

    def train(self, python: str = sys.executable, echo=None,
              gpus: int = 1, threads: Optional[int] = None,
              environment: Optional[Dict[str, str]] = None) -> None:
        """Train (or resume) unless finished, with ``python -m
        frskd_seg.cli.train`` in the current directory (under
        ``torchrun --nproc_per_node gpus --launcher pytorch`` when ``gpus``
        > 1) on ``threads`` CPU threads (``OMP_NUM_THREADS``; None: torch's
        default). The output goes to train.log; ``echo`` gets its progress
        lines (every 200th iteration's and the validation results).

        ``environment`` (``python``'s :func:`run_environment`) is recorded
        in environment.json when the run starts; resuming it in another
        raises ``RuntimeError``: one run's numbers would come from two."""
        if self.finished:
            return
        os.makedirs(self.work_dir, exist_ok=True)
        if environment is not None:
            refusal = self.resume_refusal(environment)
            if refusal:
                raise RuntimeError(refusal)
            if self.environment is None:
                with open(osp.join(self.work_dir, 'environment.json'),
                          'w') as f:
                    json.dump(environment, f, indent=1)
        config = osp.join(self.work_dir, 'config.py')
        cfg = copy.deepcopy(self.cfg)
        cfg.randomness = dict(cfg.get('randomness', {}), seed=self.seed)
        # no validation inside the training: the study evaluates every
        # checkpoint afterwards, on both splits (:meth:`evaluate`); with
        # RNGStateHook (every shipped config) the training is the same, bit
        # for bit, as with validations
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
        cfg.dump(config)
        if self.warm_start and not osp.isfile(
                osp.join(self.work_dir, 'last_checkpoint')):
            start = osp.join(self.work_dir, osp.basename(self.warm_start))
            shutil.copyfile(self.warm_start, start)
            with open(osp.join(self.work_dir, 'last_checkpoint'), 'w') as f:
                f.write(osp.abspath(start))
            with open(osp.join(self.work_dir, WARM_START_FILE), 'w') as f:
                f.write(osp.abspath(self.warm_start))
            if echo is not None:
                echo(f'    {self.arm} seed {self.seed}: from the warm-up end '
                     f'of {self.warm_start}')
        # the installed package's training entry point (not a checkout's
        # tools/), run in the caller's working directory
        cmd = [python, '-m', 'frskd_seg.cli.train', config,
               '--work-dir', self.work_dir]
        if gpus > 1:
            cmd[1:1] = ['-m', 'torch.distributed.run',
                        f'--nproc_per_node={gpus}']  # then -m our module
            cmd += ['--launcher', 'pytorch']
        if osp.isfile(osp.join(self.work_dir, 'last_checkpoint')):
            cmd.append('--resume')
        env = dict(os.environ)
        if threads is not None:
            env['OMP_NUM_THREADS'] = str(threads)
        with open(osp.join(self.work_dir, 'train.log'), 'a') as log:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT,
                                    text=True, env=env)
            for line in proc.stdout:
                log.write(line)
                if echo is not None and _is_progress(line):
                    echo(f'    {self.arm} seed {self.seed}: '
                         + line.split(' - ')[-1].strip()[:160])
            proc.wait()
        if proc.returncode != 0:
            raise RuntimeError(
                f'training {self.arm} seed {self.seed} failed (exit '
                f'{proc.returncode}); see {self.work_dir}/train.log')
        if not osp.isfile(self.checkpoint(self.max_iters)):
            raise RuntimeError(f'{self.checkpoint(self.max_iters)} missing '
                               'after training')
        with open(osp.join(self.work_dir, 'done'), 'w') as f:
            f.write(' '.join(cmd) + '\n')

    def _cached(self, filename: str, iters: Sequence[int],
                splits: Sequence[str], compute) -> dict:
        """``{split: {iter: compute(split, checkpoint)}}``, computed on
        :data:`EVAL_THREADS` CPU threads and cached in ``work_dir/filename``
        (each result written as it comes)."""
        path = osp.join(self.work_dir, filename)
        cache = _read_json(path)
        for split in splits:
            for it in iters:
                if str(it) in cache.get(split, {}):
                    continue
                with cpu_threads(EVAL_THREADS):
                    cache.setdefault(split, {})[str(it)] = compute(
                        split, self.checkpoint(it))
                with open(path, 'w') as f:
                    json.dump(cache, f, indent=1)
        return cache

    def evaluate(self, iters: Sequence[int], splits: Sequence[str]) -> dict:
        """``{split: {iter: metrics}}`` of the checkpoints at ``iters``
        (student, and for FRSKD ``teacher/*``), cached in eval.json. A run
        started from another's warm-up-end checkpoint takes that run's
        evaluation of it: the same checkpoint, bit for bit."""
        self._reuse_warm_start_evaluation()
        return self._cached(
            'eval.json', iters, splits,
            lambda split, ckpt: evaluate_checkpoint(
                self.cfg, ckpt, split, teacher=self.arm == 'frskd',
                work_dir=osp.join(self.work_dir, 'eval')))

    def _reuse_warm_start_evaluation(self) -> None:
        marker = osp.join(self.work_dir, WARM_START_FILE)
        if not osp.isfile(marker):
            return
        with open(marker) as f:
            start = f.read().strip()
        it = osp.splitext(osp.basename(start))[0].split('_')[-1]
        base = _read_json(osp.join(osp.dirname(start), 'eval.json'))
        self._add_evaluations({split: by_iter[it] for split, by_iter in
                               base.items() if it in by_iter}, it)

    def take_student_evaluation(self, other: 'Run', it: int) -> bool:
        """Take ``other``'s evaluation of its student at ``it`` (its metrics
        without ``teacher/*``, on every split it evaluated and this run has
        not) into this run's cache, where this run's checkpoint at ``it``
        holds exactly the weights ``other``'s holds under the same names:
        the same student, bit for bit. It predicts the same, so its metrics
        are the same, where the two runs evaluate alike (the caller's part:
        a twin derived from ``other``'s config). A twin and its FRSKD run
        hold the same student until distillation starts (the self-teacher's
        CE detached). Returns whether it was taken."""
        import torch
        from frskd_seg.utils.checkpoint import load_local_checkpoint
        mine = _read_json(osp.join(self.work_dir, 'eval.json'))
        theirs = {
            split: by_iter[str(it)] for split, by_iter in _read_json(
                osp.join(other.work_dir, 'eval.json')).items()
            if str(it) in by_iter and str(it) not in mine.get(split, {})}
        if not theirs:
            return False
        weights, student = (
            load_local_checkpoint(run.checkpoint(it),
                                  map_location='cpu')['state_dict']
            for run in (self, other))
        if not all(k in student and student[k].shape == v.shape
                   and torch.equal(student[k], v) for k, v in weights.items()):
            return False
        self._add_evaluations(
            {split: {k: v for k, v in metrics.items()
                     if not k.startswith('teacher/')}
             for split, metrics in theirs.items()}, str(it))
        return True

    def _add_evaluations(self, found: Dict[str, dict], it: str) -> None:
        """``found`` (``{split: metrics}`` at iteration ``it``) into
        eval.json, where it has none of its own."""
        if not found:
            return
        path = osp.join(self.work_dir, 'eval.json')
        cache = _read_json(path)
        for split, metrics in found.items():
            cache.setdefault(split, {}).setdefault(it, metrics)
        with open(path, 'w') as f:
            json.dump(cache, f, indent=1)

    def diagnose(self, iters: Sequence[int], splits: Sequence[str]) -> dict:
        """``{split: {iter: diagnostics}}`` of an FRSKD run's checkpoints
        (:func:`diagnose_checkpoint`), cached in diagnostics.json."""
        from .distill_diagnostics import diagnose_checkpoint
        return self._cached(
            'diagnostics.json', iters, splits,
            lambda split, ckpt: diagnose_checkpoint(self.cfg, ckpt, split))


def _read_json(path: str) -> dict:
    """The JSON object in ``path``; {} where there is no file."""
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _recorded_environment(work_dir: str) -> Optional[Dict[str, str]]:
    path = osp.join(work_dir, 'environment.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def check_environments(runs: Sequence[Run],
                       environment: Dict[str, str]) -> None:
    """Raise ``ValueError`` before any training where a run that would
    train in ``environment`` started in another (an interrupted run: it
    would resume there, :meth:`Run.train`), or is paired with a finished run
    (the other arm of its seed, or the run its warm-up comes from) recorded
    in another: the pair would not start from the same weights and batches
    bit for bit."""
    for run in runs:
        if run.finished:
            continue
        refusal = run.resume_refusal(environment)
        if refusal:
            raise ValueError(refusal)
        partners = [r.work_dir for r in runs
                    if r.seed == run.seed and r.arm != run.arm
                    and r.finished]
        if run.warm_start:
            partners.append(osp.dirname(run.warm_start))
        for partner in partners:
            recorded = _recorded_environment(partner)
            if recorded is None:  # trained before runs recorded it
                continue
            diff = environment_differences(recorded, environment)
            if diff:
                raise ValueError(
                    f'{run.arm} seed {run.seed} would train here, paired '
                    f'with {partner}, which trained in another environment '
                    f'(there != here: {differences_text(diff)}): run the '
                    'study where that run trained, or give it a --runs-dir '
                    'of its own')


def _is_progress(line: str) -> bool:
    if 'Iter(val) [' in line:
        return 'mIoU' in line
    if 'Iter(train) [' not in line:
        return False
    it = line.split('Iter(train) [')[1].split('/')[0].strip()
    return it.isdigit() and int(it) % 200 == 0


def evaluate_checkpoint(cfg: Config, checkpoint: str, split: str,
                        teacher: bool, work_dir: str) -> dict:
    """Metrics (mIoU, per-class IoU; ``teacher/*`` too when ``teacher``) of
    ``checkpoint`` on ``split`` ('val': the config's ``val_dataloader``,
    'test': its ``test_dataloader``)."""
    from mmengine.runner import Runner
    if split not in ('val', 'test'):
        raise ValueError(f"split must be 'val' or 'test', got {split!r}")
    cfg = copy.deepcopy(cfg)
    if teacher:
        cfg.model.evaluate_teacher = True
    cfg.default_hooks.pop('visualization', None)
    loader = cfg.val_dataloader if split == 'val' else cfg.test_dataloader
    # one pass: a persistent worker outlives it, and shutting it down when
    # the loader is collected waited 3-7 s per evaluation (the demo's pass
    # takes 5)
    loader.persistent_workers = False
    # Runner.from_cfg's test part, without the config itself: a Runner given
    # one formats it (yapf, about a second each time) to log it and to dump
    # it in work_dir; the run's folder holds the config already
    runner = Runner(
        model=cfg.model,
        work_dir=work_dir,
        test_dataloader=loader,
        test_cfg=cfg.get('test_cfg'),
        test_evaluator=evaluator(teacher, classwise=True),
        default_hooks=cfg.get('default_hooks'),
        custom_hooks=cfg.get('custom_hooks'),
        data_preprocessor=cfg.get('data_preprocessor'),
        load_from=checkpoint,
        env_cfg=cfg.get('env_cfg', dict(dist_cfg=dict(backend='nccl'))),
        log_processor=cfg.get('log_processor'),
        log_level='WARNING',
        visualizer=cfg.get('visualizer'),
        default_scope=cfg.get('default_scope', 'mmengine'),
        randomness=cfg.get('randomness', dict(seed=None)))
    metrics = runner.test()
    return {k: float(v) for k, v in metrics.items()}
