"""The rules (layer 1): the maths functions and the namespaces that interpret them
(``maths``), symbols for formulas (``symbolic``), and the op table (``ops``). Nothing here
knows about ``Value``: a rule is text that runs on floats, arrays, complex numbers, symbols
or Values alike."""
