"""Make ExecuTorch-quantized uint8-IO fixtures (run in the ExecuTorch venv)."""
import sys, torch
sys.path.insert(0, "/work/wt-uint8/benchmarks")
import models
from executorch.backends.arm.quantizer import EthosUQuantizer, get_symmetric_quantization_config, get_uint8_io_quantization_config
from executorch.backends.arm.ethosu import EthosUCompileSpec
from torchao.quantization.pt2e.quantize_pt2e import prepare_pt2e, convert_pt2e
out = sys.argv[1]
for name in sys.argv[2:]:
    model, inputs = models.build(name)
    spec = EthosUCompileSpec("ethos-u55-128")
    q = EthosUQuantizer(spec)
    q.set_global(get_symmetric_quantization_config())
    q.set_io(get_uint8_io_quantization_config())
    ep = torch.export.export(model.eval(), inputs, strict=False)
    prepared = prepare_pt2e(ep.module(), q)
    for batch in models.calibration(name):
        prepared(*batch)
    converted = convert_pt2e(prepared)
    final = torch.export.export(converted, inputs, strict=False)
    print(name, "ok")
    torch.export.save(final, f"{out}/executorch_arm_{name}_uint8_io.pt2")
