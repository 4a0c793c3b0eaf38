package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.PartitionId;
import java.util.Map;

/**
 * Something the scheduler could not do for one partition.
 *
 * @param reason the scheduler's reason code ({@code not-enough-candidates}); text, so that a reader older than
 *     the scheduler still shows a reason it does not know
 * @param message a sentence for operators with the numbers in it
 * @param numbers the same numbers by name
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExplanationView(PartitionId partition, String reason, String message, Map<String, Long> numbers) {}
