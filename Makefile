# The two commands of the README:
#   make demo   set up .venv, make a small VOC-layout data set, pretrain the
#               demo backbone (once), train FRSKD DeepLab and its baseline twin
#               on the CPU (same seed), evaluate both and the self-teacher,
#               print them side by side
#   make test   set up .venv and run the test suite
VENV ?= .venv
PYTHON := $(VENV)/bin/python

.PHONY: setup test demo clean-demo

setup:
	bash tools/setup_env.sh

test: setup
	$(PYTHON) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder tests

demo: setup
	bash tools/run_demo.sh

# everything make demo made: both data sets, the pretraining and its
# backbone, the runs and the report
clean-demo:
	rm -rf data/voc0712_demo data/voc_pretrain work_dirs/frskd_demo \
		work_dirs/pretrain_demo_i1000 checkpoints/demo_r18_backbone_i1000.pth
