package dev.sluice.model;

import java.time.Duration;

/** Durations as operators read them in messages: {@code 850 ms}, {@code 15 s}, {@code 2 min 13 s}, {@code 1 h 5 min}. */
public final class Durations {

    private Durations() {}

    /**
     * The duration in its two largest units, rounded down; below a second in milliseconds, since a wait of
     * {@code 0 s} would read as no wait at all.
     *
     * @throws IllegalArgumentException if {@code duration} is negative
     */
    public static String human(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("a negative duration has no human form: " + duration);
        }
        long seconds = duration.toSeconds();
        if (seconds == 0) {
            return duration.toMillis() + " ms";
        }
        if (seconds < 60) {
            return seconds + " s";
        }
        long minutes = seconds / 60;
        if (minutes < 60) {
            return seconds % 60 == 0 ? minutes + " min" : minutes + " min " + seconds % 60 + " s";
        }
        long hours = minutes / 60;
        if (hours < 24) {
            return minutes % 60 == 0 ? hours + " h" : hours + " h " + minutes % 60 + " min";
        }
        return hours % 24 == 0 ? hours / 24 + " d" : hours / 24 + " d " + hours % 24 + " h";
    }
}
