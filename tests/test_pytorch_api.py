"""PyTorch's everyday API on tinygrad_edu: devices, dtype names, factories, Tensor methods, protocols.

NumPy is the oracle for values; PyTorch (optional) for conventions such as type promotion and
the shapes and dtypes factories return. See docs/pytorch.md.
"""
import math

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn


def test_device_cpu_is_accepted_everywhere():
    device = "cuda" if tg.cuda.is_available() else "mps" if tg.backends.mps.is_available() else "cpu"
    assert device == "cpu" and not tg.accelerator.is_available()
    x = tg.ones(2, 3, device=device)
    assert x.device == tg.device("cpu") == "cpu" and str(x.device) == "cpu"
    assert x.to(device) is x and x.cpu() is x and x.to(tg.device("cpu:0")) is x
    model = nn.Linear(3, 2, device=device).to(device)
    assert isinstance(model, nn.Linear) and model.cpu() is model
    assert tg.tensor([1.0], device="cpu").device.type == "cpu"


@pytest.mark.parametrize("name", ["cuda", "cuda:0", "mps"])
def test_accelerators_raise_saying_this_build_runs_on_numpy(name):
    named = tg.device(name)  # naming a device is fine (PyTorch without a GPU allows it too)
    assert named.type == name.partition(":")[0] and named != "cpu"
    with pytest.raises(RuntimeError, match="runs on NumPy"):
        tg.ones(2).to(named)
    with pytest.raises(RuntimeError, match="runs on NumPy"):
        tg.zeros(2, device=name)
    with pytest.raises(RuntimeError, match="runs on NumPy"):
        tg.ones(2).to(name)
    with pytest.raises(RuntimeError, match="runs on NumPy"):
        nn.Linear(2, 2, device=name)
    with pytest.raises(RuntimeError, match="runs on NumPy"):
        nn.Linear(2, 2).to(name)


def test_unknown_to_argument_names_the_problem():
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        tg.device("gpu")
    assert tg.device("cuda", 0).index == 0 and repr(tg.device("cpu")) == "device(type='cpu')"
    with pytest.raises(TypeError, match="neither a dtype"):
        tg.ones(2).to("gpu")


def test_dtype_names_follow_pytorch():
    assert tg.float is tg.float32 and tg.double is tg.float64 and tg.half is tg.float16
    assert tg.long is tg.int64 and tg.int is tg.int32 and tg.bool == np.bool_ and tg.uint8 == np.uint8
    x = tg.tensor([[1, 2], [3, 4]])
    assert x.dtype == tg.int64
    assert x.type(tg.float).dtype == np.float32 and x.to(tg.double).dtype == np.float64
    assert x.to("cpu", tg.float16).dtype == np.float16 and x.to(dtype=tg.int8).dtype == np.int8
    assert x.to(tg.zeros(1, dtype=tg.float64)).dtype == np.float64
    assert x.type() == "tinygrad_edu.LongTensor" and x.float().type() == "tinygrad_edu.FloatTensor"
    assert x.type_as(tg.zeros(1)).dtype == np.float32 and x.half().dtype == np.float16 and x.int().dtype == np.int32
    assert not x.is_floating_point() and x.float().is_floating_point()
    assert x.element_size() == 8 and x.float().element_size() == 4
    assert nn.Linear(2, 2, dtype=tg.float64).weight.dtype == np.float64
    assert (tg.ones(3).argmax(0) == tg.tensor(0)).type(tg.float).sum().item() == 1.0


def test_to_keeps_the_graph_and_copy_makes_a_new_tensor():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(tg.float64)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    assert x.grad.dtype == np.float32
    copied = x.to("cpu", copy=True)
    assert copied is not x and copied.data is not x.data


def test_factories_take_sizes_as_varargs_or_one_tuple_and_the_keywords():
    for make in (tg.zeros, tg.ones, tg.empty, tg.rand, tg.randn):
        assert make(2, 3).shape == make((2, 3)).shape == make([2, 3]).shape == (2, 3)
        assert make(()).shape == ()
        made = make(2, dtype=tg.float64, device="cpu", requires_grad=True)
        assert made.dtype == np.float64 and made.requires_grad and made.is_leaf
    assert tg.empty(2, 2).numpy().tolist() == [[0, 0], [0, 0]]
    assert tg.full((2,), 7).dtype == np.int64 and tg.full((2,), 7.0).dtype == np.float32
    assert tg.arange(5, device="cpu").tolist() == [0, 1, 2, 3, 4]
    assert tg.eye(2, device="cpu", requires_grad=True).requires_grad
    assert tg.randint(0, 10, (3,)).shape == (3,) and tg.randint(10, (4,)).shape == (4,)


