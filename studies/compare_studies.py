"""Which of two FRSKD variants is better, paired: the difference of their
students' mIoU seed by seed (the same seed: the same initial student and
the same batches), over the seeds both gain studies ran, with its mean, its
95 % confidence interval and the smallest difference the seeds could
detect. Two variants of the distillation terms that share a warm-up differ
only after it, so their difference has a far smaller spread than either
gain over the twin: this is how a design is chosen between variants."""
import json
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .study_result import (detectable_effect, detectable_text,
                           interval_text, t_interval)


@dataclass
class VariantDifference:
    """``b - a`` of the FRSKD students' final mIoU on one split, per seed;
    pooled over several pairs of studies (other backbones), each value's
    pair in ``groups``."""
    split: str
    seeds: List[int]
    differences: List[float]
    groups: List[str] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return t_interval(self.differences)[0]

    @property
    def ci(self) -> float:
        """Half-width of the 95 % confidence interval (NaN for one seed)."""
        return t_interval(self.differences)[1]

    @property
    def detectable(self) -> float:
        return detectable_effect(self.differences)

    def _by_group(self) -> List[np.ndarray]:
        groups = self.groups or [''] * len(self.differences)
        return [np.array([d for d, g in zip(self.differences, groups)
                          if g == name]) for name in dict.fromkeys(groups)]

    @property
    def between_sd(self) -> float:
        """SD of the groups' means (NaN for one group)."""
        means = [g.mean() for g in self._by_group()]
        return float(np.std(means, ddof=1)) if len(means) > 1 else math.nan

    @property
    def within_sd(self) -> float:
        """SD of the values around their group's mean (pooled over the
        groups)."""
        groups = self._by_group()
        dof = sum(len(g) - 1 for g in groups)
        if dof < 1:
            return math.nan
        return float(math.sqrt(sum(((g - g.mean())**2).sum()
                                   for g in groups) / dof))


def load_study(work_dir: str) -> dict:
    """The ``study.json`` a gain study wrote in ``work_dir``."""
    path = osp.join(work_dir, 'study.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{work_dir!r} holds no study.json: expected the --work-dir of '
            'a finished tools/gain_study.py run')
    with open(path) as f:
        return json.load(f)


def _student_miou(study: dict, seed: str, split: str) -> float:
    return study['evals']['frskd'][seed][split][str(
        study['max_iters'])]['mIoU']


def compare_studies(study_a: dict,
                    study_b: dict) -> Dict[str, VariantDifference]:
    """Per split both studies evaluated, ``b - a`` over their common seeds.
    Raises ValueError when they share no seed or no split, or train for a
    different number of iterations."""
    if study_a['max_iters'] != study_b['max_iters']:
        raise ValueError(
            f"the studies train for {study_a['max_iters']} and "
            f"{study_b['max_iters']} iterations: their students are not "
            'comparable seed by seed')
    seeds = sorted(set(study_a['evals']['frskd']) &
                   set(study_b['evals']['frskd']), key=int)
    splits = [s for s in study_a['splits'] if s in study_b['splits']]
    if not seeds or not splits:
        raise ValueError(
            f"the studies share no {'seed' if not seeds else 'split'}: seeds "
            f"{sorted(study_a['evals']['frskd'], key=int)} and "
            f"{sorted(study_b['evals']['frskd'], key=int)}, splits "
            f"{study_a['splits']} and {study_b['splits']}")
    return {
        split: VariantDifference(split, [int(s) for s in seeds], [
            _student_miou(study_b, s, split) - _student_miou(study_a, s, split)
            for s in seeds
        ])
        for split in splits
    }


def twin_gains(study: dict) -> Dict[str, VariantDifference]:
    """Per split, the FRSKD student's final mIoU minus its twin's, seed by
    seed: a study's paired gain."""
    seeds = sorted(study['evals']['frskd'], key=int)
    end = str(study['max_iters'])
    return {
        split: VariantDifference(split, [int(s) for s in seeds], [
            study['evals']['frskd'][s][split][end]['mIoU'] -
            study['evals']['twin'][s][split][end]['mIoU'] for s in seeds
        ])
        for split in study['splits']
    }


def pooled(parts: Sequence[Tuple[str, Dict[str, VariantDifference]]]
           ) -> Dict[str, VariantDifference]:
    """The differences of several pairs of studies (``(label, per split)``,
    e.g. one per backbone) as one sample per split, each value tagged with
    its label; the splits all of them have."""
    splits = [s for s in parts[0][1] if all(s in p for _, p in parts)]
    return {
        split: VariantDifference(
            split, [s for _, p in parts for s in p[split].seeds],
            [d for _, p in parts for d in p[split].differences],
            [label for label, p in parts for _ in p[split].differences])
        for split in splits
    }


def difference_table(differences: Dict[str, VariantDifference]) -> str:
    """Markdown: per split the mean difference, its CI, the detectable
    difference and the per-seed values; pooled over groups, the spread
    between the groups' means beside the spread within them."""
    grouped = any(d.groups for d in differences.values())
    spread = ' SD between groups / within |' if grouped else ''
    lines = [f'| split | seeds | B - A (95 % CI) | detectable |{spread} '
             'per seed |',
             '| --- | ---: | ---: | ---: |' + (' ---: |' if grouped else '')
             + ' --- |']
    for d in differences.values():
        per_seed = ', '.join(f'{v:+.2f}' for v in d.differences)
        sds = (f' {d.between_sd:.2f} / {d.within_sd:.2f} |'
               if grouped else '')
        lines.append(f'| {d.split} | {len(d.seeds)} | **{d.mean:+.2f}** '
                     f'{interval_text(d.mean, d.ci)} | '
                     f'{detectable_text(d.detectable)} |{sds} {per_seed} |')
    return '\n'.join(lines)
