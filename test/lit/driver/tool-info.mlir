// --version and --show-dialects print and exit (reading no input), as mlir-opt's do;
// --show-dialects in mlir-opt's form, tosaic's own dialect among MLIR's.

// RUN: tosaic-opt --version | filecheck %s --check-prefix=VERSION
// RUN: tosaic-opt -version | filecheck %s --check-prefix=VERSION
// RUN: tosaic-opt --show-dialects | filecheck %s --check-prefix=DIALECTS
// RUN: tosaic-opt -show-dialects < /dev/null | filecheck %s --check-prefix=DIALECTS

// VERSION: {{^}}tosaic-opt (tosaic {{[0-9.]+}}){{$}}
// VERSION-NEXT: {{^}}  MLIR from torch-mlir {{[0-9]+}} (Python bindings and passes){{$}}
// VERSION-NOT: {{.}}

// DIALECTS: {{^}}Available Dialects: {{([a-z_0-9]+,)*}}builtin,{{([a-z_0-9]+,)*}}func,{{([a-z_0-9]+,)*}}tosa,tosaic,{{([a-z_0-9]+,)*}}transform{{(,[a-z_0-9]+)*$}}
// DIALECTS-NOT: {{.}}
