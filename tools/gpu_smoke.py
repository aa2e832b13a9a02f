"""Exercise every GPU path of frskd-seg in a few minutes, one line per check.

    python tools/gpu_smoke.py [--work-dir work_dirs/gpu_smoke] [--keep]

On a machine with >= 1 GPU, on a small synthetic VOC-layout data set made on
the spot: train the demo FRSKD config a few iterations (float32 and --amp),
stop and --resume (generator states exact, losses compared), test, the
teacher's evaluation, tools/benchmark.py at 512x512 for
configs/frskd_deeplab_voc.py against its twin, tools/vis_attention.py on the
GPU, export + plain-mmseg inference on the GPU, and with >= 2 GPUs a
2-process dist_train.sh run with SyncBN, stopped and resumed. Prints a
summary and exits non-zero if a check failed.

``--cpu`` runs the same checks with the GPUs hidden (the AMP and multi-GPU
ones are skipped), on 8 test images and a 128x128 benchmark: a dry run of
the script itself, in a minute or two.
"""
import argparse
import glob
import os
import os.path as osp
import re
import shutil
import socket
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = osp.join(REPO, 'configs', 'demo', 'frskd_deeplab_r18_voc_demo.py')
FULL = osp.join(REPO, 'configs', 'frskd_deeplab_voc.py')
SHORT = [
    'train_cfg.max_iters=6', 'train_cfg.val_interval=6',
    'default_hooks.checkpoint.interval=3', 'default_hooks.logger.interval=1',
    'model.distill_schedule.warmup=2', 'model.distill_schedule.rampup=2',
    'randomness.seed=0', 'randomness.diff_rank_seed=True'
]
SYNC_BN = [
    f'model.{part}.norm_cfg.type=SyncBN'
    for part in ('backbone', 'decode_head', 'auxiliary_head', 'self_teacher')
]


class Smoke:
    """Runs the checks, records one result line each."""

    def __init__(self, work_dir: str, env: dict):
        self.work_dir = work_dir
        self.env = env
        self.results = []

    def run(self, *cmd, timeout=600) -> str:
        proc = subprocess.run(list(cmd), cwd=REPO, env=self.env, text=True,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f'exit {proc.returncode}: '
                               + proc.stdout[-1500:])
        return proc.stdout

    def check(self, name: str, fn) -> None:
        start = time.time()
        try:
            detail = fn() or ''
            status = 'PASS'
        except Exception as error:  # report and go on to the next check
            detail = f'{type(error).__name__}: {error}'
            status = 'FAIL'
        line = f'{status}  {name:<34} {time.time() - start:6.1f} s  ' + \
            detail.strip().replace('\n', ' | ')[:600]
        print(line, flush=True)
        self.results.append((status, name))

    def skip(self, name: str, why: str) -> None:
        print(f'SKIP  {name:<34}          {why}', flush=True)
        self.results.append(('SKIP', name))


def scalars(work_dir: str, key: str) -> dict:
    """``{iteration: value}`` of a logged training scalar."""
    from frskd_seg.visualization import load_scalars
    return {r['iter']: r[key] for r in load_scalars(work_dir)[0] if key in r}


def compare_resumed(full: str, parts: str, last: int) -> str:
    """Generator states must be equal; weights and losses are reported
    (CUDA kernels with atomics are not bit-reproducible)."""
    import torch
    a = torch.load(osp.join(full, f'iter_{last}.pth'), map_location='cpu',
                   weights_only=False)
    b = torch.load(osp.join(parts, f'iter_{last}.pth'), map_location='cpu',
                   weights_only=False)
    ra, rb = a['rng_state']['ranks'], b['rng_state']['ranks']
    if len(ra) != len(rb):
        raise AssertionError(f'{len(ra)} vs {len(rb)} ranks saved')
    for rank, (x, y) in enumerate(zip(ra, rb)):
        for gen in ('torch', 'cuda'):
            if gen in x and not torch.equal(x[gen], y[gen]):
                raise AssertionError(f'rank {rank}: {gen} generator differs')
    diff = max((a['state_dict'][k].float() - b['state_dict'][k].float()
                ).abs().max().item() for k in a['state_dict'])
    la, lb = scalars(full, 'decode.loss_ce'), scalars(parts, 'decode.loss_ce')
    worst = max(abs(lb[i] - la[i]) / max(abs(la[i]), 1e-12) for i in lb)
    if worst > 1e-3:
        raise AssertionError(f'losses after resuming differ by {worst:.2e}')
    exact = 'bit-exact' if diff == 0 else f'max weight diff {diff:.2e}'
    return (f'{len(ra)} rank(s) generator states equal; {exact}; '
            f'losses within {worst:.1e}')


