# The kit's commands. The first use of any target creates .venv and installs the kit into it;
# .venv is rebuilt only when it is missing or pyproject.toml has changed since it was installed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: report test course bench notebooks clean setup

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

## report: run the default batch (params/default.yaml) -> reports/index.html
report: $(STAMP)
	$(BIN)/python -m helpers.batch params/default.yaml --out reports --jobs $(JOBS)

## test: unit tests, reference cross-checks, the committed notebooks (nbval), the batch runner
# Two pytest workers on one thread each: two workers with two threads apiece on a 2-core machine
# run half as fast. The committed notebooks were executed on two threads, so nbval also checks
# that their printed numbers do not depend on the thread count.
test: $(STAMP)
	bash tests/setup_browser.sh || true
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest

## course: the course web site (Sphinx + myst-nb: book/ and the chapters' stored outputs, nothing
## re-executed, readable offline) -> site/index.html, the course map
course: $(STAMP)
	$(BIN)/python -m helpers.course --out site

## notebooks: re-execute the committed notebooks in place (after editing a chapter or a helper)
notebooks: $(STAMP)
	$(BIN)/python -m helpers.course --refresh $(NB)

## bench: speed against scikit-learn, Captum and shap, the time of the reports and of each chapter, the verdict's
## calibration, and reports on 1e6 x 10 and 1e5 x 100 rows (the last takes a few minutes) -> bench/RESULTS.md
bench: $(STAMP)
	$(BIN)/python bench/speed.py --out bench/RESULTS.md
	$(BIN)/python bench/report_time.py --out bench/RESULTS.md
	$(BIN)/python bench/chapter_time.py --out bench/RESULTS.md
	$(BIN)/python bench/calibration.py --out bench/RESULTS.md --sets 100
	$(BIN)/python bench/scale.py --out bench/RESULTS.md

clean:
	rm -rf reports site .pytest_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
