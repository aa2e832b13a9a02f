"""The benchmark's bookkeeping (no timing is asserted: machines are noisy)."""
import pytest
import torch

from frskd_seg.analysis import benchmark, step_memory
from frskd_seg.analysis.benchmark import (build_benchmark_model,
                                          paired_median_times, peak_memory)
from tests.conftest import DEMO_BASELINE_CONFIG, DEMO_CONFIG, load_config


def test_peak_memory_tracks_activations():
    conv = torch.nn.Conv2d(3, 16, 3, padding=1)

    def step(batch):
        return lambda: conv(torch.randn(batch, 3, 64, 64)).relu().sum(
        ).backward()

    small, large = peak_memory(step(2), 'cpu'), peak_memory(step(4), 'cpu')
    # the conv output (B x 16 x 64 x 64 floats) is kept for the backward
    assert small >= 2 * 16 * 64 * 64 * 4
    assert large == pytest.approx(2 * small, rel=0.1)


@pytest.mark.skipif(not step_memory.supported(),
                    reason='needs /proc (Linux)')
def test_step_memory_is_measured_in_a_fresh_process_and_grows_with_batch():
    """The resident memory a training step adds above the built model, as
    the system sees it: four times the images keep about four times the
    activations (the model's own memory is the baseline)."""
    cfg = load_config(DEMO_CONFIG)
    small = step_memory.step_peak_rss(cfg, (64, 64), 2)
    large = step_memory.step_peak_rss(cfg, (64, 64), 8)
    assert 0 < small < large
    assert large > 2.5 * small


def test_paired_median_times_runs_each_in_turn():
    calls = []
    times = paired_median_times(
        dict(a=lambda: calls.append('a'), b=lambda: calls.append('b')),
        repeats=3, warmup=1, device='cpu')
    assert calls == ['a', 'b'] * 4
    assert set(times) == {'a', 'b'} and all(t >= 0 for t in times.values())


def test_benchmark_against_the_twin():
    result = benchmark(load_config(DEMO_CONFIG),
                       shape=(64, 64), batch_size=2, repeats=1, warmup=0)
    ratios = result.ratios()
    # the deployed student is the same network
    assert result.frskd.params == result.baseline.params
    assert ratios['flops'] == 1.0
    assert result.frskd.train_peak_bytes > result.baseline.train_peak_bytes
    assert result.settings['memory'] == (
        'peak RSS a step adds (fresh process per model)')
    parts = result.step_breakdown_s
    for part in ('backbone', 'decode_head', 'auxiliary_head', 'self_teacher',
                 'teacher_head', 'loss_kd', 'loss_feat', 'backward'):
        assert part in parts and parts[part] >= 0
    assert result.self_teacher_share[0] > 0
    table = result.table()
    assert 'FRSKD/base' in table and 'training step (s)' in table


def test_benchmarked_model_is_deployed_and_distils_at_full_weight():
    cfg = load_config(DEMO_CONFIG)
    cfg.model.evaluate_teacher = True
    cfg.model.distill_schedule = dict(type='DistillSchedule', warmup=100)
    model = build_benchmark_model(cfg, 'cpu')
    # inference times the student alone, as deployed
    assert model.evaluate_teacher is False
    assert model.distill_schedule.current() == 1.0
    cfg.model.distill_schedule = dict(type='DistillSchedule', warmup=40,
                                      by_epoch=True)
    assert build_benchmark_model(
        cfg, "cpu").distill_schedule.current() == 1.0


def test_explicit_baseline_and_wrong_order():
    result = benchmark(load_config(DEMO_CONFIG),
                       load_config(DEMO_BASELINE_CONFIG), shape=(32, 32),
                       batch_size=2, repeats=1, warmup=0, breakdown=False)
    assert result.step_breakdown_s == {}
    with pytest.raises(ValueError, match="expected a config with model.type "
                       r"one of \['FRSKDCascadeEncoderDecoder', "
                       r"'FRSKDEncoderDecoder'\], got 'EncoderDecoder'"):
        benchmark(load_config(DEMO_BASELINE_CONFIG), shape=(32, 32))


