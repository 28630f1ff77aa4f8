package dev.mnv2.analysis;

/**
 * One row of the paper's Table 3: at one spatial resolution, the largest bottleneck tensor's channel count
 * and its size in kB (1000 bytes) with 16-bit activations.
 */
public record Table3Row(String resolution, int channels, double kb) {}
