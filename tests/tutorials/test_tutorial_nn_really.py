"""PyTorch's "What is torch.nn really?": logistic regression on images written from scratch, then
refactored step by step with nn.functional, nn.Module, nn.Linear, optim, Dataset, DataLoader,
validation, fit()/get_data(), and finally a CNN.

The tutorial downloads a pickled MNIST; here the images are the Fashion-MNIST subset shipped in
tinygrad_edu (1,000 training and 200 validation images, flattened, the same arrays for both
libraries). The stages up to the DataLoader are deterministic, so their printed losses and
accuracies are compared with PyTorch's (same initial weights through same_draws.SameDraws);
the shuffled stages must lower the loss. The CNN stages need convolution. With lr = 0.5, float32
rounding differences grow chaotically over the epochs (PyTorch's own float32 and float64 runs part
in the second digit), so the comparison runs both libraries in float64, where they agree to ~1e-10.
"""
import math

import numpy as np
import pytest
from same_draws import SameDraws, assert_same_printed_numbers, run_printing

import tinygrad_edu
from tinygrad_edu.data.datasets import EmbeddedFashionMNIST

TRAIN, VALID = 1000, 200
IMAGE_DTYPE = {"dtype": np.float32}  # float64 while comparing with PyTorch


def _data():
    """The tutorial's numpy arrays x_train, y_train, x_valid, y_valid (images flattened to 784)."""
    train, valid = EmbeddedFashionMNIST(train=True), EmbeddedFashionMNIST(train=False)
    dtype = IMAGE_DTYPE["dtype"]
    return ((train.data[:TRAIN].reshape(TRAIN, 784) / 255).astype(dtype), train.targets[:TRAIN],
            (valid.data[:VALID].reshape(VALID, 784) / 255).astype(dtype), valid.targets[:VALID])


def _imports(library):
    """What the tutorial imports: (torch, nn, F, optim, TensorDataset, DataLoader)."""
    if library is tinygrad_edu or isinstance(library, SameDraws):
        from tinygrad_edu import optim
        from tinygrad_edu.utils.data import DataLoader, TensorDataset
        return library, library.nn, library.nn.functional, optim, TensorDataset, DataLoader
    from torch import optim
    from torch.utils.data import DataLoader, TensorDataset
    return library, library.nn, library.nn.functional, optim, TensorDataset, DataLoader


