"""Make the ExecuTorch uint8-IO fixtures (see README.md). Run in the benchmark's ExecuTorch venv:

    benchmarks/.venv-executorch/bin/python test/pytest/data/make_executorch_uint8_io.py test/pytest/data conv_pool mlp
"""
import os
import sys

import torch
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

from executorch.backends.arm.ethosu import EthosUCompileSpec
from executorch.backends.arm.quantizer import (
    EthosUQuantizer,
    get_symmetric_quantization_config,
    get_uint8_io_quantization_config,
)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "benchmarks"))
import models  # noqa: E402

out = sys.argv[1]
for name in sys.argv[2:]:
    model, inputs = models.build(name)
    quantizer = EthosUQuantizer(EthosUCompileSpec("ethos-u55-128"))
    quantizer.set_global(get_symmetric_quantization_config())
    quantizer.set_io(get_uint8_io_quantization_config())
    exported = torch.export.export(model.eval(), inputs, strict=False)
    prepared = prepare_pt2e(exported.module(), quantizer)
    for batch in models.calibration(name):
        prepared(*batch)
    program = torch.export.export(convert_pt2e(prepared), inputs, strict=False)
    torch.export.save(program, os.path.join(out, f"executorch_arm_{name}_uint8_io.pt2"))
    print(name, "ok")
