import numpy as np

import tinygrad_edu as tg


def test_square_sum_gradient_is_twice_the_input():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 4.0], [6.0, 8.0]])
