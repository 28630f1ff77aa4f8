/**
 * Training and evaluation data: {@link dev.mnv2.data.ImageFolder} (one folder per class),
 * {@link dev.mnv2.data.Transform} (augmentations and classify's evaluation crop into NHWC float32) and
 * {@link dev.mnv2.data.DataLoader} (parallel decoding with prefetch, whose batches depend only on the seed
 * and the epoch, never on the number of workers or their timing).
 */
package dev.mnv2.data;