def test_as_tensor_shares_when_it_can():
    array = np.ones(3)
    assert np.shares_memory(tg.as_tensor(array).data, array)
    assert tg.as_tensor(array, dtype=tg.float32).dtype == np.float32
    t = tg.ones(2)
    assert tg.as_tensor(t) is t and tg.as_tensor([1, 2]).dtype == np.int64


def test_like_and_new_factories():
    x = tg.tensor([[1, 2], [3, 4]])
    assert tg.rand_like(x, dtype=tg.float).dtype == np.float32 and tg.rand_like(x, dtype=tg.float).shape == (2, 2)
    assert tg.randn_like(x.float()).shape == (2, 2)
    with pytest.raises(TypeError, match="floating dtype"):
        tg.rand_like(x)
    assert tg.full_like(x, 5).tolist() == [[5, 5], [5, 5]] and tg.empty_like(x).dtype == np.int64
    assert tg.zeros_like(x, dtype=tg.float).dtype == np.float32
    low_high = tg.randint_like(x, 3, 5).numpy()
    assert low_high.dtype == np.int64 and ((3 <= low_high) & (low_high < 5)).all()
    assert tg.randint_like(x, 2).numpy().max() < 2
    f = tg.ones(3, dtype=tg.float64)
    assert f.new_zeros(2, 2).dtype == np.float64 and f.new_zeros((2, 2)).shape == (2, 2)
    assert f.new_ones(3).tolist() == [1, 1, 1] and f.new_full((2,), 4).tolist() == [4, 4]
    assert f.new_empty(2).shape == (2,) and f.new_tensor([1, 2]).dtype == np.float64
    assert f.new_tensor([1, 2], dtype=tg.int32).dtype == np.int32
    assert f.new_zeros(2, requires_grad=True).requires_grad


def test_linspace_and_logspace_match_numpy_and_torch():
    x = tg.linspace(-math.pi, math.pi, 2000)
    np.testing.assert_allclose(x.numpy(), np.linspace(-math.pi, math.pi, 2000, dtype=np.float32), rtol=1e-6)
    assert x.dtype == np.float32 and tg.linspace(0, 1, 5, dtype=tg.float64).dtype == np.float64
    np.testing.assert_allclose(tg.logspace(0, 3, 4).numpy(), [1, 10, 100, 1000])
    np.testing.assert_allclose(tg.logspace(0, 3, 4, base=2).numpy(), [1, 2, 4, 8])
    torch = pytest.importorskip("torch")
    # PyTorch's kernel rounds per SIMD block, so its last bit depends on the CPU: compare to 1 ulp-ish
    np.testing.assert_allclose(x.numpy(), torch.linspace(-math.pi, math.pi, 2000).numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(tg.linspace(0, 10, 7, dtype=tg.int64).numpy(),
                                  torch.linspace(0, 10, 7, dtype=torch.int64).numpy())


def test_shape_methods():
    x = tg.arange(6).reshape(2, 3)
    assert x.t().shape == (3, 2) and tg.arange(3).t().shape == (3,)
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        tg.zeros(2, 2, 2).t()
    assert tg.zeros(4, 2, 3).mT.shape == (4, 3, 2)
    assert x.view(3, 2).shape == (3, 2) and x.view_as(tg.zeros(6)).shape == (6,)
    assert x.reshape_as(tg.zeros(3, 2)).shape == (3, 2)
    assert tg.zeros(1, 3).expand_as(tg.zeros(4, 3)).shape == (4, 3)
    assert x.contiguous() is x
    assert x.numel() == x.nelement() == 6 and x.dim() == 2 and x.size(1) == 3 and x.size() == (2, 3)


def test_clone_copies_and_passes_the_gradient():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert y.data is not x.data and not y.is_leaf
    (y * tg.tensor([3.0, 4.0])).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 4.0])


def test_masked_fill_gather_scatter_add_index_select_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    index = np.array([[0, 1, 1, 3], [2, 0, 0, 1], [1, 1, 2, 0]])
    src = rng.standard_normal((3, 4))
    _ = rng.standard_normal((3, 4))  # drawn so the later draws stay as they were
    ours, theirs = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours_src, theirs_src = tg.tensor(src, requires_grad=True), torch.tensor(src, requires_grad=True)
    for dim in (0, 1):
        i = index if dim == 1 else index % 3
        results = (
            (ours.masked_fill(ours > 0, -1.0), theirs.masked_fill(theirs > 0, -1.0)),
            (ours.gather(dim, tg.tensor(i)), theirs.gather(dim, torch.tensor(i))),
            (ours.scatter_add(dim, tg.tensor(i), ours_src), theirs.scatter_add(dim, torch.tensor(i), theirs_src)),
            (ours.index_select(dim, tg.tensor([2, 0, 2])), theirs.index_select(dim, torch.tensor([2, 0, 2]))),
        )
        for mine, reference in results:
            np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy())
            c = rng.standard_normal(reference.shape)  # a random cotangent, so a permuted gradient would fail
            (mine * tg.tensor(c)).sum().backward()
            (reference * torch.tensor(c)).sum().backward()
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)
            if ours_src.grad is not None:
                np.testing.assert_allclose(ours_src.grad.numpy(), theirs_src.grad.numpy(), atol=1e-12)
            ours.grad = theirs.grad = ours_src.grad = theirs_src.grad = None


