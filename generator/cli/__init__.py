"""The command line: one module per command; `main` builds the app. Only this package turns
errors into exit codes (`errors`) and only it is imported by nothing else."""
