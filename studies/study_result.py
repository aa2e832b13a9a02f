"""The paired study's statistics and report: per-seed gains, their mean with
a 95 % confidence interval, the smallest effect the study could detect,
the spread the pairing cancels (or not), per-class gains, the
self-teacher's lead, the diagnostics table, the environments the runs
trained in, a figure."""
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np


def detectable_effect(values: Sequence[float], level: float = 0.95,
                      power: float = 0.8) -> float:
    """The smallest mean gain a paired study of ``len(values)`` seeds with
    their spread would find with probability ``power`` at two-sided
    ``level``: ``(t_{1-a/2} + t_{power}) * sd / sqrt(n)``, n - 1 degrees of
    freedom; NaN for n < 2."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n < 2:
        return math.nan
    from scipy import stats
    t = stats.t.ppf(0.5 + level / 2, n - 1) + stats.t.ppf(power, n - 1)
    return float(t * values.std(ddof=1) / math.sqrt(n))


def t_interval(values: Sequence[float], level: float = 0.95):
    """Mean and the half-width of its ``level`` confidence interval (t
    distribution, n - 1 degrees of freedom); half-width NaN for n < 2."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan
    from scipy import stats
    sem = values.std(ddof=1) / math.sqrt(len(values))
    return mean, float(stats.t.ppf(0.5 + level / 2, len(values) - 1) * sem)


def interval_text(mean: float, ci: float) -> str:
    """``[low, high]`` of a mean and its CI half-width, 'n/a' without one."""
    return 'n/a' if math.isnan(ci) else f'[{mean - ci:+.2f}, {mean + ci:+.2f}]'


def _signed(value: float) -> str:
    return 'n/a' if math.isnan(value) else f'{value:+.2f}'


def detectable_text(detectable: float) -> str:
    return 'n/a' if math.isnan(detectable) else f'{detectable:.2f}'


