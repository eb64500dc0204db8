"""The batch runner as a user and a scheduler treat it: resume that notices changed inputs,
Ctrl-C and SIGTERM that stop at once, no process outliving a killed batch, one batch per output
folder, a time limit per run, bad output folders, and all of a config's errors at once.

These use the tiny notebook of ``batch_tools`` (a second or two per run), so that they test the
runner rather than the report.
"""
import json
import re
import shutil
import signal
import time

import pandas as pd
import pytest

from batch_tools import alive, descendants, kernels_of, start_batch, wait_for, write_config
from helpers import batch, batch_runs
from helpers.data import DATA_DIR


def status_of(out, run_id):
    return json.loads((out / "runs" / run_id / "status.json").read_text())


def run_main(config, out, *extra):
    return batch.main([str(config), "--out", str(out), *extra])


# ---------------------------------------------------------------- resume
def test_resume_reruns_a_run_whose_inputs_notebook_or_kit_changed(tmp_path, capsys, monkeypatch):
    (tmp_path / "other.csv").write_text("a,b\n10,20\n30,40\n")
    (tmp_path / "model.bin").write_bytes(b"12345")
    config = write_config(tmp_path, "runs:\n  - {dataset: data.csv}\n  - {dataset: other.csv, model: model.bin}\n")
    out = tmp_path / "out"
    ids = ["dataset-data", "dataset-other_model-model"]
    assert run_main(config, out) == 0
    first = capsys.readouterr()
    assert "\r" not in first.out + first.err  # not a terminal: clean lines, no progress bar redraws
    for run_id in ids:
        assert re.search(rf"^ok\s+{run_id} \(\d+\.\d s\)$", first.out, re.M), first.out
    recorded = status_of(out, ids[1])["fingerprint"]
    assert recorded["files"] == {"dataset": batch_runs.file_hash(tmp_path / "other.csv"),
                                 "model": batch_runs.file_hash(tmp_path / "model.bin")}
    assert recorded["notebook"] == batch_runs.file_hash(tmp_path / "tiny.ipynb") and recorded["kit"]

    def outcome():
        assert run_main(config, out) == 0
        text = capsys.readouterr().out
        return {run_id: ("skipped" if re.search(rf"^skipped\s+{run_id}\b", text, re.M) else "ran") for run_id in ids}

    assert outcome() == {ids[0]: "skipped", ids[1]: "skipped"}
    # the analyst fixes the data file: that run is stale, and its new numbers replace the old ones
    (tmp_path / "data.csv").write_text("a,b\n100,200\n300,400\n")
    assert outcome() == {ids[0]: "ran", ids[1]: "skipped"}
    assert pd.read_csv(out / "runs" / ids[0] / "importance.csv")["importance"].tolist() == [200.0, 300.0]
    # a new model file
    (tmp_path / "model.bin").write_bytes(b"123456")
    assert outcome() == {ids[0]: "skipped", ids[1]: "ran"}
    # the notebook changed
    notebook = tmp_path / "tiny.ipynb"
    notebook.write_text(notebook.read_text().replace("A tiny report", "A tiny report, edited"))
    assert outcome() == {ids[0]: "ran", ids[1]: "ran"}
    # the kit's code changed
    monkeypatch.setattr(batch, "kit_hash", lambda: "another version of the kit")
    assert outcome() == {ids[0]: "ran", ids[1]: "ran"}
    # a result file went missing: the run is not done, whatever its status says
    (out / "runs" / ids[0] / "importance.csv").unlink()
    assert status_of(out, ids[0])["status"] == "ok"
    assert outcome() == {ids[0]: "ran", ids[1]: "skipped"}


def test_kit_hash_covers_every_file_of_the_package_and_of_its_data(tmp_path):
    package, data = tmp_path / "helpers", tmp_path / "data"
    package.mkdir()
    data.mkdir()
    (package / "a.py").write_text("x = 1\n")
    (package / "b.py").write_text("y = 2\n")
    (data / "diabetes.csv").write_text("y,x\n1,2\n")
    first = batch_runs.kit_hash(package, data)
    (package / "b.py").write_text("y = 3\n")
    assert batch_runs.kit_hash(package, data) != first
    (package / "b.py").write_text("y = 2\n")
    assert batch_runs.kit_hash(package, data) == first
    (data / "diabetes.csv").write_text("y,x\n2,1\n")  # a built-in data set reads it: part of the kit
    assert batch_runs.kit_hash(package, data) != first
    (data / "diabetes.csv").write_text("y,x\n1,2\n")
    assert batch_runs.kit_hash(package, data) == first
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled")
    (data / ".diabetes.csv.swp").write_bytes(b"an editor's swap file")
    assert batch_runs.kit_hash(package, data) == first  # caches and hidden files are not the kit
    assert batch_runs.kit_hash() == batch_runs.kit_hash(batch_runs.KIT_PACKAGE, DATA_DIR)