def test_gather_checks_its_index():
    with pytest.raises(ValueError, match="same number of dimensions"):
        tg.zeros(2, 2).gather(0, tg.tensor([0, 1]))
    with pytest.raises(TypeError, match="int64 for index"):
        tg.zeros(2, 2).gather(0, tg.zeros(2, 2))


def test_all_any_isnan_isinf_isfinite_nan_to_num():
    x = tg.tensor([[1.0, float("nan")], [float("inf"), -float("inf")]], requires_grad=True)
    assert x.isnan().tolist() == [[False, True], [False, False]]
    assert x.isinf().tolist() == [[False, False], [True, True]]
    assert x.isfinite().tolist() == [[True, False], [False, False]]
    assert not x.isfinite().all().item() and x.isnan().any().item()
    assert x.isinf().any(dim=1).tolist() == [False, True] and x.isinf().all(1, keepdim=True).shape == (2, 1)
    cleaned = x.nan_to_num(posinf=9.0)
    big = np.finfo(np.float32).min
    assert cleaned.tolist() == [[1.0, 0.0], [9.0, big]]
    cleaned.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0], [0.0, 0.0]]


def test_python_protocols():
    classes = ["a", "b", "c"]
    pred = tg.tensor([[0.1, 0.9, 0.0]])
    assert classes[pred[0].argmax(0)] == "b"
    assert list(range(tg.tensor(3))) == [0, 1, 2]
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        classes[tg.tensor(1.0)]
    loss = tg.tensor(0.123456)
    assert f"{loss:.4f}" == "0.1235" and f"{loss:>7f}" == "0.123456" and f"{tg.tensor(7):>5d}" == "    7"
    assert f"{tg.tensor([1.0, 2.0])}" == str(tg.tensor([1.0, 2.0]))
    assert float(loss) == pytest.approx(0.123456) and int(tg.tensor([3])) == 3 and bool(tg.tensor(1))
    rows = list(tg.tensor([[1, 2], [3, 4]]))
    assert len(rows) == 2 and rows[1].tolist() == [3, 4]
    assert 3 in tg.tensor([[1, 2], [3, 4]]) and 5 not in tg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="Tensor or scalar"):
        "a" in tg.tensor([1, 2])


def test_numpy_bridge_refuses_tensors_that_require_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for convert in (np.asarray, np.array, lambda t: t.numpy(), np.from_dlpack):
        with pytest.raises(RuntimeError, match="detach"):
            convert(x)
    shared = np.from_dlpack(x.detach())
    assert np.shares_memory(shared, x.data)
    assert x.__dlpack_device__() == x.data.__dlpack_device__()


@pytest.mark.parametrize("left, right", [
    (np.float64(2.0), "f32"), ("f32", np.float64(2.0)), (np.int64(3), "i64"), ("f32", np.int64(3)),
    (np.ones(3), "f32"), ("f32", np.ones(3)), (np.ones(3, np.float32), "i64"), ("i64", np.ones(3, np.int32)),
])
def test_numpy_operands_on_either_side_give_a_tensor_with_torchs_promotion(left, right):
    torch = pytest.importorskip("torch")
    ours = {"f32": tg.tensor([1.0, 2.0, 3.0]), "i64": tg.tensor([1, 2, 3])}
    theirs = {"f32": torch.tensor([1.0, 2.0, 3.0]), "i64": torch.tensor([1, 2, 3])}
    for op in (lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b):
        mine = op(ours.get(left, left) if isinstance(left, str) else left,
                  ours.get(right, right) if isinstance(right, str) else right)
        reference = op(theirs[left] if isinstance(left, str) else torch.as_tensor(left) if
                       isinstance(left, np.ndarray) else left,
                       theirs[right] if isinstance(right, str) else torch.as_tensor(right) if
                       isinstance(right, np.ndarray) else right)
        assert isinstance(mine, tg.Tensor)
        assert str(mine.dtype) == str(reference.dtype).removeprefix("torch.")
        np.testing.assert_allclose(mine.numpy(), reference.numpy())


