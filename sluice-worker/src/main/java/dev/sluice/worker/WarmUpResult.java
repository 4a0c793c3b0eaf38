package dev.sluice.worker;

import java.time.Instant;

/** The last outcome of one warm-up check, as the worker's status shows it. */
public record WarmUpResult(String check, boolean passed, String detail, Instant at) {}