@dataclass
class StudyResult:
    """Per-seed metrics of both arms: ``evals[arm][seed] = {split: {iter:
    metrics}}``; ``warmup`` and ``max_iters`` name the two checkpoints."""
    seeds: List[int]
    evals: Dict[str, Dict[int, dict]]
    warmup: int
    max_iters: int
    splits: List[str]
    commands: List[str] = field(default_factory=list)
    #: per seed, the FRSKD run's ``{split: {iter: diagnostics}}``
    #: (:mod:`.distill_diagnostics`), splits 'train' and :attr:`splits`
    diagnostics: Dict[int, dict] = field(default_factory=dict)
    #: per arm and seed, the environment the run trained in
    #: (:mod:`studies.run_environment`), None where not recorded
    environments: Dict[str, Dict[int, Optional[dict]]] = field(
        default_factory=dict)

    def environment_groups(self) -> List[Tuple[Optional[dict], List[str]]]:
        """The distinct environments of the runs, each with its runs
        (``'twin 0'``, ``'frskd 0'``, ...) in order of first appearance;
        None gathers the runs that recorded none."""
        groups: List[Tuple[Optional[dict], List[str]]] = []
        for seed in self.seeds:
            for arm in ('twin', 'frskd'):
                env = self.environments.get(arm, {}).get(seed)
                for known, names in groups:
                    if known == env:
                        names.append(f'{arm} {seed}')
                        break
                else:
                    groups.append((env, [f'{arm} {seed}']))
        return groups

    def mixed_pairs(self) -> List[int]:
        """Seeds whose twin and FRSKD runs recorded different
        environments."""
        return [s for s in self.seeds
                if None not in (self.environments.get('twin', {}).get(s),
                                self.environments.get('frskd', {}).get(s))
                and self.environments['twin'][s] !=
                self.environments['frskd'][s]]

    def mean_diagnostics(self) -> Dict[str, Dict[str, float]]:
        """Diagnostics averaged over the seeds, by ``'<split> @<iter>'``."""
        rows = {}
        if not self.diagnostics:
            return rows
        first = self.diagnostics[self.seeds[0]]
        for split in first:
            for it in sorted(first[split], key=int):
                keys = first[split][it]
                rows[f'{split} @{it}'] = {
                    k: float(np.mean([self.diagnostics[s][split][it][k]
                                      for s in self.seeds])) for k in keys}
        return rows

    def metric(self, arm: str, seed: int, split: str, key: str = 'mIoU',
               it: Optional[int] = None) -> float:
        it = self.max_iters if it is None else it
        return self.evals[arm][seed][split][str(it)][key]

    def gains(self, split: str, key: str = 'mIoU') -> List[float]:
        return [
            self.metric('frskd', s, split, key) -
            self.metric('twin', s, split, key) for s in self.seeds
        ]

    def spread(self, split: str) -> Dict[str, float]:
        """What the pairing buys on ``split``: the SD over the seeds of the
        twin's and the FRSKD student's mIoU, their correlation and the SD
        of the paired gains, which follows from them: ``gain_sd**2 =
        twin_sd**2 + student_sd**2 - 2 * correlation * twin_sd *
        student_sd`` (NaN below 2 seeds, or a constant arm's correlation).
        An exact pairing (the same student and batches until distillation)
        keeps the correlation near 1; a student trained differently from
        the first step loses it, and the gains spread like the twins."""
        twin = np.array([self.metric('twin', s, split) for s in self.seeds])
        student = np.array([self.metric('frskd', s, split)
                            for s in self.seeds])
        if len(self.seeds) < 2:
            return dict(twin_sd=math.nan, student_sd=math.nan,
                        correlation=math.nan, gain_sd=math.nan)
        twin_sd, student_sd = twin.std(ddof=1), student.std(ddof=1)
        correlation = (math.nan if twin_sd == 0 or student_sd == 0 else
                       float(np.corrcoef(twin, student)[0, 1]))
        return dict(twin_sd=float(twin_sd), student_sd=float(student_sd),
                    correlation=correlation,
                    gain_sd=float(np.std(self.gains(split), ddof=1)))

    def evaluated_at(self, it: int) -> bool:
        """Whether every run was evaluated at iteration ``it`` on every
        split (a study may evaluate the end alone)."""
        return all(str(it) in self.evals[arm][s][split]
                   for arm in ('twin', 'frskd') for s in self.seeds
                   for split in self.splits)

    def teacher_leads(self, split: str, it: int) -> List[float]:
        return [
            self.metric('frskd', s, split, 'teacher/mIoU', it) -
            self.metric('frskd', s, split, 'mIoU', it) for s in self.seeds
        ]

    def class_gains(self, split: str) -> Dict[str, float]:
        names = [
            k[4:] for k in self.evals['twin'][self.seeds[0]][split][str(
                self.max_iters)] if k.startswith('IoU.')
        ]
        out = {}
        for name in names:
            gains = [g for g in self.gains(split, 'IoU.' + name)
                     if not math.isnan(g)]
            out[name] = float(np.mean(gains)) if gains else math.nan
        return out

    def summary(self) -> Dict[str, dict]:
        """Per split: mean gain and CI half-width, teacher leads."""
        out = {}
        for split in self.splits:
            gain, ci = t_interval(self.gains(split))
            out[split] = dict(
                gain=gain, ci=ci,
                detectable=detectable_effect(self.gains(split)),
                twin=float(np.mean([self.metric('twin', s, split)
                                    for s in self.seeds])),
                student=float(np.mean([self.metric('frskd', s, split)
                                       for s in self.seeds])),
                teacher=float(np.mean([
                    self.metric('frskd', s, split, 'teacher/mIoU')
                    for s in self.seeds
                ])),
                lead_warmup=float(np.mean(
                    self.teacher_leads(split, self.warmup)))
                if self.evaluated_at(self.warmup) else math.nan,
                lead_end=float(np.mean(
                    self.teacher_leads(split, self.max_iters))))
        return out

    def markdown(self, title: str) -> str:
        lines = [f'# {title}', '']
        lines += [f'    {c}' for c in self.commands] + ['']
        summary = self.summary()
        n = len(self.seeds)
        lines += [
            f'Seeds: {" ".join(map(str, self.seeds))} ({n} paired). '
            'Gain = FRSKD student - twin, mIoU; CI: 95 %, t distribution '
            'over the seeds. Detectable: the smallest mean gain this many '
            'seeds with this spread find 80 % of the time (two-sided, 5 %).',
            '',
            '| split | twin | FRSKD student | gain (95 % CI) | detectable '
            '| self-teacher | teacher - student at warm-up end | at the end |',
            '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
        ]
        for split, s in summary.items():
            ci = interval_text(s['gain'], s['ci'])
            detectable = detectable_text(s['detectable'])
            lines.append(
                f'| {split} | {s["twin"]:.2f} | {s["student"]:.2f} | '
                f'**{s["gain"]:+.2f}** {ci} | {detectable} | '
                f'{s["teacher"]:.2f} | '
                f'{_signed(s["lead_warmup"])} | {s["lead_end"]:+.2f} |')
        if n >= 2:
            lines += self._spread_lines()
        lines += ['', '## Per seed (mIoU at the end)', '']
        head = '| seed |' + ''.join(
            f' {sp}: twin | FRSKD | gain | teacher |' for sp in self.splits)
        lines += [head, '| ---: |' + ' ---: |' * 4 * len(self.splits)]
        for seed in self.seeds:
            row = f'| {seed} |'
            for sp in self.splits:
                twin = self.metric('twin', seed, sp)
                student = self.metric('frskd', seed, sp)
                teacher = self.metric('frskd', seed, sp, 'teacher/mIoU')
                row += (f' {twin:.2f} | {student:.2f} | '
                        f'{student - twin:+.2f} | {teacher:.2f} |')
            lines.append(row)
        if self.diagnostics:
            from .distill_diagnostics import diagnostics_table
            lines += [
                '', '## Diagnostics of the FRSKD runs (mean over seeds)', '',
                'mIoU of the student and its self-teacher on the training '
                'images (read with the test pipeline) and on the held-out '
                'splits, at the end of the warm-up and at the end; the '
                "self-teacher with its logits first reduced to the student's "
                'logit resolution; shares of labelled pixels where one is '
                'right and the other wrong.', '',
                diagnostics_table(self.mean_diagnostics())]
        if self.environments:
            lines += ['', '## Environment', ''] + self._environment_lines()
        split = self.splits[-1]
        lines += ['', f'## Per-class gain ({split}, mean over seeds)', '',
                  '| class | gain |', '| --- | ---: |']
        lines += [f'| {name} | {gain:+.2f} |'
                  for name, gain in self.class_gains(split).items()]
        return '\n'.join(lines) + '\n'

    def _environment_lines(self) -> List[str]:
        groups = self.environment_groups()
        lines = []
        recorded = sum(env is not None for env, _ in groups)
        if recorded > 1:
            lines += [
                f'**The runs trained in {recorded} environments** '
                '(the same config and seed give other numbers in each).',
                '']
        mixed = self.mixed_pairs()
        if mixed:
            lines += [
                '**Seeds whose twin and FRSKD run trained in different '
                f'environments (not paired bit for bit): '
                f'{" ".join(map(str, mixed))}.**', '']
        for env, names in groups:
            runs = ', '.join(names)
            if env is None:
                lines += [f'- {runs}: not recorded']
            else:
                lines += [f'- {runs}: ' + ', '.join(
                    f'{k} {v}' for k, v in env.items())]
        return lines

    def _spread_lines(self) -> List[str]:
        lines = [
            '', '## Spread over the seeds (mIoU at the end)', '',
            "SD of the twin's and of the FRSKD student's mIoU, their "
            'correlation, and the SD of the paired gains (the detectable '
            'gain is proportional to it): the closer the correlation to 1, '
            'the more the pairing cancels the seed-to-seed noise.', '',
            '| split | twin SD | FRSKD student SD | correlation | gain SD |',
            '| --- | ---: | ---: | ---: | ---: |'
        ]
        for split in self.splits:
            sp = self.spread(split)
            lines.append(f'| {split} | {sp["twin_sd"]:.2f} | '
                         f'{sp["student_sd"]:.2f} | '
                         f'{sp["correlation"]:.2f} | {sp["gain_sd"]:.2f} |')
        return lines

    def plot(self, path: str, title: str) -> str:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        split = self.splits[-1]
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
        ax = axes[0]
        for seed in self.seeds:
            twin = self.metric('twin', seed, split)
            student = self.metric('frskd', seed, split)
            teacher = self.metric('frskd', seed, split, 'teacher/mIoU')
            ax.plot([0, 1], [twin, student], 'o-', color='tab:blue')
            ax.plot([1.15], [teacher], 's', color='tab:orange')
        ax.set_xticks([0, 1, 1.15],
                      ['twin', 'FRSKD\nstudent', 'self-\nteacher'])
        ax.set_ylabel(f'mIoU ({split})')
        ax.set_title('paired runs (one line per seed)')
        ax = axes[1]
        gains = self.class_gains(split)
        ax.bar(range(len(gains)), list(gains.values()),
               color=['tab:green' if g >= 0 else 'tab:red'
                      for g in gains.values()])
        ax.set_xticks(range(len(gains)), list(gains), rotation=90)
        ax.axhline(0, color='k', lw=0.8)
        ax.set_title('per-class IoU gain, mean over seeds')
        ax = axes[2]
        its = [it for it in (self.warmup, self.max_iters)
               if self.evaluated_at(it)]
        for sp in self.splits:
            leads = [np.mean(self.teacher_leads(sp, it)) for it in its]
            ax.plot(its, leads, 'o-', label=sp)
        ax.axhline(0, color='k', lw=0.8)
        ax.set_xlabel('iteration')
        ax.set_ylabel('teacher - student mIoU')
        ax.set_title('self-teacher lead: warm-up end, end')
        ax.legend()
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return path
