"""The step-through page for a lecture, driven in Chromium: Back undoes each step exactly,
the arrow keys step, the panels describe the state on screen (never the final answer
early), the History slider moves the whole graph, no formula shows a compound name without
its parentheses, and the neuron view of MLP(2, [16, 16, 1]) fits a 1400 × 900 window with
readable text and ends at the engine's deltas.

Needs Playwright and Debian's Chromium (see test_stepper.py: skipped without them, except
in CI).
"""

from __future__ import annotations

import re

import pytest
from test_stepper import Page, browser, embedded, needs_dot, same_to_shown_digits, w5_graph

from autograd import Value, topological_order
from autograd.display import naming
from autograd.display.neurons import NeuronGraph
from autograd.display.stepper import draw_html
from nn import MLP, SGD, fit, mse, squared_error
from nn.datasets import seed_003

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with test_stepper

SNAPSHOT = """() => ({
    shown: Array.from(document.querySelectorAll('#graph [data-node]'), g => [
        g.getAttribute('data-node'),
        Array.from(g.querySelectorAll('[data-field]'), f => f.textContent).join('|')]),
    step: document.getElementById('step-text').innerHTML,
    chain: document.getElementById('chain-text').innerHTML,
    status: document.getElementById('status').textContent,
})"""


def snapshot(page: Page) -> dict:
    return page.tab.evaluate(SNAPSHOT)


def steps(page: Page) -> int:
    data = page.tab.evaluate("() => JSON.parse(document.getElementById('chainrule-data')"
                             ".textContent)")
    return len(data["forward"]) + len(data["backward"])


@needs_dot
def test_back_undoes_every_step_exactly(browser, tmp_path):
    """Forward through every step with → and Next, then back with ← and Back: after k
    steps back, every number, both panels and the status line are as k steps earlier."""
    error, _ = w5_graph()
    page = Page(browser, draw_html(error), tmp_path / "w5.html")
    page.tab.click('[data-node="w5"]')  # the chain-rule panel follows w5 all the way
    n = steps(page)
    seen = [snapshot(page)]
    for k in range(n):
        if k % 2:
            page.tab.keyboard.press("ArrowRight")
        else:
            page.click("next")
        seen.append(snapshot(page))
    assert seen[-1]["status"].startswith("Backward pass done")
    assert len({s["step"] for s in seen}) == n + 1  # each step says something new
    for k in range(n):
        if k % 2:
            page.tab.keyboard.press("ArrowLeft")
        else:
            page.click("back")
        assert snapshot(page) == seen[n - k - 1], f"{k + 1} steps back"
    # Backward step jumps over the rest of the forward pass; Back returns to where it was
    page.click("next", 3)
    before = snapshot(page)
    page.click("step-backward")
    assert snapshot(page)["status"] == "Backward pass: step 1 of 15."
    page.click("back")
    assert snapshot(page) == before
    assert not page.errors
    page.tab.close()


@needs_dot
def test_the_chain_rule_panel_shows_what_has_arrived_so_far(browser, tmp_path):
    """Clicked mid-pass, a node's panel lists the shares that have arrived and those still
    to come, with the gradient so far: never the final answer before the graph shows it."""
    error, out_h1 = w5_graph()
    html = draw_html(error)
    data = embedded(html)
    order = topological_order(error)
    error.backward()
    h1 = order.index(out_h1)
    w5 = next(i for i, v in enumerate(order) if v.label == "w5")
    arrives = {i: [k for k, s in enumerate(data["backward"]) for t in s["terms"]
                   if t["input"] == i] for i in (h1, w5)}
    assert len(arrives[h1]) == 2 and len(arrives[w5]) == 1
    page = Page(browser, html, tmp_path / "w5.html")
    forward = len(data["forward"])
    final = f"{order[w5].grad:.4g}"

    page.tab.click('[data-node="w5"]')
    chain = page.tab.locator("#chain-text")
    assert "still to come" in chain.text_content()  # before any step
    page.click("next", forward + arrives[w5][0])  # just before w5's share arrives
    assert page.grad("w5") == "0"
    text = chain.text_content()
    assert "still to come" in text and final not in text and "complete" not in text
    page.click("next")  # its share arrives: now the panel has the answer, and explain's text
    assert same_to_shown_digits(page.grad("w5"), order[w5].grad)
    assert "complete" in chain.text_content() and chain.locator("pre").count() == 1

    page.click("reset")
    name = data["nodes"][h1]["name"]
    page.tab.click(f'[data-node="{name}"]')
    page.click("next", forward + arrives[h1][0] + 1)  # one of two shares in
    text = chain.text_content()
    assert "1 of 2 shares have arrived" in text and "still to come" in text
    assert not same_to_shown_digits(page.grad(name), out_h1.grad)
    page.click("next", arrives[h1][1] - arrives[h1][0])
    assert same_to_shown_digits(page.grad(name), out_h1.grad)
    assert "complete" in chain.text_content()
    assert not page.errors
    page.tab.close()


