"""The instrument that measured the method: paired gain studies (FRSKD vs
its baseline twin over seeds), their results and reports, warm starts,
comparisons of runs and studies, distillation diagnostics, and the sweep of
the two-line recipe over mmseg's configs. Beside the library, not in its
wheel: the library (``frskd_seg``) never imports it; the tools that run it
(``tools/gain_study.py``, ``compare_studies.py``, ``compare_runs.py``,
``check_recipe.py``) put the checkout on ``sys.path``."""
