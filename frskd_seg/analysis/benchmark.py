"""What FRSKD costs: an FRSKD model against its baseline twin, side by side in
one process (parameters, FLOPs, training-step time and peak memory, inference
time, and where an FRSKD training step spends its time)."""
import copy
import statistics
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.structures import PixelData

from frskd_seg.models.segmentors import FRSKDMixin, is_frskd_model
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from . import step_memory
from .complexity import frskd_complexity, student_cost
from .timing import (SPREAD_WARNING, TrainStep,  # noqa: F401
                     paired_median_times, paired_times, peak_memory, spread,
                     step_breakdown)


def build_benchmark_model(cfg: Config, device: str) -> torch.nn.Module:
    """The config's model without pretrained weights, BN instead of SyncBN
    (one process), distillation at full weight from the first iteration (the
    costliest case), predicting with the student alone (as deployed: no
    ``evaluate_teacher``)."""
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pretrained = None
    if is_frskd_model(model_cfg):
        model_cfg.distill_schedule = dict(type='DistillSchedule')
        model_cfg.evaluate_teacher = False
    model = MODELS.build(Config(dict(model=model_cfg)).model)
    return revert_sync_batchnorm(model).to(device)


def synthetic_batch(batch_size: int, shape: Tuple[int, int],
                    num_classes: int, device: str, seed: int = 0,
                    ignore_rows: int = 8, edge_map: bool = False):
    """Images (B, 3, H, W), already normalised, and data samples with random
    labels in 0..num_classes-1 and ``ignore_rows`` rows of 255 on top, as
    the data preprocessor hands them to ``model.loss``/``model.predict``;
    with ``edge_map``, also random boundary labels ``gt_edge_map`` (what
    PIDNet's head trains on)."""
    g = torch.Generator().manual_seed(seed)
    h, w = shape
    inputs = torch.randn(batch_size, 3, h, w, generator=g).to(device)
    samples = []
    for _ in range(batch_size):
        label = torch.randint(0, num_classes, (1, h, w), generator=g)
        label[:, :ignore_rows] = 255
        sample = SegDataSample(
            metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                          pad_shape=(h, w), padding_size=[0, 0, 0, 0]))
        sample.gt_sem_seg = PixelData(data=label.to(device))
        if edge_map:
            sample.gt_edge_map = PixelData(data=torch.randint(
                0, 2, (1, h, w), generator=g).to(device))
        samples.append(sample)
    return inputs, samples


@dataclass
class ModelCost:
    params: int
    flops: int
    train_step_s: float
    train_peak_bytes: int
    inference_s: float


@dataclass
class BenchmarkResult:
    baseline: ModelCost
    frskd: ModelCost
    self_teacher_share: Tuple[float, float]  # (params, FLOPs) / student
    step_breakdown_s: Dict[str, float] = field(default_factory=dict)
    settings: Dict[str, object] = field(default_factory=dict)
    #: (max - min) / median of the repeats, e.g. 'training step, frskd'
    spreads: Dict[str, float] = field(default_factory=dict)

    def ratios(self) -> Dict[str, float]:
        return {
            name: getattr(self.frskd, name) / getattr(self.baseline, name)
            for name in ('params', 'flops', 'train_step_s',
                         'train_peak_bytes', 'inference_s')
        }

    def table(self) -> str:
        rows = [
            ('parameters (M)', 'params', 1e-6, '{:.2f}'),
            ('GFLOPs (inference)', 'flops', 1e-9, '{:.1f}'),
            ('training step (s)', 'train_step_s', 1, '{:.3f}'),
            ('training peak memory (MB)', 'train_peak_bytes', 2**-20,
             '{:.0f}'),
            ('inference (s)', 'inference_s', 1, '{:.3f}'),
        ]
        ratios = self.ratios()
        lines = [
            ', '.join(f'{k}={v}' for k, v in self.settings.items()),
            f'{"":<28}{"baseline":>12}{"FRSKD":>12}{"FRSKD/base":>12}'
        ]
        for label, key, scale, fmt in rows:
            lines.append(
                f'{label:<28}'
                f'{fmt.format(getattr(self.baseline, key) * scale):>12}'
                f'{fmt.format(getattr(self.frskd, key) * scale):>12}'
                f'{ratios[key]:>12.3f}')
        p, f = self.self_teacher_share
        lines.append(f'params and FLOPs count the deployed model; the '
                     f'self-teacher + its head add {100 * p:.1f} % params, '
                     f'{100 * f:.1f} % FLOPs (training only)')
        if self.step_breakdown_s:
            total = sum(self.step_breakdown_s.values())
            width = max(len(part) for part in self.step_breakdown_s)
            lines.append('FRSKD training step, where the time goes:')
            for part, seconds in self.step_breakdown_s.items():
                lines.append(f'  {part:<{width}}{seconds:>9.3f} s '
                             f'{100 * seconds / total:>6.1f} %')
        noisy = {k: v for k, v in self.spreads.items()
                 if v > SPREAD_WARNING}
        if noisy:
            lines.append(
                f'WARNING: repeats spread more than '
                f'{100 * SPREAD_WARNING:.0f} % ((max - min) / median): '
                + ', '.join(f'{k} {100 * v:.0f} %'
                            for k, v in noisy.items())
                + '; the machine was busy: rerun on a quiet one, or with '
                'more --repeats')
        return '\n'.join(lines)