@needs_dot
def test_forward_steps_write_the_sum_with_its_numbers(browser, tmp_path):
    """A neuron's forward step reads as the tutorial writes it:
    net_h1 = w1·x1 + w2·x2 + b_h1 = 0.15·0.05 + 0.2·0.1 + 0.35 = 0.3775."""
    model, error, _ = seed_003()
    page = Page(browser, draw_html(error), tmp_path / "seed.html")
    page.click("next")
    text = page.tab.locator("#step-text").text_content()
    m = re.search(r"(net_\w+) = (w\d)·(x\d) \+ (w\d)·(x\d) \+ (b_\w+) = ([-\d.]+)·([-\d.]+) \+ "
                  r"([-\d.]+)·([-\d.]+) \+ ([-\d.]+) = ([-\d.]+)", text)
    assert m, text
    numbers = [float(x) for x in m.groups()[6:]]
    w_a, x_a, w_b, x_b, b, total = numbers
    assert total == pytest.approx(w_a * x_a + w_b * x_b + b, abs=1e-3)
    assert "dot(" not in text
    page.tab.close()


@needs_dot
def test_history_slider_moves_the_whole_graph(browser, tmp_path):
    """At the slider's step every value and gradient of the graph (activations, the loss)
    is the one the network had with that step's weights, and the panels say so."""
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    xs, ys = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [1.0, 1.0, 0.0]
    hist = fit(model, xs, ys, mse, SGD(model.parameters(), lr=0.2), epochs=5,
               batch_size=1, progress=False, record=True)
    loss = mse(model(xs[0]), [ys[0]])
    page = Page(browser, draw_html(loss, history=hist), tmp_path / "history.html")
    page.tab.click(f'[data-node="{model.parameters()[0].label}"]')
    page.click("next", 4)
    for s in (0, 7):
        # the reference: a fresh network with the step's weights, run by the engine
        again = MLP(2, [3, 1], activation="tanh", seed=1)
        for p, w in zip(again.parameters(), hist.steps[s].weights):
            p.data = w
        reference = mse(again(xs[0]), [ys[0]])
        reference.backward()
        page.tab.evaluate("(s) => { const e = document.getElementById('slider');"
                          " e.value = String(s); e.dispatchEvent(new Event('input')); }", s)
        shown = page.shown()
        order = topological_order(reference)
        assert len(shown) == len(order)
        for i, (name, d, g) in shown.items():
            assert same_to_shown_digits(d, order[i].data), (s, name, d, order[i].data)
            assert g == "–" or same_to_shown_digits(g, order[i].grad), (s, name, g)
        assert f"Training step {s + 1} of 15" in page.tab.locator("#status").text_content()
        assert f"training step {s + 1}:" in page.tab.locator("#chain-text").text_content()
        assert "Training step" in page.tab.locator("#step-text").text_content()
    first = hist.steps[0].weights[0]
    page.click("back")  # any step leaves the slider: the page is where it was
    assert page.tab.locator("#status").text_content() == "Forward pass: 4 of 11 ops computed."
    name = model.parameters()[0].label
    d = page.tab.locator(f'[data-node="{name}"] [data-field="data"]').text_content()
    assert same_to_shown_digits(d, model.parameters()[0].data) and d != f"{first:.4g}"
    assert not page.errors
    page.tab.close()


def tight(name: str) -> bool:
    """True for a name that binds as one operand: a bracketed group, perhaps raised to a
    power (``(t − o)²``)."""
    if not name.startswith("("):
        return False
    depth = 0
    for k, ch in enumerate(name):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return re.fullmatch(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻·]*", name[k + 1:]) is not None
    return False


