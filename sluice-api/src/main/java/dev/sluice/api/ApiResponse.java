package dev.sluice.api;

import dev.sluice.wire.ApiError;

/** What an admin API call answers: an HTTP status and a body to write as JSON. */
public record ApiResponse(int status, Object body) {

    public static ApiResponse ok(Object body) {
        return new ApiResponse(200, body);
    }

    public static ApiResponse error(int status, String error, String message) {
        return new ApiResponse(status, new ApiError(error, message));
    }
}
