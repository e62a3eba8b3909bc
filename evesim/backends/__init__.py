"""Real-machine backends: the ``host`` backend and the real-time runner that drives EVE's agents.

The agents in ``evesim.agent`` yield effects; here they are performed against the wall clock,
HTTPS to a real controller and files under a state directory laid out like EVE's ``/config``,
``/persist`` and ``/run``.
"""
