package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * The body of every admin API error that is not a refused transition.
 *
 * @param error a kebab-case code ({@code not-found}, {@code bad-request}, {@code unavailable}, …)
 * @param message what went wrong, in words
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ApiError(String error, String message) {}
