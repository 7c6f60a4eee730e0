"""Model files that cannot hurt: every bad file is refused at load with its path, a save
never loses or silently changes what was there, and models pickle and deep-copy."""

from __future__ import annotations

import ast
import copy
import json
import math
import multiprocessing
import os
import pickle
import random
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nn import MLP, Layer, Neuron, load, save
from nn._format import TEMP_SUFFIX

NN = Path(__file__).resolve().parent.parent / "nn"
ROOT = NN.parent


def saved(tmp_path: Path, name: str = "model.json") -> tuple[MLP, Path, dict]:
    model = MLP(2, [3, 1], activation="tanh", seed=5)
    path = tmp_path / name
    model.save(path)
    return model, path, json.loads(path.read_text())


def refused(path: Path, *phrases: str) -> str:
    """Load ``path``; it must raise ValueError naming the path and every phrase."""
    with pytest.raises(ValueError) as info:
        load(path)
    message = str(info.value)
    assert str(path) in message, message
    for phrase in phrases:
        assert phrase in message, (phrase, message)
    return message


# --- loading: each kind of bad file ------------------------------------------------------

def test_a_tiny_file_asking_for_ten_billion_values_is_refused_at_once(tmp_path):
    _, _, doc = saved(tmp_path)
    doc["config"]["nin"] = 100_000
    doc["config"]["nouts"] = [100_000, 1]  # (100000 + 1) * 100000 + 100001 * 1 weights
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(doc))
    assert path.stat().st_size < 1000
    start = time.perf_counter()
    message = refused(path, "needs 10000200001 numbers but the file holds 13",
                      "missing keys ['layers.0.neurons.3.w'")
    assert time.perf_counter() - start < 5, message  # 10^10 Values would take hours


def test_a_file_with_fewer_weights_than_its_config_is_refused_before_building(tmp_path):
    _, _, doc = saved(tmp_path)
    del doc["state"]["layers.1.neurons.0.b"]
    path = tmp_path / "short.json"
    path.write_text(json.dumps(doc))
    refused(path, "needs 13 numbers but the file holds 12", "['layers.1.neurons.0.b']")


@pytest.mark.parametrize("literal, phrase", [
    ("NaN", "NaN in the file"),
    ("Infinity", "Infinity in the file"),
    ("-Infinity", "-Infinity in the file"),
    ("1e999", "out of a float's range"),
    ("-2.5e400", "out of a float's range"),
    ("1" * 5000, "an integer with 5000 digits"),
    ("-" + "9" * 21, "an integer with 21 digits"),
    ("true", "'layers.0.neurons.0.b' must be a number, got True (bool)"),
    ('"0.5"', "'layers.0.neurons.0.b' must be a number, got '0.5' (str)"),
    ("[0.5]", "'layers.0.neurons.0.b' must be a number, got [0.5] (list)"),
    ("null", "must be a number, got None (NoneType)"),
    ("{}", "must be a number, got {} (dict)"),
], ids=lambda v: v if len(v) < 30 else f"{v[:8]}...({len(v)} chars)")
def test_bad_weights_are_refused(tmp_path, literal, phrase):
    _, good, _ = saved(tmp_path)
    text = good.read_text()
    old = '"layers.0.neurons.0.b": '
    start = text.index(old) + len(old)
    end = text.index(",", start)
    path = tmp_path / "bad.json"
    path.write_text(text[:start] + literal + text[end:])
    refused(path, phrase)


def test_a_bad_number_inside_a_weight_list_is_named_with_its_index(tmp_path):
    _, _, doc = saved(tmp_path)
    doc["state"]["layers.0.neurons.2.w"][1] = [1.0]
    path = tmp_path / "nested.json"
    path.write_text(json.dumps(doc))
    refused(path, "'layers.0.neurons.2.w'[1] must be a number, got [1.0] (list)")


