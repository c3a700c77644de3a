"""User-facing errors. The CLIs print their message and exit 1, with no traceback."""


class TosaicError(Exception):
    """Bad input or an unsupported program: the message names the op, where, and why."""


class FrontendError(TosaicError):
    """The PyTorch program could not be loaded, exported or imported into MLIR."""


class EmitError(TosaicError):
    """The TOSA IR could not be validated or serialized for the target."""


class ReferenceModelError(TosaicError):
    """The TOSA reference model rejected the flatbuffer or its inputs."""
