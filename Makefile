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

clean-demo:
	rm -rf data/voc0712_demo work_dirs/frskd_demo
