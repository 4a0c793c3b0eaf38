package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/** The last outcome of one warm-up check, as the worker's status shows it. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record WarmUpResult(String check, boolean passed, String detail, Instant at) {}
