"""The Gaussian random fields of the interval simulations: variance and autocorrelation."""
import numpy as np
import pytest

from phusong.coverage.fields import GaussianField


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("shape", [(120, 90), (91, 77)])  # even and odd padded widths
def test_drawn_fields_have_unit_variance_and_exponential_correlation(seed, shape):
    field = GaussianField(shape, 100.0, 400.0)
    rng = np.random.default_rng(seed)
    draws = np.array([field.draw(rng) for _ in range(150)])
    assert draws.dtype == np.float32 and draws.shape == (150, *shape)
    assert draws.var() == pytest.approx(1.0, abs=0.05)
    for lag in (1, 4, 8):
        along_x = np.mean(draws[:, :, :-lag] * draws[:, :, lag:])
        along_y = np.mean(draws[:, :-lag, :] * draws[:, lag:, :])
        expected = np.exp(-lag * 100.0 / 400.0)
        assert along_x == pytest.approx(expected, abs=0.05)
        assert along_y == pytest.approx(expected, abs=0.05)
    # opposite edges are not tied by the periodic transform
    assert abs(np.mean(draws[:, :, 0] * draws[:, :, -1])) < 0.05


def test_sample_has_exactly_the_asked_standard_deviation():
    field = GaussianField((60, 50), 100.0, 300.0)
    assert field.sample(4.5, np.random.default_rng(0)).std() == pytest.approx(4.5, rel=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_large_fields_drawn_with_random_signs_are_gaussian_with_exponential_correlation(seed):
    from scipy.stats import kurtosis, norm

    from phusong.coverage.fields import MIN_TERMS_FOR_SIGNS

    field = GaussianField((400, 320), 100.0, 500.0)
    assert field.effective_terms >= MIN_TERMS_FOR_SIGNS  # the random-sign path
    assert GaussianField((120, 90), 100.0, 400.0).effective_terms < MIN_TERMS_FOR_SIGNS
    rng = np.random.default_rng(seed)
    draws = np.array([field.draw(rng) for _ in range(25)])
    values = draws.ravel()
    assert values.var() == pytest.approx(1.0, abs=0.03)
    assert abs(kurtosis(values)) < 0.03
    for z, tolerance in ((1.645, 0.004), (2.326, 0.0015)):
        assert np.mean(values > z) == pytest.approx(norm.sf(z), abs=tolerance)
        assert np.mean(values < -z) == pytest.approx(norm.sf(z), abs=tolerance)
    for lag in (1, 5):
        expected = np.exp(-lag * 100.0 / 500.0)
        assert np.mean(draws[:, :, :-lag] * draws[:, :, lag:]) == pytest.approx(expected, abs=0.04)
        assert np.mean(draws[:, :-lag, :] * draws[:, lag:, :]) == pytest.approx(expected, abs=0.04)
