"""Is FRSKD variant B better than variant A? Paired over their seeds.

    python tools/compare_studies.py STUDY_DIR_A STUDY_DIR_B

STUDY_DIR_*: the --work-dir of two finished tools/gain_study.py runs. Prints,
per split, the FRSKD student's final mIoU of B minus A seed by seed, the mean
with its 95 % confidence interval and the smallest difference those seeds
could detect, and whether the two studies share their twin runs.
"""
import argparse
import os.path as osp
import sys

# the study instrument lives beside the library, in the checkout
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from studies.compare_studies import (compare_studies,  # noqa: E402
                                     difference_table, load_study)



def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('study_a', help='work dir of the first study (A)')
    parser.add_argument('study_b', help='work dir of the second study (B)')
    args = parser.parse_args()
    study_a, study_b = load_study(args.study_a), load_study(args.study_b)
    print(f'A: {args.study_a}\nB: {args.study_b}')
    twins = study_a['keys']['twin'], study_b['keys']['twin']
    print('twin runs: ' + (f'shared ({twins[0]})' if twins[0] == twins[1]
                           else f'A {twins[0]}, B {twins[1]}'))
    print(difference_table(compare_studies(study_a, study_b)))


if __name__ == '__main__':
    main()
