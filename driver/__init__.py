"""The compile driver behind `tosaic.compile` and the CLIs, and what it reports: the
weights section of report.json, the numeric check of quantized programs, user errors.

Kept free of imports so that every stage can use `tosaic.driver.errors` cheaply."""