def unparenthesised(text: str, names: list[str]) -> list[str]:
    """The compound names (those ``naming.operand`` wraps, unless a bracketed group) that
    ``text`` uses as an operand without parentheses. Not an operand: the whole side of an
    equation (``Forward 3/14. a − b = a − b = 0.69 − 0.73``), ``(NAME)``, ``grad(NAME)``."""
    bad = []
    for name in names:
        if naming.operand(name) == name or tight(name):
            continue
        for m in re.finditer(re.escape(name), text):
            before, after = text[:m.start()], text[m.end():]
            if before.endswith("(") and after.startswith(")"):
                continue
            starts = re.search(r"(^|\d\.|: |\. | = )$", before)
            if starts and re.match(r"( = | has |$)", after):
                continue  # a whole side: "Forward 3/14. a − b = …", "… = a − b has its …"
            bad.append(f"{name!r} in …{text[max(0, m.start() - 30):m.end() + 30]}…")
    return bad


@needs_dot
@pytest.mark.parametrize("which", ["w5", "mlp"])
def test_no_formula_shows_a_compound_name_without_parentheses(browser, tmp_path, which):
    """On every step of the w5 page (examples/w5_page.py's graph) and of an unlabelled
    MLP(3, [4, 4, 1]), both panels (a compound node selected) write each compound name as
    an operand in parentheses."""
    if which == "w5":
        error = seed_003()[1]
    else:
        model = MLP(3, [4, 4, 1], activation="sigmoid", seed=4)
        error = squared_error(model([0.2, -0.4, 0.9]), [0.5])
    html = draw_html(error, view="values")  # every op of the graph, one step each
    names = [n["name"] for n in embedded(html)["nodes"]]
    compound = [n for n in names if naming.operand(n) != n]
    assert compound
    page = Page(browser, html, tmp_path / f"{which}.html")
    page.tab.click(f'[data-node="{compound[-1]}"]')
    bad = []
    for _ in range(steps(page)):
        page.click("next")
        for where in ("#step-text", "#chain-text"):
            bad += unparenthesised(page.tab.locator(where).text_content(), names)
    assert not bad, bad[:5]
    assert not page.errors
    page.tab.close()


def test_the_checker_catches_the_old_bug():
    names = ["(0.6905 − out_o1)²", "0.6905 − out_o1"]
    old = "∂(0.6905 − out_o1)²/∂0.6905 − out_o1 = 2·0.6905 − out_o1 = -0.08562"
    assert len(unparenthesised(old, names)) == 2  # both uses of the difference
    good = "∂(0.6905 − out_o1)²/∂(0.6905 − out_o1) = 2·(0.6905 − out_o1) = -0.08562"
    assert unparenthesised(good, names) == []


def moons_network() -> tuple[Value, MLP]:
    model = MLP(2, [16, 16, 1], activation="tanh", seed=5)
    return mse(model([0.8, -0.3]), [1.0]), model


@needs_dot
def test_neuron_view_of_the_moons_network_fits_and_ends_at_the_engines_deltas(browser, tmp_path):
    """MLP(2, [16, 16, 1]) opens in the neuron view; in a 1400 × 900 window it fits
    without scrolling, every text at least 10 px high (measured as rendered), and at the
    end of the backward pass each neuron shows the engine's activation, ∂loss/∂a and δ."""
    loss, _ = moons_network()
    html = draw_html(loss)
    assert embedded(html)["view"] == "neurons"
    page = Page(browser, html, tmp_path / "moons.html")
    page.tab.set_viewport_size({"width": 1400, "height": 900})
    page.tab.select_option("#zoom", "1")
    page.tab.select_option("#zoom", "fit")  # fit again, to the new window
    fit = page.tab.evaluate("""() => {
        const pane = document.getElementById('graph');
        const sizes = Array.from(pane.querySelectorAll('text'), t => {
            const r = t.getBoundingClientRect();
            return r.width > 0 ? parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a : 99;
        });
        return {over: [pane.scrollWidth - pane.clientWidth, pane.scrollHeight - pane.clientHeight],
                least: Math.min.apply(null, sizes), texts: sizes.length,
                neurons: pane.querySelectorAll('g.neuron[data-node]').length};
    }""")
    assert fit["neurons"] == 33 and fit["texts"] > 66
    assert fit["over"][0] <= 0 and fit["over"][1] <= 0, fit
    assert fit["least"] >= 10, fit

    loss.backward()
    net = NeuronGraph(loss)
    page.click("next", steps(page))
    assert page.tab.locator("#status").text_content().startswith("Backward pass done")
    for neuron in net.neurons:
        box = page.tab.locator(f'#graph g.neuron[data-node="{neuron.name}"]')
        for field, number in (("data", neuron.data), ("grad", neuron.grad),
                              ("delta", neuron.delta)):
            text = box.locator(f'[data-field="{field}"]').text_content()
            assert same_to_shown_digits(text, number), (neuron.name, field, text, number)
    assert not page.errors
    page.tab.close()


