package dev.zoetrope.models.sampling;

import java.util.Arrays;

/**
 * The noise levels of one sampling run: {@code sigmas[k]} for k = 0..n (the last is 0) and the timestep the
 * model sees at each of the n steps. Sigma 1 is pure noise, sigma 0 is data.
 */
public record FlowSchedule(float[] sigmas, double[] timesteps) {
    public FlowSchedule {
        if (timesteps.length < 1 || sigmas.length != timesteps.length + 1)
            throw new IllegalArgumentException("a schedule needs n ≥ 1 timesteps and n+1 sigmas, got "
                    + timesteps.length + " and " + sigmas.length);
        sigmas = sigmas.clone();
        timesteps = timesteps.clone();
    }

    public int steps() {
        return timesteps.length;
    }

    public float sigma(int k) {
        return sigmas[k];
    }

    public double timestep(int k) {
        return timesteps[k];
    }

    @Override
    public float[] sigmas() {
        return sigmas.clone();
    }

    @Override
    public double[] timesteps() {
        return timesteps.clone();
    }

    /**
     * diffusers' FlowMatchEulerDiscreteScheduler with a static shift. The training sigmas are shifted once
     * (float32, as the reference stores them); the sampling range between their max and min is spaced evenly
     * in timestep units and shifted again, so sigma_min is shifted twice. Model timestep = sigma·1000.
     */
    public static FlowSchedule shiftedEuler(int steps, double shift, int trainSteps) {
        checkSteps(steps);
        float sigmaMax = shiftFloat(trainSteps / (float) trainSteps, (float) shift);
        float sigmaMin = shiftFloat(1 / (float) trainSteps, (float) shift);
        double[] t = linspace(sigmaMax * (double) trainSteps, sigmaMin * (double) trainSteps, steps);
        float[] sigmas = new float[steps + 1];
        double[] timesteps = new double[steps];
        for (int k = 0; k < steps; k++) {
            sigmas[k] = (float) shift(t[k] / trainSteps, shift);
            timesteps[k] = sigmas[k] * (float) trainSteps;
        }
        return new FlowSchedule(sigmas, timesteps);
    }

    /**
     * Wan 2.1's schedule: sigma = linspace(0.999, 0, n+1) without its last point, shifted once, integer model
     * timesteps int(sigma·1000), a final sigma of 0. 0.999 is the float32 value the reference computes as
     * its largest training sigma.
     */
    public static FlowSchedule wan(int steps, double shift, int trainSteps) {
        checkSteps(steps);
        double sigmaMax = (float) (1.0 - 1.0 / trainSteps);
        double[] s = linspace(sigmaMax, 0, steps + 1);
        float[] sigmas = new float[steps + 1];
        double[] timesteps = new double[steps];
        for (int k = 0; k < steps; k++) {
            double shifted = shift(s[k], shift);
            sigmas[k] = (float) shifted;
            timesteps[k] = (long) (shifted * trainSteps);
        }
        return new FlowSchedule(sigmas, timesteps);
    }

    /** {@code s' = shift·s / (1 + (shift−1)·s)}: spends more of the steps at high noise. */
    static double shift(double sigma, double shift) {
        return shift * sigma / (1 + (shift - 1) * sigma);
    }

    private static float shiftFloat(float sigma, float shift) {
        return shift * sigma / (1f + (shift - 1f) * sigma);
    }

    /** numpy.linspace: start + i·step, with the end point exact. */
    static double[] linspace(double start, double stop, int n) {
        double[] y = new double[n];
        if (n == 1) {
            y[0] = start;
            return y;
        }
        double step = (stop - start) / (n - 1);
        for (int i = 0; i < n; i++) y[i] = i * step + start;
        y[n - 1] = stop;
        return y;
    }

    private static void checkSteps(int steps) {
        if (steps < 1) throw new IllegalArgumentException("the number of sampling steps must be at least 1, not " + steps);
    }

    @Override
    public String toString() {
        return "FlowSchedule" + Arrays.toString(timesteps);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowSchedule f && Arrays.equals(sigmas, f.sigmas) && Arrays.equals(timesteps, f.timesteps);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(sigmas) + Arrays.hashCode(timesteps);
    }
}
