# json_query for generating the expected outputs: JMESPath search as community.general's
# json_query filter does it (that collection is not part of ansible-core). Needs the
# `jmespath` Python package importable by Ansible (see generate.sh).
from __future__ import annotations

import jmespath


def _plain(value):
    # Ansible hands lazy/tagged subclasses of dict, list and str, whose type names jmespath's
    # type checks do not know (community.general registers them); plain copies behave the same.
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def json_query(data, expr):
    return jmespath.search(expr, _plain(data))


class FilterModule:
    def filters(self):
        return {"json_query": json_query}
