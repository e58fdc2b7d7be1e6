# Two commands: `make run` sets everything up and runs the product; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch, never a CUDA one: the local wheel where the machine has it, else PyTorch's CPU index.
TORCH_INDEX ?= $(if $(wildcard /opt/wheels/torch-2.13.0+cpu*),,--index-url https://download.pytorch.org/whl/cpu)

.PHONY: setup run test unit lint bench reader clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0 $(TORCH_INDEX)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

run: setup
	$(BIN)/python app.py

test: setup
	$(BIN)/python -m pytest -q

unit: setup
	$(BIN)/python -m pytest -q -m "not integration"

# Lint, format check, type check and the import layers (also run by CI).
lint: setup
	$(BIN)/ruff check qa embeddings tests app.py
	$(BIN)/ruff format --check qa embeddings tests app.py
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .qa

# Public benchmarks from ../shared/benchmarks (never copied into the project).
BENCH ?= ../shared/benchmarks
bench: setup
	$(BIN)/python -m qa.bench.retrieval $(BENCH)/cmrc2018_dev.json $(BENCH)/drcd_dev.json
	$(BIN)/qa eval $(BENCH)/cmrc2018_dev.json --retriever hybrid
	$(BIN)/qa eval $(BENCH)/drcd_dev.json --retriever hybrid

# The shipped neural reader, in eight resumable stages (about 19.5 hours on 2 cores; see docs/MODEL_CARD.md):
# stage 1 trains encoder layers 7-12 and the span head from the bare encoder, stage 2 goes on from it with layers 3-12,
# stage 3 trains layers 7-12 on groups of three windows under shared normalization, stage 4 goes on from it with
# layers 5-12 over a fresh draw of groups, and stage 7 (stages 5 and 6 were not shipped) goes on with layers 3-12 and
# 10 % near-miss groups, and stage 10 (8, 9 and 9b were not shipped) goes on with the written questions of
# qa/training/corpus beside 2,600 drawn from the files. Stage 10 read the corpus's first sixteen documents
# (WRITTEN=<a copy of `git archive 18f7b5a qa/training/corpus`> repeats it). Stage 13 (11 and 12 were not shipped)
# trains every layer but the word embeddings: first two epochs over every file question outside the tuning split
# (13a: 3,702 steps, about 10 hours on 2 cores, so four runs of under 3 hours each, --until; 2.6 min on one GPU), then
# stage 10's recipe over the first 24 written documents (WRITTEN13=<a copy of `git archive ad207e3 qa/training/corpus`>
# repeats it; the folder holds 32 since). Stage 18 (14-17 were not shipped or were replaced) goes on from stage 13
# with one phase over the 32 written documents of the time (WRITTEN18=<a copy of `git archive e8e3fd0
# qa/training/corpus`> repeats it; the folder holds 40 since) and 2,600 drawn file questions, 10 % of the answerable ones adding a
# no-answer group over their context without the answer's sentence (--ablation-share; 900 steps, about 30 minutes on
# 2 cores), and exports to the package. The reading settings are then chosen by `python -m qa.bench.tune_reader`
# (see the model card).
STAGE1 ?= .qa/reader-stage1
STAGE2 ?= .qa/reader-stage2
STAGE3 ?= .qa/reader-stage3
STAGE4 ?= .qa/reader-stage4
STAGE7 ?= .qa/reader-stage7
STAGE10 ?= .qa/reader-stage10
STAGE13A ?= .qa/reader-stage13a
STAGE13 ?= .qa/reader-stage13
STAGE18 ?= .qa/reader-stage18
WRITTEN ?= qa/training/corpus
WRITTEN13 ?= qa/training/corpus
WRITTEN18 ?= qa/training/corpus
reader: setup
	$(BIN)/qa train-reader --out $(STAGE1) --export $(STAGE1)/reader-delta.safetensors
	$(BIN)/qa train-reader --init $(STAGE1)/reader-delta.safetensors --frozen-layers 2 --learning-rate 7e-5 --seed 14 --out $(STAGE2) --export $(STAGE2)/reader-delta.safetensors
	$(BIN)/qa train-reader --init $(STAGE2)/reader-delta.safetensors --group-size 3 --batch-size 4 --no-answer-share 0.3 --distractors 2 --tune-share 0.05 --frozen-layers 6 --learning-rate 5e-5 --epochs 0.6 --seed 15 --out $(STAGE3) --export $(STAGE3)/reader-delta.safetensors
	$(BIN)/qa train-reader --init $(STAGE3)/reader-delta.safetensors --group-size 3 --batch-size 4 --no-answer-share 0.3 --distractors 2 --tune-share 0.05 --frozen-layers 4 --learning-rate 3e-5 --epochs 0.45 --seed 16 --out $(STAGE4) --export $(STAGE4)/reader-delta.safetensors
	$(BIN)/qa train-reader --init $(STAGE4)/reader-delta.safetensors --group-size 3 --batch-size 4 --no-answer-share 0.3 --distractors 2 --tune-share 0.05 --frozen-layers 2 --learning-rate 2e-5 --near-miss-share 0.1 --max-steps 1000 --seed 19 --out $(STAGE7) --export $(STAGE7)/reader-delta.safetensors
	$(BIN)/qa train-reader --init $(STAGE7)/reader-delta.safetensors --written $(WRITTEN) --sample 2600 --epochs 1 --group-size 3 --batch-size 4 --no-answer-share 0.3 --distractors 2 --tune-share 0.05 --frozen-layers 2 --learning-rate 2e-5 --near-miss-share 0.1 --seed 23 --out $(STAGE10) --export $(STAGE10)/reader-delta.safetensors
	$(BIN)/qa train-reader --init $(STAGE10)/reader-delta.safetensors --group-size 3 --batch-size 8 --no-answer-share 0.3 --distractors 2 --tune-share 0.05 --frozen-layers 0 --learning-rate 3e-5 --near-miss-share 0.1 --epochs 2 --seed 31 --until 930 --out $(STAGE13A) --export $(STAGE13A)/reader-delta.safetensors
	$(BIN)/qa train-reader --init $(STAGE10)/reader-delta.safetensors --group-size 3 --batch-size 8 --no-answer-share 0.3 --distractors 2 --tune-share 0.05 --frozen-layers 0 --learning-rate 3e-5 --near-miss-share 0.1 --epochs 2 --seed 31 --until 1860 --out $(STAGE13A) --export $(STAGE13A)/reader-delta.safetensors
	$(BIN)/qa train-reader --init $(STAGE10)/reader-delta.safetensors --group-size 3 --batch-size 8 --no-answer-share 0.3 --distractors 2 --tune-share 0.05 --frozen-layers 0 --learning-rate 3e-5 --near-miss-share 0.1 --epochs 2 --seed 31 --until 2790 --out $(STAGE13A) --export $(STAGE13A)/reader-delta.safetensors
	$(BIN)/qa train-reader --init $(STAGE10)/reader-delta.safetensors --group-size 3 --batch-size 8 --no-answer-share 0.3 --distractors 2 --tune-share 0.05 --frozen-layers 0 --learning-rate 3e-5 --near-miss-share 0.1 --epochs 2 --seed 31 --out $(STAGE13A) --export $(STAGE13A)/reader-delta.safetensors
	$(BIN)/qa train-reader --init $(STAGE13A)/reader-delta.safetensors --written $(WRITTEN13) --sample 2600 --epochs 1 --group-size 3 --batch-size 4 --no-answer-share 0.3 --distractors 2 --tune-share 0.05 --frozen-layers 0 --learning-rate 2e-5 --near-miss-share 0.1 --seed 32 --out $(STAGE13) --export $(STAGE13)/reader-delta.safetensors
	$(BIN)/qa train-reader --init $(STAGE13)/reader-delta.safetensors --written $(WRITTEN18) --sample 2600 --epochs 1 --group-size 3 --batch-size 4 --no-answer-share 0.3 --distractors 2 --tune-share 0.05 --frozen-layers 0 --learning-rate 2e-5 --near-miss-share 0.1 --ablation-share 0.1 --max-steps 900 --seed 52 --out $(STAGE18) --export qa/reading/neural/reader-delta.safetensors