def deterministic_stages(torch, nn, F, optim, TensorDataset, DataLoader):
    x_train, y_train, x_valid, y_valid = _data()  # local data instead of the pickled download

    x_train, y_train, x_valid, y_valid = map(
        torch.tensor, (x_train, y_train, x_valid, y_valid)
    )
    n, c = x_train.shape
    print(x_train, y_train)
    print(x_train.shape)
    print(y_train.min(), y_train.max())

    weights = torch.randn(784, 10) / math.sqrt(784)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)

    def log_softmax(x):
        return x - x.exp().sum(-1).log().unsqueeze(-1)

    def model(xb):
        return log_softmax(xb @ weights + bias)

    bs = 64  # batch size

    xb = x_train[0:bs]  # a mini-batch from x
    preds = model(xb)  # predictions
    preds[0], preds.shape
    print(preds[0], preds.shape)

    def nll(input, target):
        return -input[range(target.shape[0]), target].mean()

    loss_func = nll

    yb = y_train[0:bs]
    print(loss_func(preds, yb))

    def accuracy(out, yb):
        preds = torch.argmax(out, dim=1)
        return (preds == yb).float().mean()

    print(accuracy(preds, yb))

    lr = 0.5  # learning rate
    epochs = 2  # how many epochs to train for

    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)

            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()

    print(loss_func(model(xb), yb), accuracy(model(xb), yb))

    loss_func = F.cross_entropy

    def model(xb):
        return xb @ weights + bias

    print(loss_func(model(xb), yb), accuracy(model(xb), yb))

    class Mnist_Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
            self.bias = nn.Parameter(torch.zeros(10))

        def forward(self, xb):
            return xb @ self.weights + self.bias

    model = Mnist_Logistic()
    print(loss_func(model(xb), yb))

    def fit():
        for epoch in range(epochs):
            for i in range((n - 1) // bs + 1):
                start_i = i * bs
                end_i = start_i + bs
                xb = x_train[start_i:end_i]
                yb = y_train[start_i:end_i]
                pred = model(xb)
                loss = loss_func(pred, yb)

                loss.backward()
                with torch.no_grad():
                    for p in model.parameters():
                        p -= p.grad * lr
                    model.zero_grad()

    fit()
    print(loss_func(model(xb), yb))

    class Mnist_Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(784, 10)

        def forward(self, xb):
            return self.lin(xb)

    model = Mnist_Logistic()
    print(loss_func(model(xb), yb))
    fit()
    print(loss_func(model(xb), yb))

    def get_model():
        model = Mnist_Logistic()
        return model, optim.SGD(model.parameters(), lr=lr)

    model, opt = get_model()
    print(loss_func(model(xb), yb))

    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)

            loss.backward()
            opt.step()
            opt.zero_grad()

    print(loss_func(model(xb), yb))

    train_ds = TensorDataset(x_train, y_train)
    model, opt = get_model()

    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            xb, yb = train_ds[i * bs: i * bs + bs]
            pred = model(xb)
            loss = loss_func(pred, yb)

            loss.backward()
            opt.step()
            opt.zero_grad()

    print(loss_func(model(xb), yb))

    train_ds = TensorDataset(x_train, y_train)
    train_dl = DataLoader(train_ds, batch_size=bs)

    model, opt = get_model()

    for epoch in range(epochs):
        for xb, yb in train_dl:
            pred = model(xb)
            loss = loss_func(pred, yb)

            loss.backward()
            opt.step()
            opt.zero_grad()

    print(loss_func(model(xb), yb))


def validation_stages(torch, nn, F, optim, TensorDataset, DataLoader):
    x_train, y_train, x_valid, y_valid = map(torch.tensor, _data())
    bs, lr, epochs = 64, 0.5, 2
    loss_func = F.cross_entropy

    class Mnist_Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(784, 10)

        def forward(self, xb):
            return self.lin(xb)

    def get_model():
        model = Mnist_Logistic()
        return model, optim.SGD(model.parameters(), lr=lr)

    train_ds = TensorDataset(x_train, y_train)
    train_dl = DataLoader(train_ds, batch_size=bs, shuffle=True)

    valid_ds = TensorDataset(x_valid, y_valid)
    valid_dl = DataLoader(valid_ds, batch_size=bs * 2)

    model, opt = get_model()
    with torch.no_grad():
        untrained = sum(loss_func(model(xb), yb) for xb, yb in valid_dl) / len(valid_dl)

    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            pred = model(xb)
            loss = loss_func(pred, yb)

            loss.backward()
            opt.step()
            opt.zero_grad()

        model.eval()
        with torch.no_grad():
            valid_loss = sum(loss_func(model(xb), yb) for xb, yb in valid_dl)

        print(epoch, valid_loss / len(valid_dl))

    def loss_batch(model, loss_func, xb, yb, opt=None):
        loss = loss_func(model(xb), yb)

        if opt is not None:
            loss.backward()
            opt.step()
            opt.zero_grad()

        return loss.item(), len(xb)

    def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
        for epoch in range(epochs):
            model.train()
            for xb, yb in train_dl:
                loss_batch(model, loss_func, xb, yb, opt)

            model.eval()
            with torch.no_grad():
                losses, nums = zip(
                    *[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl]
                )
            val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)

            print(epoch, val_loss)
        return val_loss

    def get_data(train_ds, valid_ds, bs):
        return (
            DataLoader(train_ds, batch_size=bs, shuffle=True),
            DataLoader(valid_ds, batch_size=bs * 2),
        )

    train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
    model, opt = get_model()
    final = fit(epochs, model, loss_func, opt, train_dl, valid_dl)
    return untrained.item(), final