def test_resume_reruns_a_run_when_a_data_file_of_the_kit_changed(tmp_path, capsys, monkeypatch):
    # the built-in data sets read the kit's own data files (diabetes: data/diabetes.csv); a copy stands in
    kit_data = tmp_path / "kit-data"
    shutil.copytree(DATA_DIR, kit_data)
    monkeypatch.setattr(batch_runs, "KIT_DATA", kit_data)
    config = write_config(tmp_path, "grid:\n  seconds: [0]\n")
    out = tmp_path / "out"

    def ran() -> bool:
        assert run_main(config, out) == 0
        return not re.search(r"^skipped\s+seconds-0\b", capsys.readouterr().out, re.M)

    assert ran() and not ran()
    csv = kit_data / "diabetes.csv"
    header, *rows = csv.read_text().splitlines()
    csv.write_text("\n".join([header, *reversed(rows)]) + "\n")  # scrambled: the built-in diabetes changed
    assert ran(), "a run was taken as done although a data file of the kit changed"
    assert not ran()


# ---------------------------------------------------------------- interrupting
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_an_interrupt_cancels_queued_runs_stops_kernels_and_writes_the_index(tmp_path, how):
    config = write_config(tmp_path, "runs:\n  - {seconds: 0}\n" + "".join(
        f"  - {{seconds: 120, fail: run{i}}}\n" for i in range(4)))
    out = tmp_path / "out"
    process = start_batch(config, out, "--jobs", "2")
    try:
        assert wait_for(lambda: (out / "runs" / "seconds-0").is_dir(), 60), "the quick run never finished"
        kernels = wait_for(lambda: kernels_of(process.pid) if len(kernels_of(process.pid)) == 2 else [], 60)
        assert len(kernels) == 2, "two long runs should be running"
        started = time.monotonic()
        process.send_signal(getattr(signal, how))
        time.sleep(0.3)
        process.send_signal(getattr(signal, how))  # a second Ctrl-C must not break the cleanup
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stdout + stderr
    assert time.monotonic() - started < 30  # not the 4 x 120 s of the runs
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert "interrupted" in stderr
    assert wait_for(lambda: not any(alive(k) for k in kernels), 10), "kernels outlived the batch"
    summary = pd.read_csv(out / "summary.csv")
    states = summary.drop_duplicates("run_id").set_index("run_id")["status"].to_dict()
    assert states.pop("seconds-0") == "ok"  # finished before the interrupt: kept
    assert set(states.values()) == {"interrupted"} and len(states) == 4
    index = (out / "index.html").read_text()
    assert "interrupted" in index and "seconds-0" in index
    runs = out / "runs"
    assert sorted(p.name for p in runs.iterdir()) == ["seconds-0"]  # nothing half-written, nothing hidden


def test_a_killed_batch_leaves_no_process_behind_and_the_next_call_cleans_up(tmp_path):
    config = write_config(tmp_path, "grid:\n  seconds: [120, 121]\n")
    out = tmp_path / "out"
    process = start_batch(config, out, "--jobs", "2")
    try:
        kernels = wait_for(lambda: kernels_of(process.pid) if len(kernels_of(process.pid)) == 2 else [], 60)
        assert len(kernels) == 2
        below = descendants(process.pid)
        # what a crash leaves: a half-written run folder
        (out / "runs" / ".seconds-120.tmp-999999").mkdir(parents=True)
        process.kill()
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    assert wait_for(lambda: not any(alive(p) for p in below), 10), "processes outlived the killed batch"
    quick = write_config(tmp_path, "grid:\n  seconds: [0]\n", name="quick.yaml")
    assert run_main(quick, out) == 0
    assert not [p.name for p in (out / "runs").iterdir() if p.name.startswith(".")]


# ---------------------------------------------------------------- one batch per folder, bad folders
def test_a_second_batch_on_the_same_folder_exits_2_naming_the_first(tmp_path, capsys):
    config = write_config(tmp_path, "grid:\n  seconds: [60]\n")
    out = tmp_path / "out"
    first = start_batch(config, out)
    try:
        assert wait_for(lambda: kernels_of(first.pid), 60)
        assert run_main(config, out) == 2
        err = capsys.readouterr().err
        assert f"pid {first.pid}" in err and "another batch" in err, err
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert first.returncode == 130


