"""`tinygrad_edu.data.datasets`: the ready-made datasets in one namespace (like torchvision.datasets).

Layer L6, re-exports only. MNIST and FashionMNIST read IDX files (mnist.py, sources.py),
EmbeddedFashionMNIST and `embedded_manifest` give the subset shipped in the package, `spiral`
and `quadratic_bowl` are synthetic (synthetic.py). See docs/data.md.
"""
from .embedded import manifest as embedded_manifest
from .mnist import EmbeddedFashionMNIST, FashionMNIST, ImageClassificationDataset, MNIST
from .synthetic import quadratic_bowl, quadratic_bowl_grad, spiral

__all__ = ["EmbeddedFashionMNIST", "FashionMNIST", "ImageClassificationDataset", "MNIST", "embedded_manifest",
           "quadratic_bowl", "quadratic_bowl_grad", "spiral"]
