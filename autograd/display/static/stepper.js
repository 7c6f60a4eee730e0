// chainrule's backprop stepper. Every number was computed in Python and embedded as JSON
// (#chainrule-data); this script only replays it. Plain ES2017, no libraries.
//
// The state on screen is a function of one number, pos: the steps done (the forward steps,
// then the backward steps; D.backward[0] is the seed). Every change goes through goto(pos),
// which works the values and gradients out from the start, so that Back undoes a step
// exactly; the panels are written from that state, never from the final answer.
'use strict';
(function () {
  const D = JSON.parse(document.getElementById('chainrule-data').textContent);
  const N = D.nodes.length;
  const ROOT = N - 1;
  const F = D.forward.length;
  const B = D.backward.length;
  const H = D.history;
  const NET = D.net;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const num = (x) => Number(x);

  // Numbers as the page shows them: 4 significant digits, exponent form when tiny or huge.
  function fmt(value) {
    const x = Number(value);
    if (x === 0) return '0';
    if (!isFinite(x)) return String(x);
    const a = Math.abs(x);
    return (a < 1e-4 || a >= 1e5) ? x.toExponential(3) : x.toPrecision(4);
  }
  // Short form inside a formula: 0.5, not 0.5000.
  function short(value) {
    const x = Number(value);
    if (!isFinite(x) || x === 0) return fmt(x);
    const a = Math.abs(x);
    if (a < 1e-4 || a >= 1e5) return x.toExponential(3);
    return String(Number(x.toPrecision(4)));
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  }
  function name(i) { return D.nodes[i].name; }
  function operand(i) { return D.nodes[i].operand; }  // in parentheses if compound
  const isConst = (i) => D.nodes[i].const === true;

  // --- each share (partial × grad) and the gradient before it, as Python worked them out
  (function () {
    const running = new Array(N).fill(0);
    const all = [];  // every op's terms, in the order Python applied them
    for (const s of D.backward) for (const t of s.terms) all.push([s, t]);
    for (const [s, t] of all) {
      t.add = t.partial * s.grad;
      t.before = running[t.input];
      running[t.input] = t.after;
    }
  }());

  // --- which step computes what
  const fwdAt = new Array(N).fill(-1);  // node -> its forward step
  D.forward.forEach((i, s) => { fwdAt[i] = s; });
  const bwdAt = new Array(N).fill(-1);  // node -> its backward step (the seed is 0)
  D.backward.forEach((s, k) => { bwdAt[s.node] = k; });
  const shares = D.nodes.map(() => []);  // node -> [[backward step, term]] it receives
  D.backward.forEach((s, k) => s.terms.forEach((t) => { if (!t.const) shares[t.input].push([k, t]); }));
  // the backward steps after which grad(i) is final: its last share has arrived
  const completeAt = D.nodes.map((n, i) => (i === ROOT ? 1
    : shares[i].length ? shares[i][shares[i].length - 1][0] + 1 : 0));

  // --- the state at pos
  let pos = 0;
  let undo = [];  // the positions before each step, for Back
  let training = -1;  // the history step shown by the slider, or -1
  const known = new Array(N).fill(false);
  const grad = new Array(N).fill(0);
  const value = D.nodes.map((n) => num(n.data));
  function fwdDone() { return Math.min(pos, F); }
  function final(i) { return training >= 0 || bwdDone() >= completeAt[i]; }  // grad(i) complete
  function bwdDone() { return Math.max(0, pos - F); }
  function work() {  // known, grad and value at pos (or at the slider's training step)
    if (training >= 0) {
      for (let i = 0; i < N; i++) {
        known[i] = true; value[i] = num(H.data[training][i]); grad[i] = num(H.grad[training][i]);
      }
      return;
    }
    const f = fwdDone();
    const b = bwdDone();
    for (let i = 0; i < N; i++) {
      value[i] = num(D.nodes[i].data);
      known[i] = D.nodes[i].inputs.length === 0 || isConst(i) || (fwdAt[i] >= 0 && fwdAt[i] < f);
      grad[i] = 0;
    }
    for (let k = 0; k < b; k++) {
      const s = D.backward[k];
      grad[s.node] = s.grad;
      for (const t of s.terms) grad[t.input] = t.after;
    }
  }

  // --- views: the value view is in the page; the neuron view in a <template>; the layer
  //     view is built here. Only the view on screen is in the document.
  const pane = $('graph');
  const views = {};
  views.values = makeValueView(pane.querySelector('svg'));
  if (NET) {
    const t = $('view-neurons');
    views.neurons = makeNeuronView(t.content.querySelector('svg'));
    views.layers = makeLayerView();
  }
  let view = null;

  function makeValueView(svg) {
    const v = { root: svg, el: [], data: [], grad: [], shown: [], svg: true };
    function field(text, key) {  // "data -0.0000000" -> caption + <tspan data-field="data">
      const caption = document.createElementNS(SVG_NS, 'tspan');
      caption.textContent = key + ' ';
      const el = document.createElementNS(SVG_NS, 'tspan');
      el.setAttribute('data-field', key);
      text.textContent = '';
      text.appendChild(caption);
      text.appendChild(el);
      return el;
    }
    for (let i = 0; i < N; i++) {
      const g = svg.querySelector('#v' + i);
      const texts = g.getElementsByTagName('text');
      g.setAttribute('data-node', name(i));
      g.setAttribute('data-index', String(i));
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'button');
      g.setAttribute('aria-label', name(i));
      if (isConst(i)) g.classList.add('constant');
      const title = g.getElementsByTagName('title')[0];
      if (title) title.textContent = name(i);
      v.el.push(g);
      v.data.push(field(texts[texts.length - 2], 'data'));
      v.grad.push(field(texts[texts.length - 1], 'grad'));
      v.shown.push(['', '', '']);
    }
    const layer = document.createElementNS(SVG_NS, 'g');  // edge and "+=" labels go here
    svg.querySelector('g.graph').appendChild(layer);
    v.labels = layer;
    v.node = (i) => v.el[i];
    v.render = function () {
      const b = bwdDone();
      for (let i = 0; i < N; i++) {
        const d = known[i] ? fmt(value[i]) : '?';
        const g = isConst(i) ? '–' : fmt(grad[i]);
        const state = (known[i] ? 'k' : 'p') + (training < 0 && b >= completeAt[i] && b > 0 ? 'd' : '');
        const old = v.shown[i];
        if (old[0] !== d) v.data[i].textContent = d;
        if (old[1] !== g) v.grad[i].textContent = g;
        if (old[2] !== state) {
          v.el[i].classList.toggle('pending', !known[i]);
          v.el[i].classList.toggle('done', state.endsWith('d'));
        }
        v.shown[i] = [d, g, state];
      }
    };
    return v;
  }

  function makeNeuronView(svg) {
    const v = { root: svg, svg: true, byNode: new Map(), neurons: [], inputs: [], weights: [] };
    const all = [].concat.apply([], NET.layers);
    svg.querySelectorAll('g[data-key]').forEach((g) => {
      const key = g.getAttribute('data-key');
      const f = (k) => g.querySelector('[data-field="' + k + '"]');
      if (key.startsWith('in')) {
        const i = NET.inputs[Number(key.slice(2))];
        v.inputs.push({ g, i, data: f('data') });
        v.byNode.set(i, g);
        g.setAttribute('data-index', String(i));
      } else if (key === 'loss') {
        v.loss = { g, data: f('data') };
        v.byNode.set(ROOT, g);
        g.setAttribute('data-index', String(ROOT));
      } else {
        const n = all[Number(key.slice(1))];
        v.neurons.push({ g, n, data: f('data'), grad: f('grad'), delta: f('delta') });
        v.byNode.set(n.out, g);
        v.byNode.set(n.net, g);
        g.setAttribute('data-index', String(n.out));
      }
    });
    svg.querySelectorAll('g.weight').forEach((g) => {
      v.weights.push({ g, w: Number(g.getAttribute('data-weight')), label: g.querySelector('[data-field="weight"]') });
    });
    v.node = (i) => v.byNode.get(i) || null;
    v.render = function () {
      for (const x of v.inputs) x.data.textContent = fmt(value[x.i]);
      v.loss.data.textContent = known[ROOT] ? fmt(value[ROOT]) : '?';
      v.loss.g.classList.toggle('pending', !known[ROOT]);
      for (const x of v.neurons) {
        x.data.textContent = known[x.n.out] ? fmt(value[x.n.out]) : '?';
        x.grad.textContent = fmt(grad[x.n.out]);
        x.delta.textContent = fmt(grad[x.n.net]);
        x.g.classList.toggle('pending', !known[x.n.out]);
        x.g.classList.toggle('done', training < 0 && bwdDone() >= completeAt[x.n.net] && bwdDone() > 0);
      }
      let most = 0;
      for (const x of v.weights) most = Math.max(most, Math.abs(value[x.w]));
      for (const x of v.weights) {
        const w = value[x.w];
        x.g.classList.toggle('neg', w < 0);
        x.g.style.strokeWidth = (0.6 + 3.4 * (most > 0 ? Math.abs(w) / most : 0)).toFixed(2);
        x.g.querySelector('title').textContent = name(x.w) + ' = ' + fmt(w) + ', grad ' + fmt(grad[x.w]);
        if (x.label) x.label.textContent = short(w);
      }
    };
    return v;
  }

  function makeLayerView() {
    const root = document.createElement('div');
    root.className = 'layers';
    const v = { root, svg: false, node: () => null };
    // (Wᵀδ)ᵢ written out, Σⱼ wⱼᵢ·δⱼ, where the layer above has few neurons: [weight, net] pairs
    const uses = {};
    NET.layers.forEach((layer) => layer.forEach((n) => n.sources.forEach((key, k) => {
      (uses[key] = uses[key] || []).push([n.weights[k], n.net]);
    })));
    function sum(n, l) {
      const terms = uses['n' + n.id] || [];
      if (l === NET.layers.length - 1 || terms.length === 0 || terms.length > 4) return '';
      const names = terms.map(([w, net]) => esc(name(w)) + '·δ(' + esc(name(net)) + ')').join(' + ');
      const nums = terms.map(([w, net]) => {
        const d = short(grad[net]);
        return short(value[w]) + '·' + (d.startsWith('-') ? '(' + d + ')' : d);
      }).join(' + ');
      return '<tr class="sum"><td></td><td colspan="5">(Wᵀδ)<sub>' + esc(n.name) + '</sub> = ' + names +
        ' = ' + nums + ' = ' + fmt(grad[n.out]) + '</td></tr>';
    }
    v.render = function () {
      const parts = [];
      const L = NET.layers.length;
      NET.layers.forEach((layer, l) => {
        const act = layer[0] && layer[0].act ? layer[0].act : 'identity';
        const up = (k) => '⁽' + String(k).replace(/\d/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]) + '⁾';
        const rule = l === L - 1
          ? 'δ' + up(l + 1) + ' = ∂' + esc(operand(ROOT)) + '/∂a' + up(l + 1) + ' ⊙ f′(z' + up(l + 1) + ')'
          : 'δ' + up(l + 1) + ' = (W' + up(l + 2) + ')ᵀδ' + up(l + 2) + ' ⊙ f′(z' + up(l + 1) + ')';
        const g = l === L - 1 ? '∂L/∂a' : '(Wᵀδ)ᵢ';
        const rows = layer.map((n) => {
          const fp = fprime(n);
          const ok = known[n.out];
          // a gradient not final yet (its last share is still to come) shows as ?, so the
          // row never states an equation the numbers on screen do not satisfy
          const ga = final(n.out) ? fmt(grad[n.out]) : '?';
          return '<tr data-node="' + esc(n.name) + '"><th>' + esc(n.name) + '</th><td>' +
            (known[n.net] ? fmt(value[n.net]) : '?') + '</td><td>' + (ok ? fmt(value[n.out]) : '?') +
            '</td><td>' + (ok ? fmt(fp) : '?') + '</td><td>' + ga + '</td><td class="delta">' +
            ga + ' × ' + (ok ? fmt(fp) : '?') + ' = <b>' + (final(n.net) ? fmt(grad[n.net]) : '?') +
            '</b></td></tr>' + (final(n.out) ? sum(n, l) : '');
        });
        parts.push('<section class="layer"><h3>Layer ' + (l + 1) + ' (f = ' + esc(act) + ', ' +
          layer.length + ' neurons)</h3><p class="rule">' + rule + '</p><table><thead><tr><th></th>' +
          '<th>z = net</th><th>a = f(z)</th><th>f′(z)</th><th>' + g + '</th><th>δ = ' + g +
          ' · f′(z)</th></tr></thead><tbody>' + rows.join('') + '</tbody></table></section>');
      });
      root.innerHTML = parts.join('');
    };
    return v;
  }
  function fprime(n) {  // f'(z) at the values on screen (the slider's step too)
    const a = value[n.out];
    switch (n.act) {
      case 'sigmoid': return a * (1 - a);
      case 'tanh': return 1 - a * a;
      case 'relu': return a > 0 ? 1 : 0;
      case '': return 1;
      default: return training >= 0 && grad[n.out] !== 0 ? grad[n.net] / grad[n.out] : num(n.fprime);
    }
  }

  // --- zoom: "fit window" shrinks the picture to the pane, never below readable text
  const READABLE = 10.2;  // px
  function fontPx(v) {  // the smallest text of a view at 100%, in px
    if (v.font) return v.font;
    const box = v.root.viewBox.baseVal;
    const scale = box && box.width ? v.natural[0] / box.width : 1;
    let least = Infinity;
    const texts = v.root.querySelectorAll('text');
    for (let k = 0; k < texts.length && k < 200; k++) {
      least = Math.min(least, parseFloat(getComputedStyle(texts[k]).fontSize) || 11);
    }
    v.font = (isFinite(least) ? least : 11) * scale;
    return v.font;
  }
  function zoom() {
    if (!view.svg) return;
    const svg = view.root;
    if (!view.natural) {
      svg.style.width = ''; svg.style.height = '';
      const r = svg.getBoundingClientRect();
      view.natural = [r.width, r.height];
    }
    const z = $('zoom').value;
    let s = Number(z);
    if (z === 'fit') {
      const room = [pane.clientWidth - 4, pane.clientHeight - 4];
      s = Math.min(room[0] / view.natural[0], room[1] / view.natural[1], 1.5);
      s = Math.max(s, READABLE / fontPx(view));
    }
    view.scale = s;
    svg.style.width = (view.natural[0] * s) + 'px';
    svg.style.height = (view.natural[1] * s) + 'px';
  }
  function zoomToCurrent() {
    if (!view.svg) return;
    const i = currentNode();
    $('zoom').value = '1.5';
    zoom();
    if (i >= 0) reveal(i, true);
  }

  function setView(name) {
    if (!views[name]) return;
    view = views[name];
    pane.replaceChildren(view.root);
    document.querySelectorAll('[data-view]').forEach((b) => {
      if (b.tagName === 'BUTTON') b.setAttribute('aria-pressed', String(b.getAttribute('data-view') === name));
    });
    document.body.setAttribute('data-current-view', name);
    zoom();
    render();
  }

  // --- highlighting the step just done
  let lit = [];
  function light(el, cls) {
    if (el) { el.classList.add(cls); lit.push([el, cls]); }
  }
  function unlight() {
    for (const [el, cls] of lit) el.classList.remove(cls);
    lit = [];
    const layer = views.values.labels;
    while (layer.firstChild) layer.removeChild(layer.firstChild);
  }
  function label(x, y, text, cls) {
    const t = document.createElementNS(SVG_NS, 'text');
    t.setAttribute('x', String(x));
    t.setAttribute('y', String(y));
    t.setAttribute('text-anchor', 'middle');
    t.setAttribute('class', cls);
    t.textContent = text;
    views.values.labels.appendChild(t);
  }
  let places = null;  // positions in the value view, measured once, when first needed
  function measure() {
    places = { top: [], middle: {} };
    const v = views.values;
    for (let i = 0; i < N; i++) {
      const box = v.el[i].getBBox();
      places.top.push([box.x + box.width / 2, box.y - 3]);
      D.nodes[i].inputs.forEach((j, k) => {
        const path = v.root.querySelector('#e' + i + '_' + k).getElementsByTagName('path')[0];
        const length = path.getTotalLength();
        const p = path.getPointAtLength(length / 2);
        places.middle[i + '_' + k] = [p.x, p.y - 3, length];
      });
    }
  }
  let shown = -1;  // the node to scroll into view at the next frame
  let centre = false;
  function reveal(i, always) {
    if (shown < 0) {
      requestAnimationFrame(() => {  // once a frame, when the browser lays out anyway
        const el = view.node(shown);
        shown = -1;
        if (!el) return;
        const box = el.getBoundingClientRect();
        const v = pane.getBoundingClientRect();
        if (centre || box.left < v.left || box.right > v.right) {
          pane.scrollLeft += box.left - v.left - (v.width - box.width) / 2;
        }
        if (centre || box.top < v.top || box.bottom > v.bottom) {
          pane.scrollTop += box.top - v.top - (v.height - box.height) / 2;
        }
        centre = false;
      });
    }
    if (always) centre = true;
    shown = i;
  }
  function currentNode() {
    if (pos === 0 || training >= 0) return -1;
    return pos <= F ? D.forward[pos - 1] : D.backward[pos - F - 1].node;
  }

  // --- the text of a step
  function formula(i, numbers) {  // node i's op, with its inputs' names or values
    const node = D.nodes[i];
    let out = '';
    node.fw.forEach((t) => {
      if (typeof t === 'string') { out += esc(t); return; }
      const j = node.inputs[t];
      if (!numbers) { out += esc(D.nodes[j].operand); return; }
      const text = short(value[j]);
      const bare = out === '' || /[(,]\s*$/.test(out);
      out += (text.startsWith('-') && !bare) ? '(' + text + ')' : text;
    });
    return out;
  }
  function forwardText(s) {
    const i = D.forward[s];
    return '<p><b>Forward ' + (s + 1) + '/' + F + '.</b> ' + esc(name(i)) + ' = ' + formula(i, false) +
      ' = <span class="num">' + formula(i, true) + ' = <b>' + fmt(value[i]) + '</b></span></p>';
  }
  function backwardText(k) {
    const s = D.backward[k];
    const i = s.node;
    if (s.terms.length === 0) {
      return '<p><b>Backward 1/' + B + ': the seed.</b> ∂' + esc(operand(i)) + '/∂' + esc(operand(i)) + ' = 1</p>';
    }
    const rows = s.terms.filter((t) => !t.const).map((t) => '<li>∂' + esc(operand(i)) + '/∂' +
      esc(operand(t.input)) + ' = ' + esc(t.formula) + ' = <span class="num">' + fmt(t.partial) +
      '</span><br>grad(' + esc(name(t.input)) + ') = <span class="num">' + fmt(t.before) + ' + ' +
      fmt(t.partial) + ' × ' + fmt(s.grad) + ' = <b>' + fmt(t.after) + '</b></span></li>');
    return '<p><b>Backward ' + (k + 1) + '/' + B + '.</b> ' + esc(name(i)) + ' = ' + formula(i, false) +
      ' has its gradient, ' + fmt(s.grad) + '. Each input gets it times the local derivative, ' +
      'added to what it had:</p><ul class="terms">' + rows.join('') + '</ul>';
  }
  function highlight() {  // the elements of the step just done, in the view on screen
    unlight();
    if (pos === 0 || training >= 0) return;
    const v = view;
    const inValues = v === views.values;
    if (pos <= F) {
      const i = D.forward[pos - 1];
      light(v.node(i), 'current');
      if (inValues) {
        light(v.root.querySelector('#o' + i), 'current');
        light(v.root.querySelector('#r' + i), 'active');
        D.nodes[i].inputs.forEach((j, k) => light(v.root.querySelector('#e' + i + '_' + k), 'active'));
      }
      reveal(i);
      return;
    }
    const s = D.backward[pos - F - 1];
    const i = s.node;
    light(v.node(i), 'current');
    reveal(i);
    if (inValues && s.terms.length) {
      light(v.root.querySelector('#o' + i), 'current');
      light(v.root.querySelector('#r' + i), 'active');
      if (places === null) measure();
    }
    const stacked = {};  // an input used twice by this op gets its labels one above the other
    for (const t of s.terms) {
      if (t.const) continue;
      if (v.node(t.input) !== v.node(i)) light(v.node(t.input), 'receiving');
      if (!inValues) continue;
      light(v.grad[t.input], 'changed');
      light(v.root.querySelector('#e' + i + '_' + t.k), 'active');
      const middle = places.middle[i + '_' + t.k];
      const top = places.top[t.input];
      const full = t.formula + ' = ' + fmt(t.partial);  // on a short edge, only the number
      label(middle[0], middle[1], full.length * 5.5 < middle[2] ? full : fmt(t.partial), 'edge-label');
      stacked[t.input] = (stacked[t.input] || 0) + 1;
      label(top[0], top[1] - 13 * (stacked[t.input] - 1), '+= ' + fmt(t.add), 'add-label');
    }
  }

  // --- the chain-rule panel: always the state on screen
  let selected = -1;
  function chainText(i) {
    const who = esc(name(i));
    if (training >= 0) {
      const k = H.nodes.indexOf(i);
      const next = k >= 0 && training + 1 < H.weights.length
        ? ' After the update (and the next recorded step) it is ' + fmt(H.weights[training + 1][k]) + '.' : '';
      return '<p>At training step ' + (H.step[training] + 1) + ': ' + who + ' = <span class="num">' +
        fmt(value[i]) + '</span>, ∂' + esc(operand(ROOT)) + '/∂' + esc(operand(i)) + ' = <span class="num">' +
        fmt(grad[i]) + '</span>.' + next + '</p>';
    }
    if (!known[i]) {
      return '<p>Not computed yet: forward step ' + (fwdAt[i] + 1) + ' computes it.</p>';
    }
    if (isConst(i)) return '<p>A constant: it takes no step and needs no gradient.</p>';
    const b = bwdDone();
    if (i === ROOT) {
      return b > 0 ? '<pre>' + esc(D.explain[String(ROOT)]) + '</pre>'
        : '<p>' + who + ' = ' + fmt(value[i]) + '. The backward pass starts here: its first step sets ∂' +
          esc(operand(i)) + '/∂' + esc(operand(i)) + ' = 1.</p>';
    }
    const rows = shares[i].map(([k, t]) => {
      const s = D.backward[k];
      const c = esc(name(s.node));
      const dc = '∂' + esc(operand(s.node)) + '/∂' + esc(operand(i));
      if (k < b) {
        return '<li class="arrived">step ' + (k + 1) + ': grad(' + c + ') × ' + dc +
          ' = <span class="num">' + fmt(s.grad) + ' × ' + fmt(t.partial) + ' = ' + fmt(t.add) + '</span></li>';
      }
      return '<li class="to-come">step ' + (k + 1) + ': grad(' + c + ') × ' + dc +
        ' = ' + esc(t.formula) + ' × grad(' + c + '), still to come</li>';
    });
    const arrived = shares[i].filter(([k]) => k < b).length;
    const done = b >= completeAt[i];
    let text = '<p>grad(' + who + ') is the sum, over the ' + shares[i].length + ' node' +
      (shares[i].length === 1 ? '' : 's') + ' made from it, of grad(node) × ∂node/∂' + esc(operand(i)) + ':</p>' +
      '<ul class="terms">' + rows.join('') + '</ul>';
    if (done) {
      text += '<p>grad(' + who + ') = <span class="num"><b>' + fmt(grad[i]) + '</b></span> (complete)</p>';
      const full = D.explain[String(i)];
      if (full !== undefined) text += '<pre>' + esc(full) + '</pre>';
    } else {
      text += '<p>So far ' + arrived + ' of ' + shares[i].length + ' shares have arrived: grad(' + who +
        ') = <span class="num">' + fmt(grad[i]) + '</span>; the rest comes in later steps.</p>';
    }
    return text;
  }
  function neuronLine(i) {  // in the neuron and layer views, a neuron's δ from its g
    if (!NET || view === views.values) return '';
    for (const layer of NET.layers) {
      for (const n of layer) {
        if (n.out !== i && n.net !== i) continue;
        if (!known[n.out]) return '<p>Neuron ' + esc(n.name) + ': not computed yet.</p>';
        return '<p>Neuron ' + esc(n.name) + ': a = ' + fmt(value[n.out]) + ', δ = ∂' + esc(operand(ROOT)) +
          '/∂net = g · f′(z) = <span class="num">' + fmt(grad[n.out]) + ' × ' + fmt(fprime(n)) + ' = <b>' +
          fmt(grad[n.net]) + '</b></span></p>';
      }
    }
    return '';
  }
  function chainRule() {
    document.querySelectorAll('#graph .selected').forEach((el) => el.classList.remove('selected'));
    if (selected < 0) return;
    const el = view.node(selected);
    if (el) el.classList.add('selected');
    $('chain-text').innerHTML = neuronLine(selected) + chainText(selected);
  }
  function select(i) { selected = i; chainRule(); }

  // --- one place that puts the state on screen
  function render() {
    work();
    view.render();
    highlight();
    let text;
    if (training >= 0) {
      text = '<p>Training step ' + (H.step[training] + 1) + ' of ' + H.steps + ': every value and ' +
        'gradient of this graph at the weights of that step.</p>';
    } else if (pos === 0) {
      text = 'Inputs, weights and constants are given. <b>Forward step</b> (or →) computes the other ' +
        'values, one op at a time; <b>Backward step</b> then sends the gradient back; <b>Back</b> (or ←) ' +
        'undoes a step.';
    } else {
      text = pos <= F ? forwardText(pos - 1) : backwardText(pos - F - 1);
    }
    $('step-text').innerHTML = text;
    chainRule();
    status();
  }
  function status() {
    let text;
    const b = bwdDone();
    if (training >= 0) {
      text = 'Training step ' + (H.step[training] + 1) + ' of ' + H.steps + ': ' + name(ROOT) + ' = ' +
        fmt(value[ROOT]) + ' (batch loss ' + fmt(H.loss[training]) + ').';
    } else if (pos < F) text = 'Forward pass: ' + pos + ' of ' + F + ' ops computed.';
    else if (b === 0) text = 'Forward pass done: ' + name(ROOT) + ' = ' + fmt(value[ROOT]) + '. Every gradient is still 0.';
    else if (b < B) text = 'Backward pass: step ' + b + ' of ' + B + '.';
    else text = 'Backward pass done: every gradient is ∂' + name(ROOT) + '/∂node.';
    if (D.warning) text += ' ' + D.warning;
    $('status').textContent = text;
  }

  function goto(p, remember) {
    p = Math.max(0, Math.min(F + B, p));
    const moved = p !== pos || training >= 0;
    if (remember && p !== pos) undo.push(pos);
    pos = p;
    training = -1;
    if (moved) { trainingOff(); render(); }
    return moved;
  }
  const stepForward = () => pos < F && goto(pos + 1, true);
  const stepBackward = () => pos < F + B && goto(Math.max(pos, F) + 1, true);
  const next = () => pos < F + B && goto(pos + 1, true);
  function back() {
    stop();
    if (training >= 0) { goto(pos, false); return; }
    goto(undo.length ? undo.pop() : pos - 1, false);
  }
  function reset() { stop(); undo = []; goto(0, false); render(); }

  // --- play / pause
  const playButton = document.querySelector('[data-action="play"]');
  let timer = null;
  function stop() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    playButton.textContent = 'Play';
  }
  function tick() {
    if (next()) timer = setTimeout(tick, Number($('speed').value));
    else stop();
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (pos >= F + B && training < 0) reset();
    playButton.textContent = 'Pause';
    tick();
  }

  // --- clicking or pressing Enter on a node: its chain rule
  pane.addEventListener('click', (event) => {
    const g = event.target.closest('[data-index]');
    if (g) select(Number(g.getAttribute('data-index')));
  });
  pane.addEventListener('keydown', (event) => {
    const g = event.target.closest('[data-index]');
    if (g && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      event.stopPropagation();
      select(Number(g.getAttribute('data-index')));
    }
  });

  // --- training history: a slider over the recorded steps
  function trainingOff() {
    if (H) $('training-text').textContent = 'Move the slider to see the whole graph during training.';
  }
  function enterTraining(s) {
    stop();
    training = s;
    render();
    $('training-text').textContent = 'Training step ' + (H.step[s] + 1) + ' of ' + H.steps +
      ': batch loss ' + fmt(H.loss[s]) + '. Every value and gradient is at that step\'s weights.';
    drawCurve(s);
  }
  function drawCurve(s) {
    const losses = H.loss.map(Number).filter(isFinite);
    const lo = Math.min.apply(null, losses);
    const hi = Math.max.apply(null, losses);
    const x = (k) => 30 + 225 * (H.loss.length > 1 ? k / (H.loss.length - 1) : 0.5);
    const y = (v) => 8 + 66 * (hi > lo ? (hi - Number(v)) / (hi - lo) : 0.5);
    const points = H.loss.map((v, k) => x(k).toFixed(1) + ',' + y(v).toFixed(1)).join(' ');
    $('curve').innerHTML = '<text x="0" y="12">' + fmt(hi) + '</text><text x="0" y="76">' + fmt(lo) +
      '</text><polyline points="' + points + '"></polyline><circle r="3.5" cx="' + x(s).toFixed(1) +
      '" cy="' + y(H.loss[s]).toFixed(1) + '"></circle><text x="30" y="88">step ' + (H.step[s] + 1) +
      ' of ' + H.steps + '</text>';
  }
  if (H) {
    $('training').hidden = false;
    const slider = $('slider');
    slider.max = String(H.step.length - 1);
    slider.value = slider.max;
    slider.addEventListener('input', () => enterTraining(Number(slider.value)));
    drawCurve(H.step.length - 1);
    trainingOff();
  }

  // --- controls
  $('zoom').addEventListener('change', zoom);
  window.addEventListener('resize', () => { if ($('zoom').value === 'fit') zoom(); });
  const actions = {
    'step-forward': () => { stop(); stepForward(); },
    'step-backward': () => { stop(); stepBackward(); },
    'next': () => { stop(); next(); },
    'back': back,
    'play': play,
    'reset': reset,
    'zoom-current': zoomToCurrent,
  };
  document.querySelectorAll('button[data-action]').forEach((button) => {
    button.addEventListener('click', () => actions[button.getAttribute('data-action')]());
  });
  document.querySelectorAll('button[data-view]').forEach((button) => {
    if (!views[button.getAttribute('data-view')]) button.disabled = true;
    button.addEventListener('click', () => setView(button.getAttribute('data-view')));
  });
  document.addEventListener('keydown', (event) => {
    if (event.target.closest('input, select, textarea')) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const action = {
      f: 'step-forward', b: 'step-backward', ' ': 'play', r: 'reset', z: 'zoom-current',
      ArrowRight: 'next', ArrowLeft: 'back',
    }[event.key];
    if (action) { event.preventDefault(); actions[action](); }
  });
  setView(views[D.view] ? D.view : 'values');
}());