def test_peak_memory_reads_the_benchmarked_gpu(monkeypatch):
    """--device cuda:1 synchronises and reads the statistics of cuda:1,
    not of the current device (cuda:0)."""
    calls = []

    def record(name, value=0):
        return lambda *args: calls.append((name, args)) or value

    for name in ('synchronize', 'reset_peak_memory_stats'):
        monkeypatch.setattr(torch.cuda, name, record(name))
    monkeypatch.setattr(torch.cuda, 'memory_allocated',
                        record('memory_allocated', 100))
    monkeypatch.setattr(torch.cuda, 'max_memory_allocated',
                        record('max_memory_allocated', 350))
    assert peak_memory(lambda: None, 'cuda:1') == 250
    assert calls and all(args == ('cuda:1', ) for _, args in calls), calls


def test_training_precision_follows_the_config(monkeypatch):
    """An AMP config is timed under autocast (its dtype; 'auto' as
    DeviceAmpOptimWrapper picks for the device), cuDNN's autotuner as
    configured and restored afterwards."""
    from frskd_seg.analysis.benchmark import resolve_amp
    cfg = load_config(DEMO_CONFIG)
    assert resolve_amp(cfg, 'config', 'cpu') is None
    cfg.optim_wrapper.type = 'DeviceAmpOptimWrapper'
    cfg.optim_wrapper.dtype = 'auto'
    monkeypatch.setattr(torch.cuda, 'get_device_capability',
                        lambda device: {'cuda:0': (7, 0),
                                        'cuda:1': (8, 6)}[device])
    assert resolve_amp(cfg, 'config', 'cuda:0') == 'float16'
    assert resolve_amp(cfg, 'config', 'cuda:1') == 'bfloat16'
    cfg.optim_wrapper.dtype = 'float16'
    assert resolve_amp(cfg, 'config', 'cuda:1') == 'float16'
    with pytest.raises(ValueError, match="got 'fp8'"):
        resolve_amp(cfg, 'fp8', 'cpu')

    seen = []
    from frskd_seg.models import FRSKDEncoderDecoder
    loss = FRSKDEncoderDecoder.loss

    def spy(self, *args):
        seen.append((torch.is_autocast_enabled('cpu'),
                     torch.backends.cudnn.benchmark))
        return loss(self, *args)

    monkeypatch.setattr(FRSKDEncoderDecoder, 'loss', spy)
    cfg = load_config(DEMO_CONFIG)
    cfg.env_cfg.cudnn_benchmark = True
    result = benchmark(cfg, shape=(32, 32), batch_size=2, repeats=1,
                       warmup=0, breakdown=False, amp='bfloat16')
    assert seen and all(s == (True, True) for s in seen)
    assert result.settings['training_precision'] == 'bfloat16'
    assert result.settings['cudnn_benchmark'] is True
    assert torch.backends.cudnn.benchmark is False


def test_table_warns_about_noisy_repeats_and_aligns_rows():
    from frskd_seg.analysis.benchmark import BenchmarkResult, ModelCost
    cost = ModelCost(10**6, 10**9, 1.0, 2**20, 0.5)
    result = BenchmarkResult(
        baseline=cost, frskd=cost, self_teacher_share=(0.01, 0.01),
        step_breakdown_s={'backbone': 0.5,
                          'forward, rest (CE losses, resizes)': 0.1,
                          'backward': 1.0},
        spreads={'training step, frskd': 0.35, 'inference, frskd': 0.05})
    table = result.table()
    assert ('WARNING: repeats spread more than 20 % ((max - min) / median): '
            'training step, frskd 35 %') in table
    assert 'inference, frskd' not in table
    rows = [line for line in table.splitlines() if line.endswith(' %')
            and line.startswith('  ')]
    assert len(rows) == 3 and len({row.index(' s ') for row in rows}) == 1


def test_profiler_output_is_kept_off_the_terminal(capfd):
    import os

    from frskd_seg.analysis.timing import _quiet_stderr
    with _quiet_stderr():
        os.write(2, b'USDT: profiler_start\n')
    os.write(2, b'after\n')
    assert capfd.readouterr().err == 'after\n'


def test_the_tool_benchmarks_the_config_as_changed_on_the_command_line():
    """tools/benchmark.py --cfg-options reaches the config it builds."""
    import subprocess
    import sys
    from tests.conftest import REPO
    proc = subprocess.run(
        [sys.executable, 'tools/benchmark.py', DEMO_CONFIG, '--shape',
         '64', '64', '--batch', '2', '--repeats', '1', '--warmup', '0',
         '--no-breakdown', '--device', 'cpu', '--cfg-options',
         'model.loss_kd.tau=3.0'],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'PixelKLDivLoss(tau=3.0' in proc.stdout + proc.stderr
