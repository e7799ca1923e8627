"""`make bench`: tinygrad_edu against hand-written NumPy (and PyTorch when installed).

run.py prints the table of docs/performance.md; reference_numpy.py is the book-style baseline;
workloads.py builds the same nets in each implementation from the same initial weights;
timing.py does interleaved timing and peak-RSS measurement; micro.py the per-op numbers.
"""
