"""Training curves of an FRSKD run from its work dir's logs."""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from frskd_seg.utils.errors import MissingFileError  # noqa: E402

#: the cross-entropies drawn before the distillation terms
CE_KEYS = ('decode.loss_ce', 'teacher.loss_ce')


def loss_terms(train: List[dict]) -> List[str]:
    """The loss terms to draw: the CEs, then every distillation term the
    records log (``distill.loss_<name>``: each loss logs its own name, e.g.
    ``loss_kd``, ``loss_at``, ``loss_fitnet``), in the order first logged."""
    logged = dict.fromkeys(k for r in train for k in r)
    return [k for k in CE_KEYS if k in logged] + [
        k for k in logged if k.startswith('distill.loss_')]


def load_scalars(work_dir: str) -> Tuple[List[dict], List[dict]]:
    """Training and validation records of every run in ``work_dir``
    (mmengine's ``<timestamp>/vis_data/scalars.json``; a resumed run adds a
    timestamp folder). Later runs win for iterations logged twice.

    Returns:
        (train, val): lists of dicts sorted by iteration; train records hold
        the logged loss terms at ``'iter'``, val records the metrics at
        ``'step'``.
    """
    files = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise MissingFileError(
            f'no */vis_data/scalars.json under {work_dir!r}: is it the '
            'work dir of a training run (LocalVisBackend)?')
    train: Dict[int, dict] = {}
    val: Dict[int, dict] = {}
    for path in files:
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if 'iter' in record:
                    train[record['iter']] = record
                elif 'mIoU' in record:
                    val[record['step']] = record
    return ([train[k] for k in sorted(train)], [val[k] for k in sorted(val)])


def plot_training_curves(work_dir: str, out_path: str,
                         twin_work_dir: Optional[str] = None) -> str:
    """Plot loss terms, distillation weight and validation mIoU -- the
    student's, its self-teacher's where logged, and a baseline twin's
    (``twin_work_dir``) beside them -- to a PNG."""
    train, val = load_scalars(work_dir)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    iters = [r['iter'] for r in train]
    for key in loss_terms(train):
        axes[0].plot(iters, [r.get(key, float('nan')) for r in train],
                     label=key)
    axes[0].set(title='loss terms (distillation terms weighted)',
                xlabel='iteration')
    axes[0].legend()
    if any('distill.weight' in r for r in train):
        axes[1].plot(iters, [r.get('distill.weight', 0) for r in train])
    axes[1].set(title='distillation weight w(iter)', xlabel='iteration',
                ylim=(-0.05, 1.05))
    curves = [('student', val, 'mIoU', 'o-'),
              ('self-teacher', val, 'teacher/mIoU', 's--')]
    if twin_work_dir is not None:
        curves.append(('baseline twin', load_scalars(twin_work_dir)[1],
                       'mIoU', '^:'))
    for label, records, key, style in curves:
        points = [(r['step'], r[key]) for r in records if key in r]
        if points:
            axes[2].plot(*zip(*points), style, label=label)
    axes[2].set(title='validation mIoU', xlabel='iteration', ylabel='%')
    if axes[2].lines:
        axes[2].legend()
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(osp.basename(osp.normpath(work_dir)))
    fig.tight_layout()
    fig.savefig(out_path, dpi=100)
    plt.close(fig)
    return out_path