def free_port() -> str:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir',
                        default=osp.join(REPO, 'work_dirs', 'gpu_smoke'),
                        help='scratch folder (default work_dirs/gpu_smoke)')
    parser.add_argument('--cpu', action='store_true',
                        help='dry run with the GPUs hidden')
    parser.add_argument('--keep', action='store_true',
                        help='keep the work dir (removed on success)')
    args = parser.parse_args()
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    if args.cpu:
        env['CUDA_VISIBLE_DEVICES'] = ''
    probe = subprocess.run(
        [sys.executable, '-c', 'import torch; print(torch.cuda.device_count()'
         ', torch.cuda.get_device_name(0) if torch.cuda.is_available() '
         "else 'cpu', torch.__version__, sep='|')"],
        env=env, capture_output=True, text=True, check=True)
    gpus, name, version = probe.stdout.strip().split('|')
    gpus = int(gpus)
    if gpus == 0 and not args.cpu:
        raise SystemExit('no GPU visible (torch.cuda.device_count() == 0); '
                         'use --cpu for a dry run')
    device = 'cpu' if args.cpu else 'cuda'
    print(f'frskd-seg GPU smoke test: {gpus} GPU(s) ({name}), torch '
          f'{version}, work dir {args.work_dir}', flush=True)
    w = args.work_dir
    shutil.rmtree(w, ignore_errors=True)
    os.makedirs(w)
    smoke = Smoke(w, env)
    py = sys.executable
    data = osp.join(w, 'VOCdevkit')

    def train(work_dir, *options, extra=()):
        return smoke.run(py, 'tools/train.py', DEMO, '--work-dir', work_dir,
                         '--data-root', data, *extra, '--cfg-options',
                         *SHORT, *options)

    def train_fp32():
        log = train(osp.join(w, 'fp32'))
        loss = scalars(osp.join(w, 'fp32'), 'loss')
        teacher = re.findall(r'teacher/mIoU: ([\d.]+)', log)
        return f'loss {loss[1]:.3f} -> {loss[6]:.3f}; ' \
               f'teacher/mIoU {teacher[-1] if teacher else "missing"}'

    def train_amp():
        log = train(osp.join(w, 'amp'), extra=('--amp', ))
        picked = re.findall(r'AMP in \w+ \(GPU compute capability [^)]*\)',
                            log)
        loss = scalars(osp.join(w, 'amp'), 'loss')
        return f'loss {loss[1]:.3f} -> {loss[6]:.3f}; ' + \
            (picked[0] if picked else 'AMP dtype not logged')

    def resume():
        parts = osp.join(w, 'parts')
        train(parts, 'train_cfg.max_iters=3')
        log = train(parts, extra=('--resume', ))
        if 'resumed epoch: 0, iter: 3' not in log:
            raise AssertionError('did not resume from iteration 3')
        return compare_resumed(osp.join(w, 'fp32'), parts, 6)

    def test():
        log = smoke.run(py, 'tools/test.py', DEMO,
                        osp.join(w, 'fp32', 'iter_6.pth'), '--data-root',
                        data, '--work-dir', osp.join(w, 'test'), '--teacher')
        found = re.findall(r'(teacher/mIoU|mIoU): ([\d.]+)', log)
        if len({k for k, _ in found}) < 2:
            raise AssertionError('no student and teacher mIoU in the log')
        return ', '.join(f'{k} {v}' for k, v in found[-2:])

    def benchmark():
        log = smoke.run(py, 'tools/benchmark.py', FULL, '--shape', *shape,
                        '--batch', '2', '--repeats', '1' if args.cpu else '3',
                        '--warmup', '1', '--device', device, '--no-breakdown')
        keep = [line for line in log.splitlines()
                if re.search(r'training step|peak|inference|settings',
                             line)]
        return ' | '.join(keep)

    def vis_attention():
        image = sorted(glob.glob(osp.join(data, 'VOC2007', 'JPEGImages',
                                          '*.jpg')))[0]
        smoke.run(py, 'tools/vis_attention.py', DEMO,
                  osp.join(w, 'fp32', 'iter_6.pth'), image, '--out',
                  osp.join(w, 'vis'), '--device', device)
        return ', '.join(os.listdir(osp.join(w, 'vis')))

    def export():
        out = osp.join(w, 'export')
        smoke.run(py, 'tools/export_student.py', DEMO,
                  osp.join(w, 'fp32', 'iter_6.pth'), out)
        image = sorted(glob.glob(osp.join(data, 'VOC2007', 'JPEGImages',
                                          '*.jpg')))[0]
        # unmodified mmseg, in a process that never imports frskd_seg
        code = (
            'import glob, sys\n'
            'from mmseg.apis import init_model, inference_model\n'
            f'cfg = glob.glob("{out}/*_student.py")[0]\n'
            f'ckpt = glob.glob("{out}/*_student.pth")[0]\n'
            f'model = init_model(cfg, ckpt, device="{device}")\n'
            f'result = inference_model(model, "{image}")\n'
            'assert "frskd_seg" not in sys.modules\n'
            'print(type(model).__name__, result.pred_sem_seg.data.device, '
            'tuple(result.pred_sem_seg.shape))\n')
        return smoke.run(py, '-c', code).strip().splitlines()[-1]

    def distributed():
        env2 = dict(env, PYTHON=py, PORT=free_port())
        options = ['--data-root', data, '--cfg-options', *SHORT, *SYNC_BN]
        full, parts = osp.join(w, 'ddp'), osp.join(w, 'ddp_parts')
        for work_dir, extra in ((full, []), (parts,
                                             ['train_cfg.max_iters=3'])):
            subprocess.run(['bash', 'tools/dist_train.sh', DEMO, '2',
                            '--work-dir', work_dir, *options, *extra],
                           cwd=REPO, env=env2, check=True, timeout=600,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        env2['PORT'] = free_port()
        subprocess.run(['bash', 'tools/dist_train.sh', DEMO, '2',
                        '--work-dir', parts, '--resume', *options],
                       cwd=REPO, env=env2, check=True, timeout=600,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return 'SyncBN, 2 processes: ' + compare_resumed(full, parts, 6)

    # a dry run checks the path: a few held-out images, a small benchmark
    small = ('--voc07-test', '8', '--voc12-val', '8') if args.cpu else ()
    shape = ('128', '128') if args.cpu else ('512', '512')
    smoke.check('synthetic data set', lambda: smoke.run(
        py, 'tools/make_synthetic_voc.py', data,
        *small).strip().splitlines()[-1])
    smoke.check(f'train 6 iters ({device}, fp32)', train_fp32)
    if args.cpu:
        smoke.skip('train 6 iters (--amp)', 'needs a GPU')
    else:
        smoke.check('train 6 iters (--amp)', train_amp)
    smoke.check('stop at 3, --resume to 6', resume)
    smoke.check('tools/test.py --teacher', test)
    smoke.check(f'tools/benchmark.py {shape[0]}x{shape[1]} vs twin', benchmark)
    smoke.check('tools/vis_attention.py', vis_attention)
    smoke.check('export + plain mmseg inference', export)
    if gpus >= 2:
        smoke.check('dist_train.sh x2 SyncBN + resume', distributed)
    else:
        smoke.skip('dist_train.sh x2 SyncBN + resume',
                   f'needs 2 GPUs, {gpus} visible')
    counts = {s: sum(r[0] == s for r in smoke.results)
              for s in ('PASS', 'FAIL', 'SKIP')}
    print(f"summary: {counts['PASS']} passed, {counts['FAIL']} failed, "
          f"{counts['SKIP']} skipped")
    if counts['FAIL']:
        print(f'work dir kept for inspection: {w}')
        sys.exit(1)
    if not args.keep:
        shutil.rmtree(w, ignore_errors=True)


if __name__ == '__main__':
    main()
