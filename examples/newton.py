"""Newton's method with the exact second derivative, against plain gradient descent.

Both start at the classic point (-1.2, 1) of Rosenbrock's function
f(x, y) = (1 - x)² + 100 (y - x²)², whose minimum (1, 1) lies at the end of a long curved
valley. Newton's step solves H·d = -∇f with the exact Hessian H (from ``hessian``: the
derivative rules applied to themselves); gradient descent steps -lr·∇f with the fixed
learning rate 1e-3 (it must stay below 2/λ_max ≈ 0.002, λ_max ≈ 1001.6 being the largest
eigenvalue of the Hessian at the minimum). Both stop when |∇f| < 1e-8.

Run:  python examples/newton.py
"""

from __future__ import annotations

import math

import _common  # noqa: F401

from autograd import grad, hessian


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


gradient = grad(rosenbrock, argnums=(0, 1))


def newton(x: float, y: float, tol: float = 1e-8, max_steps: int = 100) -> tuple[int, float, float]:
    for step in range(max_steps):
        gx, gy = gradient(x, y)
        if math.hypot(gx, gy) < tol:
            return step, x, y
        (a, b), (c, d) = hessian(rosenbrock)(x, y)
        det = a * d - b * c
        x -= (d * gx - b * gy) / det  # H⁻¹∇f for a 2x2 H
        y -= (a * gy - c * gx) / det
    return max_steps, x, y


def gradient_descent(
    x: float, y: float, lr: float = 1e-3, tol: float = 1e-8, max_steps: int = 200_000
) -> tuple[int, float, float]:
    for step in range(max_steps):
        gx, gy = gradient(x, y)
        if math.hypot(gx, gy) < tol:
            return step, x, y
        x -= lr * gx
        y -= lr * gy
    return max_steps, x, y


def main() -> None:
    steps_n, xn, yn = newton(-1.2, 1.0)
    print(f"Newton's method:   {steps_n:>7,} steps -> ({xn:.10f}, {yn:.10f})")
    steps_g, xg, yg = gradient_descent(-1.2, 1.0)
    capped = " (stopped at the cap, not converged)" if steps_g == 200_000 else ""
    print(f"gradient descent:  {steps_g:>7,} steps -> ({xg:.10f}, {yg:.10f}){capped}")
    print(f"gradient descent needed {steps_g / max(steps_n, 1):,.0f}x as many steps")


if __name__ == "__main__":
    main()
