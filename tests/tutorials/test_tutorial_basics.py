"""PyTorch's "Learn the Basics": Tensors, Build Model, Autograd, Optimization and the Quickstart.

Each stage is the tutorial's code with the import lines as parameters (`torch`, `nn`,
`DataLoader`) and torchvision's downloaded FashionMNIST replaced by the Fashion-MNIST subset
shipped in tinygrad_edu (a few hundred images here, and two epochs, to keep the suite fast). It
runs on tinygrad_edu and, when PyTorch is installed, on PyTorch with the same data and the same
initial weights (same_draws.SameDraws); printed numbers must agree and training must lower the loss.
"""
import functools

import numpy as np
import pytest
from same_draws import SameDraws, assert_same_printed_numbers, printed_numbers, run_printing

import tinygrad_edu
from tinygrad_edu.data.datasets import EmbeddedFashionMNIST
from tinygrad_edu.utils.data import DataLoader, Subset

TRAIN, TEST = 640, 320  # images used (the tutorials read all 60,000 / 10,000)


def _fashion_arrays():
    train, test = EmbeddedFashionMNIST(train=True), EmbeddedFashionMNIST(train=False)
    return ((train.data[:TRAIN, None] / np.float32(255)).astype(np.float32), train.targets[:TRAIN],
            (test.data[:TEST, None] / np.float32(255)).astype(np.float32), test.targets[:TEST])


def _datasets(library):
    """(training_data, test_data, DataLoader) for tinygrad_edu or PyTorch, holding the same images."""
    if library is tinygrad_edu or isinstance(library, SameDraws):
        return (Subset(EmbeddedFashionMNIST(train=True), range(TRAIN)),
                Subset(EmbeddedFashionMNIST(train=False), range(TEST)), DataLoader)
    from torch.utils.data import DataLoader as TorchDataLoader
    from torch.utils.data import TensorDataset
    x_train, y_train, x_test, y_test = _fashion_arrays()
    # PyTorch's loaders draw a seed from the global generator at every iter(); their own generator
    # keeps those draws out of the sequence the weights come from, so both runs start alike.
    loader = functools.partial(TorchDataLoader, generator=library.Generator().manual_seed(0))
    return (TensorDataset(library.tensor(x_train), library.tensor(y_train)),
            TensorDataset(library.tensor(x_test), library.tensor(y_test)), loader)


def tensors_stage(torch):
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)

    np_array = np.array(data)
    x_np = torch.from_numpy(np_array)

    x_ones = torch.ones_like(x_data)  # retains the properties of x_data
    print(f"Ones Tensor: \n {x_ones} \n")

    x_rand = torch.rand_like(x_data, dtype=torch.float)  # overrides the datatype of x_data
    print(f"Random Tensor: \n {x_rand} \n")

    shape = (2, 3,)
    rand_tensor = torch.rand(shape)
    ones_tensor = torch.ones(shape)
    zeros_tensor = torch.zeros(shape)

    print(f"Random Tensor: \n {rand_tensor} \n")
    print(f"Ones Tensor: \n {ones_tensor} \n")
    print(f"Zeros Tensor: \n {zeros_tensor}")

    tensor = torch.rand(3, 4)

    print(f"Shape of tensor: {tensor.shape}")
    print(f"Datatype of tensor: {tensor.dtype}")
    print(f"Device tensor is stored on: {tensor.device}")

    # We move our tensor to the current accelerator if available
    if torch.accelerator.is_available():
        tensor = tensor.to(torch.accelerator.current_accelerator())

    tensor = torch.ones(4, 4)
    print(f"First row: {tensor[0]}")
    print(f"First column: {tensor[:, 0]}")
    print(f"Last column: {tensor[..., -1]}")
    tensor[:, 1] = 0
    print(tensor)

    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    print(t1)

    # This computes the matrix multiplication between two tensors. y1, y2, y3 will have the same value
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)

    y3 = torch.rand_like(y1)
    torch.matmul(tensor, tensor.T, out=y3)

    # This computes the element-wise product. z1, z2, z3 will have the same value
    z1 = tensor * tensor
    z2 = tensor.mul(tensor)

    z3 = torch.rand_like(tensor)
    torch.mul(tensor, tensor, out=z3)
    assert y1.tolist() == y2.tolist() == y3.tolist() and z1.tolist() == z2.tolist() == z3.tolist()

    agg = tensor.sum()
    agg_item = agg.item()
    print(agg_item, type(agg_item))

    print(f"{tensor} \n")
    tensor.add_(5)
    print(tensor)

    t = torch.ones(5)
    print(f"t: {t}")
    n = t.numpy()
    print(f"n: {n}")

    t.add_(1)
    print(f"t: {t}")
    print(f"n: {n}")

    n = np.ones(5)
    t = torch.from_numpy(n)

    np.add(n, 1, out=n)
    print(f"t: {t}")
    print(f"n: {n}")
    return x_np


