// Render each LaTeX string of a JSON array (read from stdin) with KaTeX and with MathJax;
// print a JSON array with, per string, null or the first error message.
"use strict";
const katex = require("katex");
const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { SVG } = require("mathjax-full/js/output/svg.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
require("mathjax-full/js/input/tex/base/BaseConfiguration.js");
require("mathjax-full/js/input/tex/ams/AmsConfiguration.js");

const adaptor = liteAdaptor();
RegisterHTMLHandler(adaptor);
const tex = new TeX({
  packages: ["base", "ams"],
  formatError: (jax, err) => { throw err; },
});
const doc = mathjax.document("", { InputJax: tex, OutputJax: new SVG({ fontCache: "none" }) });

function check(s) {
  try {
    katex.renderToString(s, { displayMode: true, throwOnError: true, strict: "error" });
  } catch (e) {
    return "KaTeX: " + e.message;
  }
  try {
    doc.convert(s, { display: true });
  } catch (e) {
    return "MathJax: " + (e.message || String(e));
  }
  return null;
}

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify(JSON.parse(input).map(check)));
});
