"""Back ends: what a TOSA module becomes for each compile target (a validated TOSA
flatbuffer, run on the TOSA reference model or compiled by Vela for an Ethos-U NPU)."""