def build_model_stage(torch, nn):
    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
    print(f"Using {device} device")

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 512),
                nn.ReLU(),
                nn.Linear(512, 512),
                nn.ReLU(),
                nn.Linear(512, 10),
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    model = NeuralNetwork().to(device)
    print(model)

    X = torch.rand(1, 28, 28, device=device)
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    print(f"Predicted class: {y_pred}")

    input_image = torch.rand(3, 28, 28)
    print(input_image.size())

    flatten = nn.Flatten()
    flat_image = flatten(input_image)
    print(flat_image.size())

    layer1 = nn.Linear(in_features=28 * 28, out_features=20)
    hidden1 = layer1(flat_image)
    print(hidden1.size())

    print(f"Before ReLU: {hidden1}\n\n")
    hidden1 = nn.ReLU()(hidden1)
    print(f"After ReLU: {hidden1}")

    seq_modules = nn.Sequential(
        flatten,
        layer1,
        nn.ReLU(),
        nn.Linear(20, 10)
    )
    input_image = torch.rand(3, 28, 28)
    logits = seq_modules(input_image)

    softmax = nn.Softmax(dim=1)
    pred_probab = softmax(logits)
    print(pred_probab)

    print(f"Model structure: {model}\n\n")

    for name, param in model.named_parameters():
        print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")


def autograd_stage(torch):
    x = torch.ones(5)  # input tensor
    y = torch.zeros(3)  # expected output
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

    print(f"Gradient function for z = {z.grad_fn}")
    print(f"Gradient function for loss = {loss.grad_fn}")

    loss.backward()
    print(w.grad)
    print(b.grad)

    z = torch.matmul(x, w) + b
    print(z.requires_grad)

    with torch.no_grad():
        z = torch.matmul(x, w) + b
    print(z.requires_grad)

    z = torch.matmul(x, w) + b
    z_det = z.detach()
    print(z_det.requires_grad)

    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    print(f"First call\n{inp.grad}")
    out.backward(torch.ones_like(out), retain_graph=True)
    print(f"\nSecond call\n{inp.grad}")
    inp.grad.zero_()
    out.backward(torch.ones_like(out), retain_graph=True)
    print(f"\nCall after zeroing gradients\n{inp.grad}")


EPOCHS = 2  # the tutorials' 5 or 10, reduced for a fast suite


def optimization_stage(torch, nn, training_data, test_data, DataLoader):
    train_dataloader = DataLoader(training_data, batch_size=64)
    test_dataloader = DataLoader(test_data, batch_size=64)

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 512),
                nn.ReLU(),
                nn.Linear(512, 512),
                nn.ReLU(),
                nn.Linear(512, 10),
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    model = NeuralNetwork()

    learning_rate = 1e-3
    batch_size = 64
    epochs = EPOCHS

    # Initialize the loss function
    loss_fn = nn.CrossEntropyLoss()

    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

    def train_loop(dataloader, model, loss_fn, optimizer):
        size = len(dataloader.dataset)
        # Set the model to training mode - important for batch normalization and dropout layers
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            # Compute prediction and loss
            pred = model(X)
            loss = loss_fn(pred, y)

            # Backpropagation
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

            if batch % 5 == 0:  # the tutorial prints every 100 batches
                loss, current = loss.item(), batch * batch_size + len(X)
                print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")

    def test_loop(dataloader, model, loss_fn):
        # Set the model to evaluation mode - important for batch normalization and dropout layers
        model.eval()
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        test_loss, correct = 0, 0

        # Evaluating the model with torch.no_grad() ensures that no gradients are computed during test mode
        with torch.no_grad():
            for X, y in dataloader:
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()

        test_loss /= num_batches
        correct /= size
        print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
        return test_loss

    test_losses = []
    for t in range(epochs):
        print(f"Epoch {t + 1}\n-------------------------------")
        train_loop(train_dataloader, model, loss_fn, optimizer)
        test_losses.append(test_loop(test_dataloader, model, loss_fn))
    print("Done!")
    return test_losses


