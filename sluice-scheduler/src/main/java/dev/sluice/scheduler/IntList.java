package dev.sluice.scheduler;

import java.util.Arrays;

/** A growable list of ints without boxing, for the scheduler's per-pass bookkeeping. */
final class IntList {

    private static final int INITIAL_CAPACITY = 8;

    private int[] values;
    private int size;

    IntList() {
        this(INITIAL_CAPACITY);
    }

    IntList(int capacity) {
        values = new int[Math.max(1, capacity)];
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int get(int index) {
        if (index >= size) {
            throw new IndexOutOfBoundsException("BUG: index " + index + " of " + size);
        }
        return values[index];
    }

    void add(int value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }

    boolean contains(int value) {
        for (int i = 0; i < size; i++) {
            if (values[i] == value) {
                return true;
            }
        }
        return false;
    }

    /** Removes the element at {@code index}, keeping the order of the others. */
    int removeAt(int index) {
        int removed = get(index);
        System.arraycopy(values, index + 1, values, index, size - index - 1);
        size--;
        return removed;
    }

    boolean remove(int value) {
        for (int i = 0; i < size; i++) {
            if (values[i] == value) {
                removeAt(i);
                return true;
            }
        }
        return false;
    }

    void clear() {
        size = 0;
    }

    int[] toArray() {
        return Arrays.copyOf(values, size);
    }

    static boolean contains(int[] values, int value) {
        for (int v : values) {
            if (v == value) {
                return true;
            }
        }
        return false;
    }
}
