"""The simulated world: SimPy environment, devices, the ``sim`` backend, faults, the event log."""
