"""Regenerate Tests/Fixtures/tiny_cnn.mlpackage, the model the XCTest target times end to end.

A 5 KB image-input ML Program (conv 3x3/2 -> ReLU -> global pool -> linear),
converted with coremltools on any OS. Core ML writes random identifiers into
Manifest.json, so a regenerated package has a new sha256: after running this,
update "sha256" in Tests/Fixtures/plan.json (tests/ios_harness checks they agree):

    python ios_harness/tools/make_fixture.py
    python -c "from mobench.core.util import sha256_path; print(sha256_path('ios_harness/Tests/Fixtures/tiny_cnn.mlpackage'))"
"""

from pathlib import Path

import coremltools as ct
import torch

HERE = Path(__file__).resolve().parent.parent / "Tests" / "Fixtures"


def main() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 10),
    ).eval()
    example = torch.rand(1, 3, 64, 64)
    traced = torch.jit.trace(model, example)
    mlmodel = ct.convert(
        traced,
        inputs=[ct.ImageType(name="image", shape=example.shape, scale=1 / 255.0)],
        outputs=[ct.TensorType(name="logits")],
        minimum_deployment_target=ct.target.iOS16,
        convert_to="mlprogram",
    )
    mlmodel.save(str(HERE / "tiny_cnn.mlpackage"))


if __name__ == "__main__":
    main()