@pytest.mark.parametrize("change, phrase", [
    (lambda d: d["config"].update(nin=True), "positive int nin"),
    (lambda d: d["config"].update(nin=2.0), "positive int nin"),
    (lambda d: d["config"].update(nin=0), "positive int nin"),
    (lambda d: d["config"].update(nouts=[3, False]), "list of positive ints nouts"),
    (lambda d: d["config"].update(nouts=[]), "list of positive ints nouts"),
    (lambda d: d["config"].update(nouts=3), "list of positive ints nouts"),
    (lambda d: d["config"].update(activation="swish"), "unknown activation 'swish'"),
    (lambda d: d["config"].update(output_activation=3), "output_activation: unknown "
                                                        "activation 3"),
    (lambda d: d["config"].pop("activation"), "\"config\" must have exactly the keys"),
    (lambda d: d.update(config=[2, [3, 1]]), "\"config\" must have exactly the keys"),
    (lambda d: d.update(version=True), "unsupported version True"),
    (lambda d: d.update(version="1"), "unsupported version '1'"),
    (lambda d: d.pop("version"), "unsupported version None"),
    (lambda d: d.update(format="other"), "not a chainrule model file"),
    (lambda d: d.pop("state"), "no \"state\""),
    (lambda d: d.update(state=[1.0, 2.0]), "\"state\" must be an object of weights, got list"),
    (lambda d: d["state"].update(extra=1.0), "unexpected keys ['extra']"),
])
def test_bad_documents_are_refused(tmp_path, change, phrase):
    _, _, doc = saved(tmp_path)
    change(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    refused(path, phrase)


@pytest.mark.parametrize("content, phrase", [
    (b"", "invalid JSON"),
    (b"[1, 2, 3]", "not a chainrule model file"),
    (b"\xef\xbb\xbf{}", "invalid JSON"),  # a UTF-8 byte-order mark
    (b"{\"format\": 1} trailing", "invalid JSON"),
    (b"[" * 100_000, "nested too deeply"),
    (b"{\"a\":" * 100_000, "nested too deeply"),
    (b"\x80abc", "not UTF-8 text (byte 0)"),
    (b"{\"format\": \"chainrule.MLP\", \"format\": \"chainrule.MLP\"}", "'format' appears twice"),
], ids=["empty", "a list", "BOM", "trailing data", "deep list", "deep object", "not UTF-8",
        "duplicate key"])
def test_bad_bytes_are_refused(tmp_path, content, phrase):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    refused(path, phrase)


def test_deep_nesting_inside_the_weights_is_refused(tmp_path):
    _, good, _ = saved(tmp_path)
    text = good.read_text()
    at = text.index("0.", text.index('"layers.0.neurons.0.w": [') + 25)  # the first weight
    path = tmp_path / "deep.json"
    path.write_text(text[:at] + "[" * 50_000 + text[at:])
    refused(path, "nested too deeply")


def test_binary_garbage_is_refused(tmp_path):
    rng = random.Random(14)
    for i in range(50):
        path = tmp_path / f"garbage{i}.bin"
        path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000))))
        refused(path)


def test_a_missing_file_a_folder_and_a_pipe(tmp_path):
    missing = tmp_path / "nowhere" / "model.json"
    with pytest.raises(FileNotFoundError) as info:
        load(missing)
    assert str(missing) in str(info.value)
    refused(tmp_path, "is a folder, not a model file")
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        refused(fifo, "not a regular file")  # and it did not wait for a writer


def test_loading_a_file_twice_gives_the_same_model_and_a_refused_file_is_unchanged(tmp_path):
    _, _, doc = saved(tmp_path)
    doc["state"]["layers.0.neurons.0.b"] = "x"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    before = path.read_bytes()
    refused(path)
    assert path.read_bytes() == before


# --- loading: the fuzz --------------------------------------------------------------------

