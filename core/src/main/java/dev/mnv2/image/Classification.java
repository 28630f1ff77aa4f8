package dev.mnv2.image;

/** One class of a prediction: the model's output index, its label, and its softmax probability. */
public record Classification(int index, String label, float score) {}
