"""The core (layer 2): ``Value`` and the backward pass, on the rules below. Start reading at
``backward.py``: the chain rule in fifty lines."""