def benchmark(frskd_cfg: Config,
              baseline_cfg: Optional[Config] = None,
              shape: Tuple[int, int] = (512, 512),
              batch_size: int = 2,
              repeats: int = 5,
              warmup: int = 2,
              device: str = 'cpu',
              breakdown: bool = True,
              profile_rows: int = 0,
              amp: Optional[str] = 'config') -> BenchmarkResult:
    """Measure an FRSKD config against its baseline twin (by default the
    same config with the FRSKD segmentor turned into mmseg's
    EncoderDecoder, see :func:`frskd_seg.apis.plain_student_config`), the
    way a training run of the config computes: cuDNN's autotuner as its
    ``env_cfg.cudnn_benchmark`` says, and the training steps' forward under
    autocast when it trains with AMP.

    Args:
        amp (str, optional): ``'config'``: AMP if the config's optim wrapper
            is an AMP one (its ``dtype``; ``'auto'``/unset: what
            :class:`DeviceAmpOptimWrapper` picks for ``device``);
            ``'bfloat16'``/``'float16'``: that; None: float32.
    """
    from frskd_seg.apis import plain_student_config
    if baseline_cfg is None:
        baseline_cfg = plain_student_config(frskd_cfg)
    amp = resolve_amp(frskd_cfg, amp, device)
    cudnn_benchmark = bool(
        frskd_cfg.get('env_cfg', {}).get('cudnn_benchmark', False))
    was = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = cudnn_benchmark
    try:
        return _benchmark(frskd_cfg, baseline_cfg, shape, batch_size,
                          repeats, warmup, device, breakdown, profile_rows,
                          amp, cudnn_benchmark)
    finally:
        torch.backends.cudnn.benchmark = was


def resolve_amp(cfg: Config, amp: Optional[str], device: str) -> \
        Optional[str]:
    """The autocast dtype name a training run of ``cfg`` uses (see
    :func:`benchmark`), or None for float32."""
    if amp == 'config':
        wrapper = cfg.get('optim_wrapper', {})
        if wrapper.get('type') not in ('AmpOptimWrapper',
                                       'DeviceAmpOptimWrapper'):
            return None
        amp = wrapper.get('dtype') or 'auto'
    if amp == 'auto':
        from frskd_seg.engine.optimizers import amp_dtype
        amp = amp_dtype(torch.cuda.get_device_capability(device)
                        if device.startswith('cuda') else None)
    if amp not in (None, 'bfloat16', 'float16'):
        raise ValueError("amp must be 'config', 'auto', 'bfloat16', "
                         f"'float16' or None, got {amp!r}")
    return amp


def _benchmark(frskd_cfg, baseline_cfg, shape, batch_size, repeats, warmup,
               device, breakdown, profile_rows, amp, cudnn_benchmark):
    models = {
        'baseline': build_benchmark_model(baseline_cfg, device),
        'frskd': build_benchmark_model(frskd_cfg, device),
    }
    if not isinstance(models['frskd'], FRSKDMixin):
        raise ValueError('the first config must be an FRSKD config, got '
                         f"model.type {frskd_cfg.model.get('type')!r}")
    num_classes = models['frskd'].num_classes
    batch = synthetic_batch(batch_size, shape, num_classes, device)
    report = frskd_complexity(models['frskd'], (1, 3, *shape))

    steps = {name: TrainStep(m, batch, amp)
             for name, m in models.items()}
    train_times = paired_times(steps, repeats, warmup, device)
    train_s = {k: statistics.median(v) for k, v in train_times.items()}
    if device == 'cpu' and step_memory.supported():
        memory = 'peak RSS a step adds (fresh process per model)'
        train_peak = {
            name: step_memory.step_peak_rss(cfg, shape, batch_size, amp)
            for name, cfg in (('baseline', baseline_cfg),
                              ('frskd', frskd_cfg))}
    else:
        memory = ('CUDA allocator peak' if device.startswith('cuda') else
                  'profiler tensor allocations')
        train_peak = {name: peak_memory(step, device)
                      for name, step in steps.items()}

    def inference(model):

        @torch.no_grad()
        def run():
            model.predict(batch[0], batch[1])

        return run

    for model in models.values():
        model.eval()
    infer_times = paired_times(
        {name: inference(m) for name, m in models.items()}, repeats, warmup,
        device)
    infer_s = {k: statistics.median(v) for k, v in infer_times.items()}
    spreads = {f'{what}, {name}': spread(t)
               for what, times in (('training step', train_times),
                                   ('inference', infer_times))
               for name, t in times.items() if len(t) > 1}
    costs = {
        name: ModelCost(*student_cost(model, (1, 3, *shape)), train_s[name],
                        train_peak[name], infer_s[name])
        for name, model in models.items()
    }
    return BenchmarkResult(
        baseline=costs['baseline'],
        frskd=costs['frskd'],
        self_teacher_share=report.ratio('self_teacher+teacher_head'),
        step_breakdown_s=step_breakdown(
            models['frskd'], batch, device,
            profile_rows=profile_rows, amp=amp) if breakdown else {},
        spreads=spreads,
        settings=dict(device=device, input=f'{batch_size}x3x{shape[0]}x'
                      f'{shape[1]}', repeats=repeats, warmup=warmup,
                      threads=torch.get_num_threads(),
                      training_precision=amp or 'float32',
                      cudnn_benchmark=cudnn_benchmark, memory=memory))