def test_an_output_folder_that_is_a_file_or_cannot_be_made_exits_2(tmp_path, capsys):
    config = write_config(tmp_path, "grid:\n  seconds: [0]\n")
    (tmp_path / "taken").write_text("a file")
    assert run_main(config, tmp_path / "taken") == 2
    assert "is a file" in capsys.readouterr().err
    assert run_main(config, tmp_path / "taken" / "below") == 2
    err = capsys.readouterr().err
    assert "cannot be created" in err and "Traceback" not in err


# ---------------------------------------------------------------- a time limit per run
def test_a_run_over_its_time_limit_fails_saying_so(tmp_path, capsys):
    config = write_config(tmp_path, "runs:\n  - {seconds: 60}\n  - {seconds: 0}\n")
    out = tmp_path / "out"
    started = time.monotonic()
    assert run_main(config, out, "--run-timeout", "4", "--jobs", "2") == 1
    assert time.monotonic() - started < 40
    slow = status_of(out, "seconds-60")
    assert slow["status"] == "failed" and slow["kind"] == "timeout"
    assert slow["error"] == "took longer than 4 s", slow
    assert status_of(out, "seconds-0")["status"] == "ok"
    page = (out / "runs" / "seconds-60" / "report.html").read_text()
    assert "took longer than 4 s" in page and "--run-timeout" in page
    assert "CellTimeoutError" not in capsys.readouterr().out


def test_a_timed_out_run_is_one_clean_line_and_nothing_on_stderr(tmp_path):
    # a kernel deep in compiled code ignores the interrupt of its shutdown and is killed: nbclient
    # then left its output poller pending, and "Task was destroyed but it is pending!" reached stderr
    config = write_config(tmp_path, "runs:\n  - {seconds: 60, deaf: true}\n")
    process = start_batch(config, tmp_path / "out", "--run-timeout", "3")
    try:
        stdout, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, stdout + stderr
    assert stderr == "", stderr
    assert re.search(r"^failed\s+seconds-60_deaf-true \(\d+\.\d s\): took longer than 3 s$", stdout, re.M), stdout
    assert len(stdout.splitlines()) == 3, stdout  # the plan, the run, the total


def test_a_failed_run_gets_a_short_error_page_and_keeps_its_traceback_in_the_notebook(tmp_path):
    config = write_config(tmp_path, "runs:\n  - {fail: the data is bad}\n")
    out = tmp_path / "out"
    assert run_main(config, out) == 1
    folder = out / "runs" / "fail-the-data-is-bad"
    page = (folder / "report.html").read_text()
    assert "ValueError: asked to fail: the data is bad" in page
    assert "Traceback" not in page and "time.sleep" not in page  # no traceback, no source
    assert 'href="tiny.ipynb"' in page
    notebook = json.loads((folder / "tiny.ipynb").read_text())
    errors = [o for c in notebook["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "ValueError" and errors[0]["traceback"]


# ---------------------------------------------------------------- every error of a config at once
def test_every_bad_value_of_a_config_is_reported_at_once_before_anything_runs(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    config = tmp_path / "bad.yaml"
    config.write_text(
        "parameters:\n  activation: gelu\n  task: classification\n  epochs: -5\n  seeds: 0\n"
        "  n_hidden: 0\n  lr: .nan\n  n_repeats: 1e29\n"
        "grid:\n  lr: [-0.1, .inf]\n  dataset: [friedman2, data/missing.csv]\n"
        "runs:\n  - {model: models/missing.pt}\n")
    out = tmp_path / "out"
    assert run_main(config, out) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for key, text in [("parameters.activation", "gelu"), ("parameters.task", "classification"),
                      ("parameters.epochs", "-5"), ("parameters.seeds", "0"), ("parameters.n_hidden", "0"),
                      ("parameters.lr", "nan"), ("parameters.n_repeats", "1e29"), ("grid.lr", "-0.1"),
                      ("grid.lr", "inf"), ("grid.dataset", "friedman2"), ("grid.dataset", "data/missing.csv"),
                      ("runs[0].model", "models/missing.pt")]:
        assert re.search(rf"^\s+- {re.escape(key)}\b.*{re.escape(text)}", err, re.M), (key, err)
    # a file: the path as written and where it resolved
    assert str(tmp_path / "data" / "missing.csv") in err and str(tmp_path / "models" / "missing.pt") in err
    assert not out.exists()