def test_top_level_functions_and_out():
    a, b = tg.tensor([[1.0, 2.0], [3.0, 4.0]]), tg.tensor([[0.5, -1.0], [2.0, 0.0]])
    np.testing.assert_allclose(tg.matmul(a, b).numpy(), a.numpy() @ b.numpy())
    np.testing.assert_allclose(tg.sin(a).numpy(), np.sin(a.numpy()))
    assert tg.argmax(a, dim=1).tolist() == [1, 1] and tg.sum(a, 0).tolist() == [4.0, 6.0]
    assert tg.add(a, b, alpha=2).tolist() == (a + 2 * b).tolist()
    assert tg.max(a).item() == 4.0 and tg.max(a, b).tolist() == tg.maximum(a, b).tolist()
    assert tg.allclose(a, a + 1e-9) and tg.equal(a, a.clone()) and not tg.equal(a, b)
    z = tg.rand_like(a)
    assert tg.mul(a, b, out=z) is z and z.tolist() == (a * b).tolist()
    y = tg.zeros(1)
    tg.matmul(a, b.t(), out=y)
    assert y.shape == (2, 2) and y.tolist() == (a @ b.T).tolist()
    with pytest.raises(RuntimeError, match="can't be cast"):
        tg.add(a, b, out=tg.zeros(2, 2, dtype=tg.int64))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tg.exp(a.requires_grad_(), out=tg.zeros(2, 2))
    with pytest.raises(TypeError, match="must be Tensor"):
        tg.sin(1.0)
    with pytest.raises(RuntimeError, match="matrices"):
        tg.mm(tg.zeros(2), tg.zeros(2))
    assert tg.bmm(tg.zeros(4, 2, 3), tg.zeros(4, 3, 5)).shape == (4, 2, 5)


def test_every_top_level_function_is_the_methods_function_form():
    from tinygrad_edu import tensor_functions
    x = tg.tensor([[0.5, -1.5], [2.0, 0.25]])
    for name in ("abs", "exp", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "neg", "square", "t", "clone",
                 "isnan", "isfinite", "isinf", "numel", "flatten", "sum", "mean", "var", "std", "amax", "amin",
                 "argmax", "argmin", "logsumexp", "softmax", "log_softmax", "all", "any", "nan_to_num"):
        function = getattr(tensor_functions, name)
        assert getattr(tg, name) is function
        positive = x.abs() if name in ("sqrt",) else x
        expected, got = getattr(positive, name)(), function(positive)
        np.testing.assert_array_equal(np.asarray(got.data if isinstance(got, tg.Tensor) else got),
                                      np.asarray(expected.data if isinstance(expected, tg.Tensor) else expected))


def test_swapaxes_and_swapdims_are_transpose():
    x = tg.arange(24.0).reshape(2, 3, 4).requires_grad_()
    for swapped in (x.swapaxes(0, 2), x.swapdims(2, 0), tg.swapaxes(x, 0, -1), tg.swapdims(x, -1, 0)):
        assert swapped.shape == (4, 3, 2)
        np.testing.assert_array_equal(swapped.data, np.swapaxes(x.data, 0, 2))
    x.swapaxes(0, 1).sum().backward()
    assert x.grad.shape == (2, 3, 4)


def test_errors_carry_pytorchs_key_words():
    with pytest.raises(ValueError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        tg.ones(2).item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(tg.ones(2))
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        tg.ones(2, requires_grad=True).numpy()


def test_star_import_keeps_pythons_builtins():
    namespace = {}
    exec("from tinygrad_edu import *", namespace)
    assert "linspace" in namespace and "matmul" in namespace and "float32" in namespace
    for builtin in ("abs", "all", "any", "max", "min", "pow", "sum", "bool", "float", "int"):
        assert builtin not in namespace and hasattr(tg, builtin)


@pytest.mark.skipif(not hasattr(tg.Tensor, "__setitem__"), reason="item assignment is not on main yet (engine issue)")
@pytest.mark.parametrize("index", [
    (slice(None), 1), 2, (1, slice(0, 2)), "tensor_mask", "tensor_rows", "mask_2d",
    (np.array([0, 2]), np.array([1, 0])),
], ids=["column", "row", "row_slice", "tensor_mask", "tensor_rows", "mask_2d", "index_pairs"])
def test_item_assignment_with_pytorch_index_forms(index):
    torch = pytest.importorskip("torch")
    start = np.arange(12.0).reshape(3, 4)
    ours, theirs = tg.tensor(start), torch.tensor(start)
    if index == "tensor_mask":
        ours_index, their_index = tg.tensor([True, False, True]), torch.tensor([True, False, True])
    elif index == "tensor_rows":
        ours_index, their_index = tg.tensor([2, 0]), torch.tensor([2, 0])
    elif index == "mask_2d":
        ours_index, their_index = ours > 5, theirs > 5
    else:
        ours_index = index
        their_index = tuple(torch.as_tensor(i) if isinstance(i, np.ndarray) else i for i in index) \
            if isinstance(index, tuple) else index
    ours[ours_index] = 0
    theirs[their_index] = 0
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours[ours_index] = tg.tensor(-1.0)
    theirs[their_index] = torch.tensor(-1.0, dtype=torch.float64)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
