"""Hardware models of an EVE device: pure state with explicit times, driven by the simulation.

Modules: ``board`` (profiles), ``image`` (EVE images), ``gpt``/``disk`` (partition table and
contents), ``bootloader`` (GRUB ``gptprio.next``), ``flash`` (timing), ``persist`` (files with
fsync/rename semantics), ``tpm``, ``watchdog``, ``power`` and ``device`` (the aggregate).
"""
