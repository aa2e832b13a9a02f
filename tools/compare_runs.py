"""Are two training runs the same run? Logged training values and final
weights, tensor for tensor.

    python tools/compare_runs.py WORK_DIR_A WORK_DIR_B [--checkpoint F]

Exits 0 and prints `same run: N logged lines, M tensors` when they agree;
else prints the differences, how far apart the runs are (the first value
both log that differs; per module, the relative distance of the weights
and of the running BN statistics) and exits 1.
"""
import argparse
import os.path as osp
import sys

# the study instrument lives beside the library, in the checkout
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from studies.compare_runs import (LoadedRun, first_divergence,  # noqa: E402
                                  load_run, run_differences, state_distances)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir_a')
    parser.add_argument('work_dir_b')
    parser.add_argument('--checkpoint', default=None,
                        help='checkpoint file in both work dirs (default: '
                        'the one last_checkpoint names in the first)')
    args = parser.parse_args()
    checkpoint = args.checkpoint
    if checkpoint is None:
        import os.path as osp
        with open(osp.join(args.work_dir_a, 'last_checkpoint')) as f:
            checkpoint = osp.basename(f.read().strip())
    run_a, run_b = (load_run(d, checkpoint)
                    for d in (args.work_dir_a, args.work_dir_b))
    differences = run_differences(run_a, run_b)
    if differences:
        print('the runs differ:\n  ' + '\n  '.join(differences))
        print_distances(run_a, run_b, checkpoint)
        sys.exit(1)
    print(f'same run: {len(run_a.values)} logged training lines and every '
          f'tensor of {checkpoint} equal')


def print_distances(run_a: LoadedRun, run_b: LoadedRun,
                    checkpoint: str):
    first = first_divergence(run_a.values, run_b.values)
    print('first value both log that differs: ' + (
        'none' if first is None else
        'iteration {}, {}: {} vs {}'.format(*first)))
    distances = state_distances(run_a.state, run_b.state)
    print(f'relative distance |A - B| / |B| in {checkpoint}:')
    print(f'  {"module":<24} {"weights":>10} {"running stats":>14}')
    for module, (weights, running) in distances.items():
        print(f'  {module:<24} {weights:>10.2e} {running:>14.2e}')


if __name__ == '__main__':
    main()
