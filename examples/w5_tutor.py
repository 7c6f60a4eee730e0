"""Seed 003's hand derivation of the w5 update, checked step by step by the tutor.

The tutorial writes each factor of dE/dw5 to four decimals; one of them (0.1958) is an
arithmetic slip, which the product and the update then carry. A second derivation flips
the sign of the first factor, and the tutor names that misconception.

Run:  python examples/w5_tutor.py
"""

from __future__ import annotations

import _common  # noqa: F401  (runs the examples from a checkout)

from autograd.tutor.derivation import check_derivation
from nn.datasets import seed_003

TUTORIAL = [
    "∂E_total/∂out_o1 = -(0.6905 - 0.7333) = 0.0428",
    "∂out_o1/∂net_o1 = 0.7333 * (1 - 0.7333) = 0.1958",
    "∂net_o1/∂w5 = out_h1 = 0.5854",
    "∂E_total/∂w5 = 0.0428 * 0.1958 * 0.5854 = 0.00490579",
    "w5 = 0.4 - 0.1 * 0.00490579 = 0.3995",
]

SIGN_FLIPPED = ["∂E_total/∂out_o1 = (0.6905 - 0.7333) = -0.0428", *TUTORIAL[1:3],
                "∂E_total/∂w5 = -0.0428 * 0.1958 * 0.5854 = -0.00490579",
                "w5 = 0.4 - 0.1 * -0.00490579 = 0.4005"]


def main() -> None:
    _, error, _ = seed_003()
    print("The tutorial's derivation")
    print("=========================")
    print(check_derivation(error, TUTORIAL))
    print("The same with the first factor's sign flipped")
    print("=============================================")
    print(check_derivation(error, SIGN_FLIPPED))


if __name__ == "__main__":
    main()
