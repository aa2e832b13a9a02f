"""Apply the two-line FRSKD recipe to mmseg's configs and report coverage.

    python tools/check_recipe.py [--configs GLOB] [--out report.md]
                                 [--results results.jsonl] [--timeout S]

For each config (default: every model config mmseg ships, from its installed
.mim/configs): write the two-line recipe on it (FRSKDEncoderDecoder, or
FRSKDCascadeEncoderDecoder for a cascade), build it on the CPU (BN for SyncBN,
no pretrained weights), run one training step and one prediction on 64x64
images (larger when the plain model needs it), and check that it predicts
exactly like the plain model holding its student weights. Each config ends
as works / refused (at build, with the reason) / fails (the error) /
unavailable (the plain model does not run here either). Results are
appended to --results as they come, so an interrupted sweep resumes;
configs with the same model share one check. Prints and writes a Markdown
table by decode head type.
"""
import argparse
import os
import os.path as osp
import sys
import warnings

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('--configs', help='a glob relative to mmseg\'s '
                        "config folder, e.g. 'danet/*.py' (default: all)")
    parser.add_argument('--out', default='work_dirs/check_recipe/report.md',
                        help='the Markdown report (default: %(default)s)')
    parser.add_argument('--results', help='the JSON-lines results, read to '
                        'resume (default: results.jsonl beside --out)')
    parser.add_argument('--timeout', type=int, default=1800,
                        help='seconds per config before it counts as failed '
                        '(default: %(default)s)')
    parser.add_argument('--write-sample', metavar='FILE',
                        help='also write one config per (decode head, '
                        'backbone) type pair to FILE (the suite\'s sample: '
                        'tests/test_study/recipe_sample.txt)')
    args = parser.parse_args()
    warnings.simplefilter('ignore')  # third-party deprecations, per config

    import frskd_seg  # noqa: F401
    from studies.recipe_check import list_configs, run_checks
    from studies.recipe_report import report, write_sample
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)

    paths = list_configs(args.configs)
    if not paths:
        parser.error(f'no mmseg config matches {args.configs!r}')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    results_file = args.results or osp.join(
        osp.dirname(osp.abspath(args.out)), 'results.jsonl')
    results = run_checks(paths, results_file, timeout=args.timeout)
    text = report(results)
    with open(args.out, 'w') as f:
        f.write(text)
    print(text)
    print(f'report: {args.out}; results: {results_file}')
    if args.write_sample:
        count = write_sample(results, args.write_sample)
        print(f'sample of {count} configs: {args.write_sample}')


if __name__ == '__main__':
    main()
