"""The config key ``device`` → a torch device (hampipe.models.device)."""

import pytest
import torch

from hampipe.models.device import pick_device


def test_pick_device():
    assert pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device("auto").type == expected
    assert pick_device(torch.device("cpu")) == torch.device("cpu")


def test_unknown_device_names_the_key():
    with pytest.raises(ValueError, match=r"^device: unknown device 'tpu'"):
        pick_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_names_the_device_key():
    with pytest.raises(ValueError, match=r"^device: 'cuda' asks for a GPU, but torch sees no"):
        pick_device("cuda")
