"""tinygrad_edu.optim: update rules for parameters, in PyTorch's forms and in the book's.

Layer L6 (imports tensor and _grad_mode, never nn). `import tinygrad_edu.optim as optim`:
optim.SGD, Adagrad, RMSprop, Adam, AdamW reproduce torch.optim's update rules and defaults;
optim.Momentum, Nesterov, AdaGrad, RMSProp are the book's (DLfS ch. 6) forms, and
Adam(convention="book") its Adam. optim.lr_scheduler holds the learning-rate schedules.
Every optimizer accepts an iterable of Tensors or of param-group dicts. See docs/nn_and_optim.md.
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .book import AdaGrad, Momentum, Nesterov, RMSProp
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["AdaGrad", "Adagrad", "Adam", "AdamW", "Momentum", "Nesterov", "Optimizer", "RMSProp", "RMSprop", "SGD",
           "lr_scheduler"]
