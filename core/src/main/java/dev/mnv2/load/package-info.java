/**
 * Loading models of every format through one facade: {@link dev.mnv2.load.Models#load} returns a
 * {@link dev.mnv2.load.LoadedModel} (network, {@link dev.mnv2.load.InputSpec}, {@link dev.mnv2.load.Task}).
 *
 * <p>The pieces every format reader shares live here too, so that there is one of each:
 * {@link dev.mnv2.load.ArchitectureFit} (the width inference and the size checks that keep hostile files
 * from allocating), {@link dev.mnv2.load.WeightLayout} (OIHW, OHWI and HWIO weights to and from layers),
 * {@link dev.mnv2.load.ModelMetadata} (the input spec in an export's metadata) and
 * {@link dev.mnv2.load.Labels}. Formats plug in through the {@link dev.mnv2.load.ModelFormat} service
 * interface; their exceptions extend {@link dev.mnv2.load.ModelFormatException}.
 */
package dev.mnv2.load;