def overwrite(path: Path, data: bytes) -> None:
    """``path.write_bytes(data)`` without O_TRUNC, which ext4 makes slow (a flush on close)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def test_corrupted_and_truncated_files_load_as_the_original_config_or_raise_value_error(
        tmp_path):
    model, good, _ = saved(tmp_path)
    original = good.read_bytes()
    rng = random.Random(20261123)
    variants: list[bytes] = []
    n = len(original)
    variants += [original[:i] for i in range(n)]                    # every truncation
    variants += [original[:i] + original[i + 1:] for i in range(n)]  # every deleted byte
    variants += [original[:i] + c + original[i + 1:]                 # every byte, 5 ways
                 for c in (b'"', b"9", b"[", b"}", b"\x00") for i in range(n)]
    for _ in range(3000):                                            # one byte replaced
        i = rng.randrange(n)
        variants.append(original[:i] + bytes([rng.randrange(256)]) + original[i + 1:])
    for _ in range(2000):                                            # one bit flipped
        i = rng.randrange(n)
        variants.append(original[:i] + bytes([original[i] ^ (1 << rng.randrange(8))])
                        + original[i + 1:])
    for _ in range(1000):                                            # 2 to 8 bytes replaced
        data = bytearray(original)
        for _ in range(rng.randrange(2, 9)):
            data[rng.randrange(n)] = rng.choice(b'0123456789.-+eE[]{}",:tnfrue \x00\xff')
        variants.append(bytes(data))
    for _ in range(500):                                             # one byte inserted
        i = rng.randrange(n + 1)
        variants.append(original[:i] + bytes([rng.randrange(256)]) + original[i:])
    for _ in range(100):                                             # deep nesting inserted
        i = rng.randrange(n + 1)
        opener = rng.choice([b"[", b'{"a":', b'[{"b":'])
        variants.append(original[:i] + opener * rng.choice([40, 2000, 200_000]) + original[i:])

    path = tmp_path / "fuzz.json"
    expected_weights = len(model.parameters())
    outcomes = {"loaded": 0, "refused": 0}
    for data in variants:
        overwrite(path, data)
        try:
            back = load(path)
        except ValueError as exc:
            assert str(path) in str(exc), (data[:200], exc)
            outcomes["refused"] += 1
            continue
        assert back.config == model.config, data
        assert len(back.parameters()) == expected_weights
        assert all(math.isfinite(p.data) for p in back.parameters())
        outcomes["loaded"] += 1
    assert len(variants) == 7 * n + 6600 and n > 500  # 11,528 for this 704-byte file
    assert outcomes["loaded"] > 100 and outcomes["refused"] > 1000, outcomes  # both happen


# --- saving -------------------------------------------------------------------------------

@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_save_keeps_an_existing_files_permission_bits(tmp_path):
    path = tmp_path / "model.json"
    for mode in (0o640, 0o600, 0o644, 0o755):
        MLP(2, [1], seed=1).save(path)
        os.chmod(path, mode)
        MLP(2, [1], seed=2).save(path)
        assert stat.S_IMODE(path.stat().st_mode) == mode
        assert load(path).state_dict() == MLP(2, [1], seed=2).state_dict()
        path.unlink()


def test_save_does_not_replace_a_file_the_user_may_not_write(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    MLP(2, [1], seed=1).save(path)
    before = path.read_bytes()
    real_access = os.access
    # As root every file is writable, so the refusal is simulated: os.access says no.
    monkeypatch.setattr(os, "access", lambda p, m, **k: False if Path(p) == path and m == os.W_OK
                        else real_access(p, m, **k))
    with pytest.raises(PermissionError) as info:
        MLP(2, [1], seed=2).save(path)
    assert info.value.filename == str(path) and "read-only" in str(info.value)
    assert path.read_bytes() == before and temporaries(tmp_path) == []


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0,
                    reason="POSIX permissions; root may write anything")
def test_save_does_not_replace_a_read_only_file(tmp_path):
    path = tmp_path / "model.json"
    MLP(2, [1], seed=1).save(path)
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match="read-only"):
        MLP(2, [1], seed=2).save(path)
    assert load(path).state_dict() == MLP(2, [1], seed=1).state_dict()


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_umasks_mode(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        MLP(2, [1]).save(tmp_path / "model.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "model.json").stat().st_mode) == mode


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_save_writes_through_a_symlink_and_keeps_the_link(tmp_path):
    (tmp_path / "store").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "store" / "real.json"
    link = tmp_path / "links" / "model.json"
    MLP(2, [1], seed=1).save(target)
    os.chmod(target, 0o640)
    os.symlink(os.path.join("..", "store", "real.json"), link)  # a relative link
    MLP(2, [1], seed=2).save(link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "store", "real.json")
    assert load(target).state_dict() == MLP(2, [1], seed=2).state_dict()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in (tmp_path / "links").iterdir()) == ["model.json"]
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["real.json"]
    dangling = tmp_path / "links" / "new.json"
    os.symlink(tmp_path / "store" / "new.json", dangling)
    MLP(2, [1], seed=3).save(dangling)  # as open(dangling, "w") would: creates the target
    assert dangling.is_symlink()
    assert load(tmp_path / "store" / "new.json").state_dict() == MLP(2, [1], seed=3).state_dict()


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX))


@pytest.mark.skipif(os.name == "nt", reason="stale temporaries are cleaned on POSIX only")
def test_a_hard_crash_mid_save_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    path = tmp_path / "model.json"
    MLP(2, [1], seed=1).save(path)
    before = path.read_bytes()
    crash = ("import os, sys\n"
             "from nn import MLP\n"
             "os.replace = lambda *a: os._exit(3)  # dies between the write and the rename\n"
             "MLP(2, [1], seed=2).save(sys.argv[1])\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", crash, str(path)], env=env, timeout=60)
    assert done.returncode == 3
    assert path.read_bytes() == before  # the old file is whole
    (orphan,) = temporaries(tmp_path)
    assert orphan.startswith(".model.json.")
    # Temporaries that must stay: a live process's, another target's, and a look-alike.
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = f".model.json.{sleeper.pid}.0123abcd{TEMP_SUFFIX}"
        other = f".other.json.999999999.0123abcd{TEMP_SUFFIX}"  # no such pid on Linux
        for name in (live, other, "model.json.bak"):
            (tmp_path / name).write_text("x")
        MLP(2, [1], seed=2).save(path)
        assert temporaries(tmp_path) == sorted([live, other])
        assert (tmp_path / "model.json.bak").exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert load(path).state_dict() == MLP(2, [1], seed=2).state_dict()


def test_an_exception_mid_save_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.json"

    def fail(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        MLP(2, [1]).save(path)
    assert list(tmp_path.iterdir()) == []


def test_save_errors_name_the_missing_folder_not_a_temporary(tmp_path):
    folder = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError) as info:
        MLP(2, [1]).save(folder / "model.json")
    assert info.value.filename == str(folder) and "does not exist" in str(info.value)
    assert TEMP_SUFFIX not in str(info.value)
    afile = tmp_path / "plain.txt"
    afile.write_text("x")
    with pytest.raises(NotADirectoryError) as info:
        MLP(2, [1]).save(afile / "model.json")
    assert info.value.filename == str(afile)
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(IsADirectoryError) as info:
        save(MLP(2, [1]), tmp_path / "dir.json")
    assert info.value.filename == str(tmp_path / "dir.json")
    with pytest.raises(TypeError, match=r"save: model must be an MLP, got Layer\(.*\(Layer\)"):
        save(Layer(2, 1), tmp_path / "layer.json")


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0,
                    reason="POSIX permissions; root may write anywhere")
def test_save_into_a_read_only_folder_names_the_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(PermissionError) as info:
            MLP(2, [1]).save(folder / "model.json")
        assert info.value.filename == str(folder)
    finally:
        os.chmod(folder, 0o755)


# --- pickle, deepcopy, processes ---------------------------------------------------------

MODULES = [
    lambda: MLP(2, [3, 1]),  # the defaults: relu hidden, linear output
    lambda: MLP(2, [4, 3, 2], activation="tanh", output_activation="sigmoid", seed=3),
    lambda: Layer(2, 3, activation="sigmoid"),
    lambda: Neuron(2, activation="linear"),
]


def outputs(module, x):
    out = module(x)
    return [v.data for v in (out if isinstance(out, list) else [out])]


@pytest.mark.parametrize("make", MODULES)
@pytest.mark.parametrize("clone", [lambda m: pickle.loads(pickle.dumps(m, protocol=2)),
                                   lambda m: pickle.loads(pickle.dumps(m)),
                                   copy.deepcopy],
                         ids=["pickle protocol 2", "pickle", "deepcopy"])
def test_modules_pickle_and_deepcopy(make, clone):
    module = make()
    twin = clone(module)
    x = [0.7, -1.3]
    assert outputs(twin, x) == outputs(module, x)
    assert twin.state_dict() == module.state_dict()
    assert not set(map(id, twin.parameters())) & set(map(id, module.parameters()))
    twin.parameters()[0].data += 1.0  # the copy is independent
    assert twin.state_dict() != module.state_dict()


def forward_in_worker(model: MLP, xs: list[list[float]]) -> list[list[float]]:
    return [[v.data for v in model(x)] for x in xs]


def test_a_model_goes_to_a_spawned_process_and_back():
    model = MLP(2, [4, 2], activation="tanh", seed=9)
    xs = [[0.1, 0.2], [-1.5, 2.5], [3.0, -0.25]]
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        theirs = pool.apply(forward_in_worker, (model, xs))
        back = pool.apply(copy.copy, (model,))  # a model also comes back from a worker
    assert theirs == forward_in_worker(model, xs)
    assert back.state_dict() == model.state_dict()


# --- imports ------------------------------------------------------------------------------

def nn_imports(path: Path) -> set[str]:
    """The nn modules that ``path`` imports anywhere (also inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found.update([node.module] if node.module else [a.name for a in node.names])
            elif node.module == "nn":
                found.update(a.name for a in node.names)
            elif node.module and node.module.startswith("nn."):
                found.add(node.module[3:])
        elif isinstance(node, ast.Import):
            found.update(a.name[3:] for a in node.names if a.name.startswith("nn."))
    return {name for name in found if (NN / f"{name}.py").exists()}


def test_nn_has_no_import_cycle_and_module_does_not_import_serialize():
    graph = {p.stem: nn_imports(p) for p in NN.glob("*.py") if p.stem != "__init__"}
    assert "serialize" not in graph["module"] and "_format" in graph["module"]
    assert graph["_format"] == set()
    visiting, done = set(), set()

    def visit(name, trail):
        assert name not in visiting, f"import cycle: {' -> '.join(trail + [name])}"
        if name in done:
            return
        visiting.add(name)
        for other in graph[name]:
            visit(other, trail + [name])
        visiting.discard(name)
        done.add(name)

    for name in graph:
        visit(name, [])


def test_import_nn_does_not_import_the_drawing_code():
    code = ("import sys, nn\n"
            "assert 'nn.draw' not in sys.modules\n"
            "assert 'draw_network' in dir(nn)\n"
            "from nn import draw_network\n"
            "assert 'nn.draw' in sys.modules and nn.draw_network is draw_network\n"
            "try:\n"
            "    nn.no_such_name\n"
            "except AttributeError as e:\n"
            "    assert 'no_such_name' in str(e)\n"
            "else:\n"
            "    raise SystemExit('no AttributeError')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_lazily_generated_key_names_are_the_state_dicts():
    from nn.module import _state_names, _state_shape

    for nouts in ([1], [3, 1], [4, 2, 5]):
        state = MLP(3, nouts).state_dict()
        assert list(_state_names(nouts)) == list(state)
        assert list(_state_shape([3, *nouts])) == [
            (k, len(v) if isinstance(v, list) else None) for k, v in state.items()]


@pytest.mark.parametrize("change", [
    lambda m: m.layers.append(Layer(1, 1)),
    lambda m: m.layers.pop(),
    lambda m: m.layers[0].neurons.pop(),
    lambda m: m.layers[0].neurons[1].w.append(m.layers[0].neurons[1].b),
    lambda m: setattr(m.layers[0].neurons[2], "activation", "sigmoid"),
    lambda m: m.config.update(activation="relu"),
    lambda m: m.config["nouts"].__setitem__(0, 4),
], ids=["layer added", "layer removed", "neuron removed", "weight added",
        "one activation changed", "config activation changed", "config size changed"])
def test_save_refuses_a_model_its_config_no_longer_describes(tmp_path, change):
    model = MLP(2, [3, 1], activation="tanh", seed=5)
    change(model)
    with pytest.raises(ValueError, match="no longer matches its config .* not saved"):
        model.save(tmp_path / "model.json")
    assert list(tmp_path.iterdir()) == []