def quickstart_stage(torch, nn, training_data, test_data, DataLoader):
    batch_size = 64

    # Create data loaders.
    train_dataloader = DataLoader(training_data, batch_size=batch_size)
    test_dataloader = DataLoader(test_data, batch_size=batch_size)

    for X, y in test_dataloader:
        print(f"Shape of X [N, C, H, W]: {X.shape}")
        print(f"Shape of y: {y.shape} {y.dtype}")
        break

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
    print(f"Using {device} device")

    # Define model
    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 512),
                nn.ReLU(),
                nn.Linear(512, 512),
                nn.ReLU(),
                nn.Linear(512, 10)
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    model = NeuralNetwork().to(device)
    print(model)

    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)

    def train(dataloader, model, loss_fn, optimizer):
        size = len(dataloader.dataset)
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            X, y = X.to(device), y.to(device)

            # Compute prediction error
            pred = model(X)
            loss = loss_fn(pred, y)

            # Backpropagation
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

            if batch % 5 == 0:  # the tutorial prints every 100 batches
                loss, current = loss.item(), (batch + 1) * len(X)
                print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")

    def test(dataloader, model, loss_fn):
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            for X, y in dataloader:
                X, y = X.to(device), y.to(device)
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        test_loss /= num_batches
        correct /= size
        print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
        return test_loss

    epochs = EPOCHS
    test_losses = []
    for t in range(epochs):
        print(f"Epoch {t + 1}\n-------------------------------")
        train(train_dataloader, model, loss_fn, optimizer)
        test_losses.append(test(test_dataloader, model, loss_fn))
    print("Done!")

    torch.save(model.state_dict(), "model.pth")
    print("Saved PyTorch Model State to model.pth")

    model = NeuralNetwork().to(device)
    model.load_state_dict(torch.load("model.pth", weights_only=True))

    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]

    model.eval()
    x, y = test_data[0][0], test_data[0][1]
    with torch.no_grad():
        x = x.to(device)
        pred = model(x)
        predicted, actual = classes[pred[0].argmax(0)], classes[y]
        print(f'Predicted: "{predicted}", Actual: "{actual}"')
    return test_losses


def _compare(stage, args, rtol=1e-4, atol=1e-6):
    torch = pytest.importorskip("torch")
    ours, our_result = run_printing(stage, SameDraws(torch), *args(SameDraws(torch)), torch=torch)
    theirs, their_result = run_printing(stage, torch, *args(torch), torch=torch)
    assert_same_printed_numbers(ours, theirs, rtol=rtol, atol=atol)
    return our_result, their_result


def test_tensors_stage():
    printed, x_np = run_printing(tensors_stage, tinygrad_edu)
    assert "t: tensor([2., 2., 2., 2., 2.], dtype=float64)" in printed and x_np.tolist() == [[1, 2], [3, 4]]
    _compare(tensors_stage, lambda library: (), atol=1e-4)  # tensor reprs print 4 decimals


def test_build_model_stage():
    run_printing(build_model_stage, tinygrad_edu, tinygrad_edu.nn)
    _compare(build_model_stage, lambda library: (library.nn,), atol=1e-4)


def test_autograd_stage():
    printed, _ = run_printing(autograd_stage, tinygrad_edu)
    assert "False\nFalse" in printed
    _compare(autograd_stage, lambda library: (), atol=1e-4)


@pytest.mark.parametrize("stage", [optimization_stage, quickstart_stage], ids=["optimization", "quickstart"])
def test_training_stages_lower_the_loss(stage, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    training_data, test_data, loader = _datasets(tinygrad_edu)
    printed, test_losses = run_printing(stage, tinygrad_edu, tinygrad_edu.nn, training_data, test_data, loader)
    assert test_losses[-1] < test_losses[0], printed
    assert "Done!" in printed and len(printed_numbers(printed)) > 10


@pytest.mark.parametrize("stage", [optimization_stage, quickstart_stage], ids=["optimization", "quickstart"])
def test_training_stages_print_what_pytorch_prints(stage, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ours, theirs = _compare(stage, lambda library: (library.nn, *_datasets(library)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)
