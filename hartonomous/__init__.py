"""Hartonomous: change events to CloudEvents on Kafka, semantic consumers, models as rows,
and a provenance graph in Neo4j."""

__version__ = "0.1.0"
