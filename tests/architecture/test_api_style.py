"""Every API module keeps the one style of docs/api.md ("One class per operation"), and the
checker catches what it is meant to catch."""

from pathlib import Path

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.settings import spectacular_settings
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.views import APIView

from core.api_routing import MethodRoutes
from tests.architecture.api_style import (
    api_module_paths,
    class_findings,
    serializers_modules,
    style_findings,
    unmarked_module_serializers,
)
from tests.architecture.layers import RANK, _module_name

ROOT = Path(__file__).resolve().parents[2]
API_MODULES = {_module_name(path.relative_to(ROOT)): path for path in api_module_paths(ROOT, RANK)}


def test_the_api_modules_are_found():
    assert {"accounts.api", "accounts.api_tokens", "campaigns.api", "pledges.api", "reports.api"} <= set(API_MODULES)


def test_no_app_keeps_a_serializers_module():
    assert serializers_modules(ROOT, RANK) == []


@pytest.mark.parametrize("module_name", sorted(API_MODULES))
def test_each_api_class_answers_one_operation(module_name):
    assert style_findings(module_name) == []


@pytest.mark.parametrize("module_name", sorted(API_MODULES))
def test_module_level_serializers_are_shared_shapes_and_say_so(module_name):
    assert unmarked_module_serializers(API_MODULES[module_name], module_name) == []


def test_the_schema_is_generated_without_a_warning():
    """Nested serializers share names (InputSerializer, OutputSerializer): two of them under one
    component name would be documented as one. drf-spectacular warns about that, and about any
    operation it cannot describe; there must be none."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(request=None, public=True)

    assert (dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache)) == ({}, {})


# --- the checker ----------------------------------------------------------------------------


class TwoOperationsApi(GenericAPIView):
    def get(self, request):
        raise NotImplementedError

    def post(self, request):
        raise NotImplementedError


class ListApi(ListAPIView):
    pass


class CreateApi(APIView):
    def post(self, request):
        raise NotImplementedError


class DocumentedRoutes(MethodRoutes):
    """A URL of the contract with two operations."""

    routes = {"get": ListApi, "post": CreateApi}


class UndocumentedRoutes(MethodRoutes):
    routes = {"get": ListApi, "post": TwoOperationsApi}


def test_the_checker_flags_a_class_with_two_operations_and_passes_one_with_one():
    flagged = f"{__name__}.TwoOperationsApi answers get, post: one operation per class"
    assert class_findings(TwoOperationsApi) == [flagged]
    assert class_findings(ListApi) == class_findings(CreateApi) == []


def test_the_checker_wants_dispatchers_documented_and_routing_to_one_operation_each():
    assert class_findings(DocumentedRoutes) == []
    assert class_findings(UndocumentedRoutes) == [
        f"{__name__}.UndocumentedRoutes dispatches without saying why (no docstring)",
        f"{__name__}.UndocumentedRoutes routes post to TwoOperationsApi, which answers get, post",
    ]


def test_the_checker_finds_serializers_modules_and_unmarked_module_serializers(tmp_path, monkeypatch):
    (tmp_path / "pledges").mkdir()
    (tmp_path / "pledges" / "serializers.py").write_text("")
    source = (
        "from rest_framework import serializers\n\n\n"
        "# Shared: two classes answer it.\n"
        "class SharedSerializer(serializers.Serializer):\n    pass\n\n\n"
        "class LonelySerializer(serializers.Serializer):\n    pass\n"
    )
    (tmp_path / "style_probe_api.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))

    assert serializers_modules(tmp_path, ["pledges", "rewards"]) == ["pledges/serializers.py"]
    assert unmarked_module_serializers(tmp_path / "style_probe_api.py", "style_probe_api") == [
        "style_probe_api.LonelySerializer is a module-level serializer: nest it, or mark it shared"
    ]
