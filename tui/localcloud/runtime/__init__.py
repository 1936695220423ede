"""What runs: the orchestrator, replica processes, the gateway, scaling, metrics and logs."""
