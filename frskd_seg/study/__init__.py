"""The instrument that measured the method: paired gain studies (FRSKD vs
its baseline twin over seeds), their results and reports, warm starts,
comparisons of runs and studies, distillation diagnostics, and the sweep of
the two-line recipe over mmseg's configs. The library (models, engine,
evaluation, datasets, apis, cli) never imports it."""
