"""The one quantity parser: the Kubernetes grammar, its callers, and the byte minimum."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mxnet_construct import MXNetChart, Persistence, Resources, RoleOptions
from mxnet_construct._quantity import MAX, QuantityError, format_quantity, parse_quantity
from tests.helpers import find, make_chart, synth

DIST: dict[str, Any] = {"mode": "distributed", "server_count": 1, "worker_count": 2}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # every suffix of the API server's table
        ("1n", Decimal("1e-9")),
        ("1u", Decimal("1e-6")),
        ("1m", Decimal("0.001")),
        ("1", Decimal(1)),
        ("1k", Decimal(1000)),
        ("1M", Decimal(10**6)),
        ("1G", Decimal(10**9)),
        ("1T", Decimal(10**12)),
        ("1P", Decimal(10**15)),
        ("1E", Decimal(10**18)),
        ("1Ki", Decimal(2**10)),
        ("1Mi", Decimal(2**20)),
        ("1Gi", Decimal(2**30)),
        ("1Ti", Decimal(2**40)),
        ("1Pi", Decimal(2**50)),
        ("1Ei", Decimal(2**60)),
        # decimal exponents, either case, signed; E alone is exa, E with digits an exponent
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("15e-1", Decimal("1.5")),
        ("2e+2", Decimal(200)),
        # signs and every number shape
        ("+1.5Gi", Decimal(1536 * 2**20)),
        ("-500m", Decimal("-0.5")),
        ("1.", Decimal(1)),
        (".5", Decimal("0.5")),
        ("0.1m", Decimal("0.0001")),
        # numbers as YAML or Python give them
        (4, Decimal(4)),
        (0.5, Decimal("0.5")),
        (1e-05, Decimal("0.00001")),
    ],
)
def test_parse_quantity_covers_the_kubernetes_grammar(text: str | int | float, value: Decimal) -> None:
    assert parse_quantity(text) == value


def test_parse_quantity_is_exact_for_long_mantissas() -> None:
    # 40 significant digits times 1024**6 would be rounded in Decimal's default 28 digits.
    mantissa = "1234567890123456789012345678901234567891"
    assert parse_quantity(f"{mantissa}Ei") == Decimal(int(mantissa) * 2**60)


@pytest.mark.parametrize(
    "text",
    ["", "lots", "1K", "1Kib", "1 Gi", "1Gi\n", "1e", "1e3.5", "e3", "++1", "1.2.3", "0x10", "inf", "nan", True, None],
)
def test_parse_quantity_refuses_what_the_api_server_refuses(text: Any) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


def test_absurd_exponents_are_refused_not_computed() -> None:
    with pytest.raises(QuantityError, match="out of range"):
        parse_quantity("1e999999999999")


@pytest.mark.parametrize("size", [3.178215832447892e-262, "1e200", 1e-150])
def test_an_exponent_out_of_range_is_an_option_error_naming_the_field(size: Any) -> None:
    # Found by tests/test_fuzz.py: the option check passed numbers without parsing them, so
    # the byte floor's parse raised a QuantityError that named no field.
    with pytest.raises(ValueError, match=r"^persistence\.size: .* the exponent -?\d+ is out of range") as info:
        Persistence(enabled=True, size=size)
    assert type(info.value) is not QuantityError


def test_an_exponent_out_of_range_in_a_values_file_names_the_values_key() -> None:
    import cdk8s

    with pytest.raises(ValueError, match=r"persistence\.size.* the exponent -262 is out of range"):
        MXNetChart.from_helm_values(cdk8s.App(), "rel", {"persistence": {"size": 3.178215832447892e-262}})


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1.5"), "1500m"),
        (Decimal(3), "3"),
        (Decimal(1000), "1000"),
        (Decimal("0.0001"), "0.0001"),
        (Decimal(3 * 2**30), "3Gi"),
        (Decimal(1536 * 2**20), "1536Mi"),
        (Decimal(2**60), "1Ei"),
    ],
)
def test_format_quantity_round_trips(value: Decimal, text: str) -> None:
    assert format_quantity(value) == text
    assert parse_quantity(text) == value


@pytest.mark.parametrize("memory", ["1E", "1e18", "1Ei", "4E"])
def test_exa_quantities_synthesize_with_a_gang_scheduler(memory: str) -> None:
    chart = make_chart(
        **DIST, gang_scheduler="volcano", worker=RoleOptions(resources=Resources(requests={"memory": memory}))
    )
    group = find(synth(chart), "PodGroup", "test-mxnet")
    assert parse_quantity(group["spec"]["minResources"]["memory"]) == 2 * parse_quantity(memory)


def test_quantities_above_the_kubernetes_cap_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"resources.requests\['memory'\]: '10E' is not valid; Kubernetes caps"):
        make_chart(**DIST, worker=RoleOptions(resources=Resources(requests={"memory": "10E"})))
    assert parse_quantity("10E") > MAX > parse_quantity("9E")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: Persistence(size=20),
            r"persistence.size: 20 is not valid; memory and storage are counted in bytes, so this is 20 bytes; "
            r"write it with a unit, e.g. '20Gi' or '20Mi' \(at least 1Mi\)",
        ),
        (lambda: Resources(requests={"memory": 4096}), r"resources.requests\['memory'\]: 4096 .* '4096Mi'"),
        (lambda: Resources(limits={"memory": "4096"}), r"resources.limits\['memory'\]: '4096' .* 4096 bytes"),
        (lambda: Resources(limits={"ephemeral-storage": "0.5"}), r"'0.5Gi'"),
        (lambda: Resources(limits={"memory": "1023Ki"}), r"'1023Ki' is not valid; memory and storage under 1Mi"),
        (lambda: Persistence(size="1e3"), r"persistence.size: '1e3' .* under 1Mi"),
        (lambda: make_chart(**DIST, server=RoleOptions(shm_size=64)), r"server.shm_size: 64 .* '64Gi'"),
    ],
)
def test_memory_and_storage_under_one_mebibyte_are_refused(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_one_mebibyte_and_cpu_numbers_are_fine() -> None:
    Persistence(size="1Mi")
    Resources(requests={"memory": "1048576", "cpu": 2}, limits={"cpu": "500m", "nvidia.com/gpu": 1})


def test_values_files_get_the_same_refusal_under_their_key() -> None:
    with pytest.raises(ValueError, match=r"^persistence.size: 20 is not valid; .*'20Gi'"):
        MXNetChart.from_helm_values(_app(), "r", {"persistence": {"enabled": True, "size": 20}})


def _app() -> Any:
    import cdk8s

    return cdk8s.Testing.app()


def test_run_local_reads_quantities_with_the_same_parser() -> None:
    from mxnet_construct.runner.model import RunLocalError
    from mxnet_construct.runner.security import quantity

    assert quantity("1e3", "x") == 1000
    assert quantity("1E", "x") == 10**18
    assert quantity("+512Mi", "x") == 512 * 2**20
    for bad in ("-1Gi", "1Qi", None):
        with pytest.raises(RunLocalError, match=r"x: .* is not a Kubernetes quantity"):
            quantity(bad, "x")
