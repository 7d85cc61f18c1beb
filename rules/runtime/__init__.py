"""The running engine: routing, partition workers, checkpoints, the alert store."""
