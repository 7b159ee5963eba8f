"""The Bitnami ``bitnami/mxnet`` values schema, translated into ``MXNetChart`` arguments.

Users leaving Helm keep their ``values.yaml``. :func:`chart_kwargs_from_values` reads a
mapping in the chart's schema (nested YAML form, ``image: {tag: ...}``) and returns the
keyword arguments of :class:`~mxnet_construct.chart.MXNetChart`. It decides nothing
itself: every value lands in a typed option (:class:`~mxnet_construct.options.Image`,
:class:`~mxnet_construct.options.Probe`, ...), whose defaults and checks apply unchanged.

One table, :data:`PARAMS`, drives everything: which keys exist and their types, where each
value goes, the error messages (which name the Helm key, not the Python field) and the
migration table in ``docs/migration.md`` (``python -m mxnet_construct.helm
--migration-table`` prints it).

Differences from Helm, all deliberate:

* An unknown key or a value of the wrong type is an error that names the full key path
  and suggests the closest known key. Helm ignores typos silently.
* A key set to null (``~``) means "use the default", at any level.
* Keys beyond the chart (``lifecycle``, ``gangScheduler``, ``job``, ``networkPolicy``,
  per-role ``scheduler``/``server``/``worker`` blocks, ...) reach the features the chart
  never had; ``filesDir`` stands in for the chart's ``files/`` directory.

The package holds :data:`PARAMS` and the value kinds (``_params``), values-file loading
(``_loading``), the translation (``_translate``), the errors retold with Helm keys
(``_errors``) and the migration table (``_migration``). Import from here; the module
layout is not part of the API.
"""

from __future__ import annotations

from ._errors import ValuesErrors, ValuesTypeError, ValuesWarning
from ._loading import MAX_YAML_DEPTH as MAX_YAML_DEPTH
from ._loading import load_values_file
from ._loading import parse_values_text as parse_values_text
from ._migration import main as main
from ._migration import migration_table, update_migration_doc
from ._params import PARAMS, UNMAPPED, Param
from ._translate import Translation, add_extra_objects, chart_kwargs_from_values, translate
from ._versions import VERSIONS as CHART_VERSIONS

__all__ = [
    "CHART_VERSIONS",
    "PARAMS",
    "UNMAPPED",
    "Param",
    "Translation",
    "ValuesErrors",
    "ValuesTypeError",
    "ValuesWarning",
    "add_extra_objects",
    "chart_kwargs_from_values",
    "load_values_file",
    "migration_table",
    "translate",
    "update_migration_doc",
]