@needs_dot
def test_views_switch_and_each_shows_the_state(browser, tmp_path):
    """data-view switches the level of detail; the layer view writes δ⁽ˡ⁾ with the numbers;
    Enter on a focused node selects it."""
    loss, _ = moons_network()
    page = Page(browser, draw_html(loss, view="values"), tmp_path / "views.html")
    assert page.tab.locator("#graph g.node[data-index]").count() > 300  # values
    page.tab.click('[data-view="layers"]')
    layers = page.tab.locator("#graph section.layer")
    assert layers.count() == 3
    assert "(W⁽²⁾)ᵀδ⁽²⁾ ⊙ f′(z⁽¹⁾)" in layers.nth(0).text_content()
    page.tab.click('[data-view="neurons"]')
    assert page.tab.locator("#graph g.neuron").count() == 33
    page.click("next", steps(page))
    page.tab.focus('#graph g.neuron[data-node="L2.n5"]')
    page.tab.keyboard.press("Enter")
    assert "Neuron L2.n5" in page.tab.locator("#chain-text").text_content()
    assert page.tab.locator("#legend li").count() >= 6
    assert not page.errors
    page.tab.close()


def test_bad_views_are_refused():
    loss, _ = moons_network()
    with pytest.raises(ValueError, match="draw_html: view must be one of 'values', 'neurons', "
                                         "'layers', got 'neuron'"):
        draw_html(loss, view="neuron")
    x = Value(2.0, label="x")
    with pytest.raises(ValueError, match="draw_html: view='neurons' needs a network"):
        draw_html(x * x, view="neurons")


@needs_dot
def test_the_w5_page_fits_a_lecture_window_with_readable_text(browser, tmp_path):
    """At 1400 × 900, "fit window" shows the whole worked example (examples/w5_page.py's
    graph) in the value view, every text at least 10 px high (it used to need 5 px)."""
    error = seed_003()[1]
    page = Page(browser, draw_html(error), tmp_path / "w5.html")
    page.tab.set_viewport_size({"width": 1400, "height": 900})
    page.tab.select_option("#zoom", "1")
    page.tab.select_option("#zoom", "fit")
    fit = page.tab.evaluate("""() => {
        const pane = document.getElementById('graph');
        const sizes = Array.from(pane.querySelectorAll('text'),
            t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
        return {over: [pane.scrollWidth - pane.clientWidth, pane.scrollHeight - pane.clientHeight],
                least: Math.min.apply(null, sizes)};
    }""")
    assert fit["over"][0] <= 0 and fit["over"][1] <= 0 and fit["least"] >= 10, fit
    page.tab.close()


@needs_dot
def test_the_layer_view_mid_pass_states_no_equation_the_screen_contradicts(browser, tmp_path):
    """Mid-way through the backward pass the layer view writes δ = (Wᵀδ)ᵢ · f′(z) only for
    the neurons whose δ has been computed; the others show ? (they showed 0, so that
    `-0.05356 × 0.9999 = 0` stood on the screen). At the end every δ is the engine's."""
    loss, _ = moons_network()
    page = Page(browser, draw_html(loss, view="layers"), tmp_path / "layers.html")
    data = embedded(draw_html(loss, view="layers"))
    page.click("next", len(data["forward"]) + len(data["backward"]) * 3 // 4)
    cells = page.tab.evaluate("() => Array.from(document.querySelectorAll("
                              "'#graph section.layer td.delta'), td => td.textContent)")
    pending = [c for c in cells if c.endswith("= ?")]
    assert pending and len(pending) < len(cells)
    for cell in cells:
        left, right = cell.split(" = ")
        if right == "?":
            continue
        a, f = (float(t.strip("()")) for t in left.split(" × "))
        assert a * f == pytest.approx(float(right), rel=2e-3, abs=1e-6), cell
    page.click("next", len(data["backward"]))
    loss.backward()
    shown = page.tab.evaluate("() => Array.from(document.querySelectorAll('#graph "
                              "section.layer tr[data-node] td.delta b'), b => b.textContent)")
    deltas = [n.delta for n in NeuronGraph(loss).neurons]
    assert len(shown) == len(deltas)
    for text, delta in zip(shown, deltas):
        assert same_to_shown_digits(text, delta), (text, delta)
    assert not page.errors
    page.tab.close()
