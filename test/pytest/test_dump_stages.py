"""`tosaic compile --dump-stages DIR`: every stage of a quantized compile replays, from
the torch-dialect import on, with the commands in the stage files' headers, to the
same IR at every stage and to a byte-identical final IR and flatbuffer."""

import os
import shutil
import subprocess
import sys

import pytest

from tosaic.pipelines.stages import read_stage

BIN = os.path.dirname(sys.executable)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize(
    "model, shape, scheme, target",
    [
        ("ConvPoolNet", "1x3x16x16", "a8w8", "tosa-int"),
        # int16 activations (int48 accumulators) and the Ethos-U55 pipeline variant.
        ("DepthwiseSeparable", "1x3x16x16", "a16w8", "ethos-u55-128"),
    ],
)
def test_every_stage_replays_to_identical_ir_and_flatbuffer(tmp_path, model, shape, scheme, target):
    out, stages = tmp_path / "out", tmp_path / "stages"
    compiled = subprocess.run(
        [os.path.join(BIN, "tosaic"), "compile", f"{REPO}/examples/models.py:{model}", "--input-shape", shape,
         "--scheme", scheme, "--target", target, "-o", str(out), "--dump-stages", str(stages),
         "--no-tensor-names"],  # the replay's last command is tosa-tools' serializer: layer_N names
        capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr

    files = sorted(f for f in os.listdir(stages) if f.endswith(".mlir"))
    assert files[0] == "00-import.mlir" and files[1] == "01-torch-to-tosa.mlir"
    read = {f: read_stage(stages / f) for f in files}
    assert "torch.aten." in read[files[0]][1]  # the torch dialect
    assert '"tosaic.quantize"' in read[files[1]][1] and "tosa.conv2d" in read[files[1]][1]
    # One `next:` command per stage, two for the last (the final IR, the flatbuffer).
    assert [len(read[f][0]) for f in files] == [1] * (len(files) - 1) + [2]

    # Replay from the import alone: each command reads what the one before wrote.
    replay = tmp_path / "replay"
    replay.mkdir()
    shutil.copy(stages / files[0], replay / files[0])
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    for index, file in enumerate(files):
        for command in read[file][0]:
            ran = subprocess.run(command, shell=True, cwd=replay, env=env, capture_output=True, text=True)
            assert ran.returncode == 0, f"{file}: {command}\n{ran.stderr}"
        if index + 1 < len(files):
            following = files[index + 1]
            assert (replay / following).read_text() == read[following][1], f"{following} differs on replay"

    assert (replay / "model.mlir").read_bytes() == (out / "model.mlir").read_bytes()
    assert (replay / "model.tosa").read_bytes() == (out / "model.tosa").read_bytes()

    # replay.sh is those commands, in order.
    script = (stages / "replay.sh").read_text().splitlines()
    assert script[4:] == [c for f in files for c in read[f][0]]
