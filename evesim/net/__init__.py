"""Simulated networks: networkx topologies, links with latency/loss/bandwidth, routing, faults."""
