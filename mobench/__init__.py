"""mobench: on-device latency benchmarking of mobile vision backbones.

Check the MobileOne paper's claims (Vasu et al., CVPR 2023, arXiv:2206.04040) on
your own models and devices: build the models, reparameterize, export to Core ML
and ONNX, time them on a device, and correlate latency with FLOPs and params.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
