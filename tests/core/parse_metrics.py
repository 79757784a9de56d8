"""Parses a Prometheus text exposition (stdin) with prometheus_client's own parser and
prints every sample as JSON: {"types": {family: type}, "samples": [[name, labels, value]]}.
Exits non-zero when the text does not parse."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

types = {}
samples = []
for family in text_string_to_metric_families(sys.stdin.read()):
    types[family.name] = family.type
    for sample in family.samples:
        samples.append([sample.name, sample.labels, sample.value])
json.dump({"types": types, "samples": samples}, sys.stdout)
