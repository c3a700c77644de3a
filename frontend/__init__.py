"""Front end: a PyTorch program in, TOSA IR out (torch.export, torch-mlir's FX importer
and TorchToTosa). What happens to the IR next is `pipelines/`' business."""
