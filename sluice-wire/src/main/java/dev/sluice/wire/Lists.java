package dev.sluice.wire;

import java.util.List;

/** How wire records keep their lists: immutable, and empty where a writer left one out. */
final class Lists {

    private Lists() {}

    /**
     * {@code list} as an immutable copy, or empty when it is absent: a writer older or newer than the reader
     * may leave a list out, and an absent list means the same as an empty one.
     */
    static <T> List<T> copyOrEmpty(List<T> list) {
        return list == null ? List.of() : List.copyOf(list);
    }
}
