"""grade_engine on engines with one known mistake each (tests/tutor_engines.py), on a
correct one and on micrograd 0.1.0 itself; assert_engine_passes for a course's CI."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import tutor_engines as engines

from autograd.tutor import Grade, grade_engine
from autograd.tutor.grade import (
    FAILED,
    MISCONCEPTIONS,
    NOT_TESTED,
    OPS,
    PASSED,
    RECURSION_MESSAGE,
    WARNING,
)
from autograd.tutor.pytest_plugin import assert_engine_passes

from support import need

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = 40  # per behaviour: enough for every mistake below, and quick
STRUCTURE = ["node used twice", "diamond", "topological order", "deep chain",
             "two backward() calls"]
ALL = [case.name for case in OPS] + STRUCTURE

#: engine -> {failed behaviour: misconception}, {behaviour: status other than passed}
MISTAKES = {
    engines.Overwrite: ({"node used twice": "= instead of +=", "diamond": "= instead of +="},
                        {"topological order": NOT_TESTED, "two backward() calls": NOT_TESTED}),
    engines.SubSign: ({"-": "sign of subtraction's derivative",
                       "rsub": "sign of subtraction's derivative"}, {}),
    engines.TanhInput: ({"tanh": "out.data and self.data confused"}, {}),
    engines.SigmaForPrime: ({"sigmoid": "σ for σ′"}, {}),
    engines.PowOffByOne: ({"**": "power rule off by one"}, {}),
    engines.NoTopo: ({"topological order": "no topological order"}, {}),
    engines.NoRadd: ({"radd": "missing reflected operator"}, {}),
    engines.Recursive: ({}, {"deep chain": WARNING}),
    engines.Reset: ({}, {"two backward() calls": WARNING}),
}


@pytest.fixture(scope="module")
def grades() -> dict[type, Grade]:
    return {cls: grade_engine(cls, max_examples=EXAMPLES)
            for cls in [engines.Scalar, *MISTAKES]}


def test_the_correct_engine_passes_everything(grades):
    grade = grades[engines.Scalar]
    assert [b.name for b in grade.behaviours] == ALL
    assert grade.with_status(PASSED) == ALL and grade.passed
    assert grade.summary() == "tutor_engines.Scalar: 20 passed, 0 failed, 0 warnings, " \
                              "0 not tested"


@pytest.mark.parametrize("cls", list(MISTAKES), ids=lambda c: c.__name__)
def test_each_mistake_fails_exactly_its_behaviour_and_is_named(grades, cls):
    failed, others = MISTAKES[cls]
    grade = grades[cls]
    assert {b.name: b.misconception for b in grade.behaviours if b.status == FAILED} == failed
    assert {b.name: b.status for b in grade.behaviours
            if b.status not in (PASSED, FAILED)} == others
    assert grade.passed == (not failed)
    for name in failed:
        assert grade[name].misconception in MISCONCEPTIONS
        assert MISCONCEPTIONS[grade[name].misconception] in str(grade)


def test_the_failing_example_is_the_smallest(grades):
    """Hypothesis shrinks each failure to its simplest inputs."""
    assert grades[engines.SubSign]["-"].detail == \
        "x - y with x=0, y=0: grad of y = 1, expected -1"
    assert grades[engines.Overwrite]["node used twice"].detail == \
        "a + a with a=0: grad of a = 1, expected 2"
    assert grades[engines.SigmaForPrime]["sigmoid"].detail == \
        "x.sigmoid() with x=0: grad of x = 0.5, expected 0.25"
    assert grades[engines.PowOffByOne]["**"].detail.startswith("x ** n with ")
    assert grades[engines.NoTopo]["topological order"].detail.endswith(
        "grad of x = 1, expected 2")
    assert grades[engines.Overwrite]["topological order"].detail == \
        "needs node used twice (failed)"


def test_a_deep_recursive_topological_order_is_a_warning(grades):
    grade = grades[engines.Recursive]
    assert grade["deep chain"].detail.endswith(RECURSION_MESSAGE)
    assert grade.passed
    assert_engine_passes(engines.Recursive, max_examples=5)
    with pytest.raises(AssertionError, match="fails deep chain"):
        assert_engine_passes(engines.Recursive, allow_warnings=False, max_examples=5)


def test_accumulating_across_backward_calls_is_reported(grades):
    assert "accumulate" in grades[engines.Scalar]["two backward() calls"].detail
    assert "resets" in grades[engines.Reset]["two backward() calls"].detail


def test_what_cannot_be_tested_says_why():
    grade = grade_engine(engines.Minimal)
    assert grade.with_status(NOT_TESTED) == ALL
    assert grade["+"].detail == "a Minimal has no grad, backward"
    assert grade.offers == ["data", "+"]


def test_the_report_in_text_markdown_and_html(grades):
    grade = grades[engines.SubSign]
    text = str(grade)
    assert text.splitlines()[0] == ("tutor_engines.SubSign: 18 passed, 2 failed, 0 warnings, "
                                    "0 not tested")
    assert "  failed      -     " in text and "misconception: sign of subtraction" in text
    markdown = grade.markdown()
    assert "| `-` | failed | x - y with x=0, y=0" in markdown
    page = grade._repr_html_()
    assert "<table>" in page and "x - y with x=0, y=0" in page


def test_the_seed_draws_other_inputs_reproducibly():
    a = grade_engine(engines.TanhInput, max_examples=10, seed=7)
    b = grade_engine(engines.TanhInput, max_examples=10, seed=7)
    assert str(a) == str(b) and a.with_status(FAILED) == ["tanh"]


def test_arguments_are_checked():
    with pytest.raises(TypeError, match="ValueClass must be a class"):
        grade_engine(engines.Scalar(1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_examples must be a positive int"):
        grade_engine(engines.Scalar, max_examples=0)


def test_assert_engine_passes():
    assert assert_engine_passes(engines.Scalar, max_examples=5).passed
    with pytest.raises(AssertionError) as raised:
        assert_engine_passes(engines.SubSign, max_examples=5)
    message = str(raised.value)
    assert message.startswith("the engine fails -, rsub\n")
    assert "x - y with x=0, y=0: grad of y = 1, expected -1" in message


def test_the_conftest_snippet_grades_in_a_course_ci(tmp_path):
    """The snippet of pytest_plugin's doc, in a course's folder: a good engine passes, a
    wrong one fails with the report."""
    import autograd.tutor.pytest_plugin as plugin

    doc = plugin.__doc__ or ""
    conftest = textwrap.dedent(doc.split("::\n")[1].split("and a test")[0])
    (tmp_path / "conftest.py").write_text(conftest)
    (tmp_path / "test_course.py").write_text(
        "from tutor_engines import Scalar, SubSign\n\n"
        "def test_good(grade):\n    grade(Scalar, max_examples=5)\n\n"
        "def test_wrong(grade):\n    grade(SubSign, max_examples=5)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(tmp_path)], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert "1 failed, 1 passed" in result.stdout, result.stdout + result.stderr
    assert "sign of subtraction's derivative" in result.stdout


def test_the_package_imports_without_hypothesis():
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "import autograd.tutor, autograd.tutor.pytest_plugin\n"
            "print(autograd.tutor.grade_engine.__name__)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.stdout == "grade_engine\n", result.stderr


def test_micrograd_passes_what_it_implements():
    need("micrograd")
    from micrograd.engine import Value

    grade = grade_engine(Value, max_examples=EXAMPLES)
    assert grade.passed
    assert grade.with_status(NOT_TESTED) == ["tanh", "exp", "sigmoid", "log"]
    assert grade["tanh"].detail == "the class has no tanh"
    assert grade.with_status(WARNING) == ["deep chain"]  # micrograd's topo is recursive
    assert grade["deep chain"].detail.endswith(RECURSION_MESSAGE)
    assert set(grade.with_status(PASSED)) == set(ALL) - {"tanh", "exp", "sigmoid", "log",
                                                          "deep chain"}
    assert grade.offers[:4] == ["data", "grad", "backward", "_prev"]


def test_a_missing_reflected_operator_fails_only_where_numbers_are_taken():
    """x + 2 works on NoRadd, so 2 + x must too; an engine that takes no numbers at all
    (the docs page's) has its reflected operators reported untested."""
    from autograd.tutor.grade import takes_numbers

    assert takes_numbers(engines.NoRadd, "__add__")
    assert not takes_numbers(engines.Minimal, "__add__")
