"""Is FRSKD variant B better than variant A? Paired over their seeds.

    python tools/compare_studies.py STUDY_DIR_A STUDY_DIR_B [A2 B2 ...]
    python tools/compare_studies.py --twin STUDY_DIR [STUDY_DIR ...]

STUDY_DIR_*: the --work-dir of finished tools/gain_study.py runs. Prints,
per split, the FRSKD student's final mIoU of B minus A seed by seed, the mean
with its 95 % confidence interval and the smallest difference those seeds
could detect, and whether the two studies share their twin runs. Several
pairs (one per pretrained backbone, say) are pooled into one sample, and
the spread between the pairs' means is printed beside the spread within
them. --twin: each study's own gain (FRSKD student minus its twin), pooled
the same way.
"""
import argparse
import os.path as osp
import sys

# the study instrument lives beside the library, in the checkout
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from studies.compare_studies import (compare_studies,  # noqa: E402
                                     difference_table, load_study, pooled,
                                     twin_gains)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('studies', nargs='+', metavar='STUDY_DIR',
                        help='work dirs: pairs A B (B - A), or with --twin '
                        'any number of studies')
    parser.add_argument('--twin', action='store_true',
                        help="each study's FRSKD student minus its twin")
    args = parser.parse_args()
    if args.twin:
        parts = [(d, twin_gains(load_study(d))) for d in args.studies]
        print('FRSKD student - twin: ' + ', '.join(args.studies))
    else:
        if len(args.studies) % 2:
            parser.error('give the studies in pairs A B (B - A), got '
                         f'{len(args.studies)} of them')
        parts = []
        for a, b in zip(args.studies[::2], args.studies[1::2]):
            study_a, study_b = load_study(a), load_study(b)
            twins = study_a['keys']['twin'], study_b['keys']['twin']
            print(f'A: {a}\nB: {b}\ntwin runs: ' + (
                f'shared ({twins[0]})' if twins[0] == twins[1] else
                f'A {twins[0]}, B {twins[1]}'))
            parts.append((b, compare_studies(study_a, study_b)))
    print(difference_table(parts[0][1] if len(parts) == 1 else
                           pooled(parts)))


if __name__ == '__main__':
    main()
