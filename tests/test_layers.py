"Blocks: shapes and gradients, SE gating, spectral norm's largest singular value ≈ 1, CMHSA mixing."
import torch
from anime_gan.layers import SE, USE, CMHSA, conv
from anime_gan.config import DCGANCfg
from anime_gan.models import Generator, Discriminator


def test_spectral_norm_unit_singular_value():
    torch.manual_seed(0)
    c = conv(8, 16, 3, 1, 1, norm="spectral")
    for _ in range(30): c(torch.randn(2, 8, 6, 6))
    s = torch.linalg.matrix_norm(c.weight.detach().reshape(16, -1), ord=2)
    assert abs(s.item() - 1) < 0.02


def test_blocks_shapes_and_gradients():
    for block, x, shape in [(SE(16), torch.randn(2, 16, 8, 8), (2, 16, 8, 8)),
                            (USE(16, 8), torch.randn(2, 16, 8, 8), (2, 8, 16, 16)),
                            (CMHSA(16, 4), torch.randn(2, 16, 8, 8), (2, 16, 8, 8))]:
        if isinstance(block, CMHSA): block.gamma.data.fill_(0.5)
        x.requires_grad_(True)
        y = block(x)
        y.square().mean().backward()
        assert y.shape == shape and x.grad is not None and x.grad.abs().sum() > 0
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in block.parameters() if p.requires_grad)


def test_dcsegan_switch_adds_se_after_every_d_conv():
    d0, d1 = Discriminator(64, 8), Discriminator(64, 8, blocks=("se",))
    n_conv = sum(isinstance(m, torch.nn.Conv2d) for m in d1.trunk)
    assert sum(isinstance(m, SE) for m in d1.modules()) == n_conv == 4
    assert not any(isinstance(m, SE) for m in d0.modules())


def test_generator_switches():
    g = Generator(res=64, width=8, blocks=("use", "cmhsa"), opts=DCGANCfg(attn_res=16))
    assert sum(isinstance(m, CMHSA) for m in g.modules()) == 1 and sum(isinstance(m, SE) for m in g.modules()) == 1
    assert g(torch.randn(3, 100)).shape == (3, 3, 64, 64)
