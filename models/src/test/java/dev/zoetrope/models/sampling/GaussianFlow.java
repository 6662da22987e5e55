package dev.zoetrope.models.sampling;

import org.bytedeco.pytorch.Tensor;

import dev.zoetrope.models.nn.Ops;

/**
 * A data distribution whose flow is known in closed form, for testing solvers: data ~ N(mu, s²) per element,
 * x_σ = (1−σ)·data + σ·noise. The exact velocity is (x − E[data | x_σ])/σ, and the probability-flow ODE moves
 * a point along x_σ = (1−σ)·mu + std(σ)·z with std(σ) = √((1−σ)²s² + σ²).
 */
record GaussianFlow(double mu, double s) {
    double std(double sigma) {
        return Math.sqrt((1 - sigma) * (1 - sigma) * s * s + sigma * sigma);
    }

    /** Exact velocity at x and noise level sigma. */
    Tensor velocity(Tensor x, double sigma) {
        double a = 1 - sigma;
        double gain = a * s * s / (a * a * s * s + sigma * sigma);
        Tensor data = x.sub(Ops.scalar(a * mu)).mul(Ops.scalar(gain)).add(Ops.scalar(mu));
        return x.sub(data).div(Ops.scalar(sigma));
    }

    /** Where the exact flow takes the value x at sigma0 when it reaches sigma 0. */
    double endpoint(double x, double sigma0) {
        double z = (x - (1 - sigma0) * mu) / std(sigma0);
        return mu + s * z;
    }
}
