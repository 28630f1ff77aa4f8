package dev.mnv2.train;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The common part of the optimizers: argument checks, the walk over the parameters and the per-parameter
 * state ("slots"), kept in first-update order so that exports are ordered the same on every run.
 */
abstract class SlotOptimizer implements Optimizer {
    /** A named state array per parameter: the parameter's size, or one value when {@code scalar}. */
    record Slot(String name, boolean scalar, boolean nonNegative) {}

    private final List<Slot> slots;
    private final Map<String, float[][]> state = new LinkedHashMap<>();

    SlotOptimizer(List<Slot> slots) {
        this.slots = List.copyOf(slots);
    }

    /** Updates one updatable parameter. */
    abstract void update(Parameter parameter, double learningRate);

    @Override
    public final void step(List<Parameter> parameters, double learningRate) {
        Objects.requireNonNull(parameters, "parameters");
        Checks.requireNonNegative("learning rate", learningRate);
        Parameter.requireUniqueNames(parameters);
        for (Parameter p : parameters) {
            if (p.updatable()) {
                update(p, learningRate);
            }
        }
    }

    /** The slot arrays of {@code p} in declaration order, or null before its first update. */
    final float[][] slotsOf(Parameter p) {
        float[][] arrays = state.get(p.name());
        if (arrays != null && arrays[0].length != length(slots.get(0), p)) {
            throw new IllegalArgumentException("parameter " + p.name() + " has " + p.size()
                    + " values but the optimizer's state under that name has " + arrays[0].length);
        }
        return arrays;
    }

    /** New zero-filled slot arrays for {@code p}, kept from now on. */
    final float[][] createSlots(Parameter p) {
        float[][] arrays = new float[slots.size()][];
        for (int i = 0; i < arrays.length; i++) {
            arrays[i] = new float[length(slots.get(i), p)];
        }
        state.put(p.name(), arrays);
        return arrays;
    }

    @Override
    public final Map<String, float[]> state() {
        Map<String, float[]> out = new LinkedHashMap<>();
        state.forEach((name, arrays) -> {
            for (int i = 0; i < arrays.length; i++) {
                out.put(name + "." + slots.get(i).name(), arrays[i].clone());
            }
        });
        return out;
    }

    @Override
    public final void loadState(List<Parameter> parameters, Map<String, float[]> entries) {
        Objects.requireNonNull(entries, "state");
        Parameter.requireUniqueNames(parameters);
        Map<String, float[][]> loaded = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();
        for (Parameter p : parameters) {
            List<String> present = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            float[][] arrays = new float[slots.size()][];
            for (int i = 0; i < arrays.length; i++) {
                Slot slot = slots.get(i);
                String key = p.name() + "." + slot.name();
                float[] values = entries.get(key);
                if (values == null) {
                    missing.add(key);
                    continue;
                }
                present.add(key);
                check(key, values, slot, p);
                arrays[i] = values.clone();
            }
            if (!present.isEmpty() && !missing.isEmpty()) {
                throw new IllegalArgumentException("optimizer state has " + present.get(0) + " but not "
                        + missing.get(0));
            }
            if (!present.isEmpty()) {
                used.addAll(present);
                loaded.put(p.name(), arrays);
            }
        }
        for (String key : entries.keySet()) {
            if (!used.contains(key)) {
                throw new IllegalArgumentException("optimizer state entry " + key
                        + " names no parameter and slot of " + getClass().getSimpleName());
            }
        }
        state.clear();
        state.putAll(loaded);
    }

    private static void check(String key, float[] values, Slot slot, Parameter p) {
        int expected = length(slot, p);
        if (values.length != expected) {
            throw new IllegalArgumentException("optimizer state entry " + key + " has " + values.length
                    + " values, expected " + expected);
        }
        for (float v : values) {
            if (!Float.isFinite(v) || (slot.nonNegative() && v < 0)) {
                throw new IllegalArgumentException("optimizer state entry " + key + " holds " + v
                        + (slot.nonNegative() ? ", expected finite values >= 0" : ", expected finite values"));
            }
        }
    }

    private static int length(Slot slot, Parameter p) {
        return slot.scalar() ? 1 : p.size();
    }
}
