package dev.sluice.client.wire;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * The JSON body of every error answer of the data API. {@code error} is a kebab-case code (see
 * {@link ErrorCodes}); {@code message} says what went wrong in words. A redirect ({@code 421
 * not-leader}) also names the partition and, when known, the leader and its URL.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorBody(String error, String message, String partition, String leader, String leaderUrl) {

    @JsonCreator
    public ErrorBody(
            @JsonProperty("error") String error,
            @JsonProperty("message") String message,
            @JsonProperty("partition") String partition,
            @JsonProperty("leader") String leader,
            @JsonProperty("leaderUrl") String leaderUrl) {
        this.error = Objects.requireNonNull(error, "error");
        this.message = message == null ? "" : message;
        this.partition = partition;
        this.leader = leader;
        this.leaderUrl = leaderUrl;
    }

    public static ErrorBody of(String error, String message) {
        return new ErrorBody(error, message, null, null, null);
    }
}
