"""PyTorch's "A Gentle Introduction to torch.autograd": one training step, differentiation in
autograd (Q = 3a^3 - b^2 with an external gradient), exclusion from the DAG, and fine-tuning
with frozen parameters.

The tutorial's model is torchvision's pretrained resnet18 (a download of weights and code that
needs convolution); here a small local network with the same interface (an `fc` head, 1000
outputs) stands in for it, and the input is 1x3x8x8 instead of 1x3x64x64. Everything else is
the tutorial's code, run on tinygrad_edu and compared with PyTorch where it prints numbers.
"""
import pytest
from same_draws import SameDraws, assert_same_printed_numbers, run_printing

import tinygrad_edu


def resnet18_stand_in(torch, nn):
    """A downloaded-model stand-in: flatten, a hidden layer, and a replaceable `fc` head."""

    class SmallNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.body = nn.Linear(3 * 8 * 8, 512)
            self.fc = nn.Linear(512, 1000)

        def forward(self, x):
            return self.fc(self.body(self.flatten(x)).relu())

    return SmallNet()


def usage_stage(torch, nn, _):
    model = resnet18_stand_in(torch, nn)  # resnet18(weights=ResNet18_Weights.DEFAULT) in the tutorial
    data = torch.rand(1, 3, 8, 8)
    labels = torch.rand(1, 1000)

    prediction = model(data)  # forward pass

    loss = (prediction - labels).sum()
    loss.backward()  # backward pass

    optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    optim.step()  # gradient descent
    print(loss)
    print(model(data).sum())


def differentiation_stage(torch):
    a = torch.tensor([2., 3.], requires_grad=True)
    b = torch.tensor([6., 4.], requires_grad=True)

    Q = 3 * a ** 3 - b ** 2

    external_grad = torch.tensor([1., 1.])
    Q.backward(gradient=external_grad)

    # check if collected gradients are correct
    print(9 * a ** 2 == a.grad)
    print(-2 * b == b.grad)


def exclusion_stage(torch, nn, optim):
    x = torch.rand(5, 5)
    y = torch.rand(5, 5)
    z = torch.rand((5, 5), requires_grad=True)

    a = x + y
    print(f"Does `a` require gradients?: {a.requires_grad}")
    b = x + z
    print(f"Does `b` require gradients?: {b.requires_grad}")

    model = resnet18_stand_in(torch, nn)  # resnet18(weights=ResNet18_Weights.DEFAULT) in the tutorial

    # Freeze all the parameters in the network
    for param in model.parameters():
        param.requires_grad = False

    model.fc = nn.Linear(512, 10)

    # Optimize only the classifier
    optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)

    data = torch.rand(1, 3, 8, 8)
    before = model.body.weight.detach().clone()
    loss = model(data).sum()
    loss.backward()
    optimizer.step()
    print(model.body.weight.grad is None, model.fc.weight.grad is not None, bool((model.body.weight == before).all()))


def _imports(library):
    if isinstance(library, SameDraws) or library is tinygrad_edu:
        return library.nn, tinygrad_edu.optim
    return library.nn, library.optim


@pytest.mark.parametrize("stage", [usage_stage, differentiation_stage, exclusion_stage],
                         ids=["usage", "differentiation", "exclusion"])
def test_stage_prints_what_pytorch_prints(stage):
    torch = pytest.importorskip("torch")
    extra = stage is not differentiation_stage
    ours, _ = run_printing(stage, SameDraws(torch), *(_imports(SameDraws(torch)) if extra else ()), torch=torch)
    theirs, _ = run_printing(stage, torch, *(_imports(torch) if extra else ()), torch=torch)
    assert_same_printed_numbers(ours, theirs, rtol=1e-4, atol=1e-4)
    assert ours.replace("True", "T").count("T") == theirs.replace("True", "T").count("T")
    assert ours.count("False") == theirs.count("False")


def test_stages_run_on_their_own():
    printed, _ = run_printing(differentiation_stage, tinygrad_edu)
    assert printed.count("True") == 4 and "False" not in printed
    printed, _ = run_printing(exclusion_stage, tinygrad_edu, tinygrad_edu.nn, tinygrad_edu.optim)
    assert printed.splitlines()[:2] == ["Does `a` require gradients?: False", "Does `b` require gradients?: True"]
    assert printed.splitlines()[-1] == "True True True"
