package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The answer to a state change that was applied, or found already in place ({@code POST
 * /api/v1/nodes/{node}/state}).
 *
 * @param changed whether this request changed the state; {@code false} when the node already was in it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StateChanged(NodeView node, boolean changed, List<String> warnings) {

    public StateChanged {
        warnings = Lists.copyOrEmpty(warnings);
    }
}
