package dev.mnv2.model;

/**
 * One row of an architecture table such as the paper's Table 2: an operator with expansion factor t,
 * output channels c, repeats n and first stride s. Zero stands for the table's "-".
 */
public record ArchitectureRow(String operator, int t, int c, int n, int s) {
    public static String cell(int value) {
        return value == 0 ? "-" : Integer.toString(value);
    }
}
