"""The fast part runs on two workers with `--dist loadgroup` (scripts/test.sh): the tests of one `xdist_group` (a
page's run shared by its checks, the region demo) must reach one worker, or each worker pays the group's setup.
pytest 9.2 with pytest-xdist 3.8 lost the group silently (pytest-xdist issue #1386); tests/conftest.py puts it back."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest


@pytest.mark.xdist_group("grouping-check")
def test_a_grouped_test_is_scheduled_by_its_group(request):
    from xdist.scheduler.loadgroup import LoadGroupScheduling

    from . import conftest

    item = copy.copy(request.node)  # a copy: the running test's own id stays as the session knows it
    worker = SimpleNamespace(option=SimpleNamespace(loadgroup=True))  # what xdist sets on a loadgroup worker
    conftest.pytest_collection_modifyitems(worker, [item])
    assert item.nodeid.startswith("tests/test_xdist_groups.py::test_a_grouped_test_is_scheduled_by_its_group")
    assert item.nodeid.endswith("@grouping-check") and item.nodeid.count("@") == 1, item.nodeid
    # The controller's scheduler reads the group back from the id it is sent: one work unit per group.
    scheduler = LoadGroupScheduling.__new__(LoadGroupScheduling)  # _split_scope reads only the id
    assert scheduler._split_scope(item.nodeid) == "grouping-check"
    assert scheduler._split_scope("tests/test_kpis.py::test_brands_range_target") == \
        "tests/test_kpis.py::test_brands_range_target"  # an ungrouped test is its own unit


def test_ungrouped_tests_and_runs_without_xdist_keep_their_ids(request):
    from . import conftest

    item = copy.copy(request.node)
    before = item.nodeid
    conftest.pytest_collection_modifyitems(SimpleNamespace(option=SimpleNamespace(loadgroup=True)), [item])
    assert item.nodeid == before  # no xdist_group mark: nothing added
    grouped = copy.copy(request.node)
    grouped.own_markers = [*grouped.own_markers, pytest.mark.xdist_group("g").mark]  # the copy's own list
    conftest.pytest_collection_modifyitems(SimpleNamespace(option=SimpleNamespace()), [grouped])
    assert grouped.nodeid == before  # not a loadgroup worker (a plain run, the controller): ids as collected


def test_a_test_using_a_costly_worker_fixture_joins_its_group(request):
    """SHARED_SETUP_GROUPS (tests/conftest.py): the tests that use a fixture made once per worker are one group, so
    one worker makes it; a fixture name other modules reuse is matched with its module's file name."""
    from . import conftest

    def group_of(fixturenames, path=None):
        item = copy.copy(request.node)
        item.own_markers = list(item.own_markers)  # the copy's own list: the running test keeps its markers
        item.fixturenames = fixturenames
        if path is not None:
            item.path = path
        conftest.SharedSetupGroups().pytest_collection_modifyitems([item])
        return [m.args[0] for m in item.iter_markers("xdist_group")]

    assert group_of(["tmp_path", "acceptance_built"]) == ["acceptance-pack"]
    assert group_of(["long_pack"]) == ["evidence-long-pack"]
    here = request.node.path
    assert group_of(["folder"], here.with_name("test_region.py")) == ["region-folder"]
    assert group_of(["folder"], here.with_name("test_region_snapshots.py")) == []  # its own, per-test folder
    assert group_of(["tmp_path"]) == []