def cnn_stages(torch, nn, F, optim, TensorDataset, DataLoader):
    x_train, y_train, x_valid, y_valid = map(torch.tensor, _data())
    bs, epochs = 64, 2
    loss_func = F.cross_entropy
    train_ds, valid_ds = TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid)

    def loss_batch(model, loss_func, xb, yb, opt=None):
        loss = loss_func(model(xb), yb)
        if opt is not None:
            loss.backward()
            opt.step()
            opt.zero_grad()
        return loss.item(), len(xb)

    def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
        for epoch in range(epochs):
            model.train()
            for xb, yb in train_dl:
                loss_batch(model, loss_func, xb, yb, opt)
            model.eval()
            with torch.no_grad():
                losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
            val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
            print(epoch, val_loss)
        return val_loss

    def get_data(train_ds, valid_ds, bs):
        return (DataLoader(train_ds, batch_size=bs, shuffle=True), DataLoader(valid_ds, batch_size=bs * 2))

    class Lambda(nn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func

        def forward(self, x):
            return self.func(x)

    def preprocess(x, y):
        return x.view(-1, 1, 28, 28), y

    dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")

    def preprocess(x, y):  # noqa: F811 (the tutorial redefines it to move batches to the device)
        return x.view(-1, 1, 28, 28).to(dev), y.to(dev)

    class WrappedDataLoader:
        def __init__(self, dl, func):
            self.dl = dl
            self.func = func

        def __len__(self):
            return len(self.dl)

        def __iter__(self):
            for b in self.dl:
                yield (self.func(*b))

    train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
    train_dl = WrappedDataLoader(train_dl, preprocess)
    valid_dl = WrappedDataLoader(valid_dl, preprocess)

    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        Lambda(lambda x: x.view(x.size(0), -1)),
    )
    model.to(dev)
    lr = 0.1
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    with torch.no_grad():
        untrained = np.mean([loss_batch(model, loss_func, xb, yb)[0] for xb, yb in valid_dl])
    return untrained, fit(epochs, model, loss_func, opt, train_dl, valid_dl)


@pytest.fixture
def float64_everywhere(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setitem(IMAGE_DTYPE, "dtype", np.float64)
    torch.set_default_dtype(torch.float64)
    tinygrad_edu.set_default_dtype(np.float64)
    yield torch
    torch.set_default_dtype(torch.float32)
    tinygrad_edu.set_default_dtype(np.float32)


def test_deterministic_stages_print_what_pytorch_prints(float64_everywhere):
    torch = float64_everywhere
    ours, _ = run_printing(deterministic_stages, *_imports(SameDraws(torch)), torch=torch)
    theirs, _ = run_printing(deterministic_stages, *_imports(torch), torch=torch)
    assert_same_printed_numbers(ours, theirs, rtol=1e-4, atol=1e-4)  # tensor reprs print 4 decimals


def _printed_losses(printed: str) -> list[float]:
    return [float(line.split("tensor(")[1].split(",")[0]) for line in printed.splitlines()
            if line.startswith("tensor(") and "grad_fn" in line and "," in line.split("tensor(")[1]]


def test_deterministic_stages_lower_the_loss():
    printed, _ = run_printing(deterministic_stages, *_imports(tinygrad_edu))
    losses = _printed_losses(printed)  # untrained, then trained, for each refactoring step
    assert len(losses) >= 8 and losses[-1] < losses[1], printed


def test_validation_and_fit_lower_the_validation_loss():
    printed, (untrained, final) = run_printing(validation_stages, *_imports(tinygrad_edu))
    assert final < 0.8 * untrained, printed
    assert len(printed.splitlines()) == 4


@pytest.mark.skipif(not hasattr(tinygrad_edu.nn, "Conv2d") or not hasattr(tinygrad_edu.nn, "AdaptiveAvgPool2d"),
                    reason="the CNN stages need nn.Conv2d and nn.AdaptiveAvgPool2d: convolution is not on main yet")
def test_cnn_stages_lower_the_validation_loss():
    printed, (untrained, final) = run_printing(cnn_stages, *_imports(tinygrad_edu))
    # 2 epochs of 16 batches move the loss slowly (PyTorch on the same data: 2.301 -> 2.279)
    assert final < untrained - 0.01, printed
