package dev.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.controller.Rollout;
import dev.sluice.controller.RolloutRequests;
import dev.sluice.wire.RolloutPlanView;
import dev.sluice.wire.RolloutView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The admin API's rolling-restart routes, independent of the HTTP server: start (or dry-run) one, show the
 * running or last one, cancel it. {@link RolloutRequests} decides; the controller leader restarts.
 */
public final class RolloutApi {

    private static final Set<String> START_FIELDS = Set.of("nodes", "zone", "nodeTimeoutSeconds", "reason", "dryRun");

    private final RolloutRequests requests;

    RolloutApi(RolloutRequests requests) {
        this.requests = requests;
    }

    /**
     * Starts a rolling restart: {@code {"nodes": ["worker-1", …]}} or {@code {"zone": "eu-west.zone-a"}} or
     * neither (every active worker), with optional {@code nodeTimeoutSeconds} (300), {@code reason} and
     * {@code dryRun}.
     */
    public ApiResponse start(byte[] body) {
        if (body.length > AdminApi.MAX_BODY_BYTES) {
            return ApiResponse.error(413, "payload-too-large", "the request body is " + body.length + " bytes; the limit is " + AdminApi.MAX_BODY_BYTES);
        }
        StartRequest request;
        try {
            request = StartRequest.parse(body);
        } catch (IllegalArgumentException malformed) {
            return ApiResponse.error(400, "bad-request", malformed.getMessage());
        }
        RolloutRequests.Outcome outcome = requests.start(new RolloutRequests.Selection(request.nodes(), request.zone()), request.nodeTimeout(),
                request.reason(), request.dryRun());
        return switch (outcome) {
            case RolloutRequests.Outcome.Invalid invalid -> ApiResponse.error(400, "bad-request", invalid.message());
            case RolloutRequests.Outcome.Refused refused -> ApiResponse.error(409, "refused", refused.message());
            case RolloutRequests.Outcome.Done done -> new ApiResponse(201, view(done.rollout()));
            case RolloutRequests.Outcome.Planned planned -> ApiResponse.ok(new RolloutPlanView(true, planned.allowed(), null,
                    planned.plan().stream().map(step -> new RolloutPlanView.Step(step.node().nodeId(), step.node().name(), step.node().location().toString(),
                            step.leads(), step.blocking(), step.warnings())).toList()));
        };
    }

    /** The running rollout, or the last one. */
    public ApiResponse current() {
        return requests.current().map(rollout -> ApiResponse.ok(view(rollout)))
                .orElseGet(() -> ApiResponse.error(404, "not-found", "no rolling restart has run in this cluster"));
    }

    /** Cancels the running rollout; with none running, says how the last one ended (409). */
    public ApiResponse cancel() {
        return switch (requests.cancel()) {
            case RolloutRequests.Outcome.Invalid invalid -> ApiResponse.error(404, "not-found", invalid.message());
            case RolloutRequests.Outcome.Done done -> done.changed() ? ApiResponse.ok(view(done.rollout()))
                    : ApiResponse.error(409, "refused", "no rolling restart is running: " + done.rollout().id() + " had already ended ("
                            + done.rollout().state() + ")");
            case RolloutRequests.Outcome.Refused refused -> ApiResponse.error(409, "refused", refused.message());
            case RolloutRequests.Outcome.Planned planned -> throw new IllegalStateException("BUG: a cancel is never a plan");
        };
    }

    static RolloutView view(Rollout rollout) {
        return new RolloutView(rollout.id(), rollout.reason(), rollout.state().wireName(), rollout.startedAt(), rollout.endedAt(), rollout.updatedAt(),
                rollout.nodeTimeout().toSeconds(), (int) rollout.done(), rollout.steps().size(), rollout.stoppedBecause(),
                rollout.steps().stream().map(step -> new RolloutView.Step(step.node(), step.name(), step.phase().wireName(), step.phaseSince(),
                        step.startedAt(), step.doneAt(), step.waitingFor())).toList());
    }

    /** A validated start request. */
    record StartRequest(List<String> nodes, String zone, Duration nodeTimeout, String reason, boolean dryRun) {

        static StartRequest parse(byte[] body) {
            if (body.length == 0) {
                return new StartRequest(List.of(), null, RolloutRequests.DEFAULT_NODE_TIMEOUT, "", false);
            }
            ObjectNode object = RequestBodies.object(body, START_FIELDS, "{\"nodes\": [\"worker-1\", \"worker-2\"]}");
            List<String> nodes = RequestBodies.nodeNames(object);
            String zone = RequestBodies.zone(object);
            if (!nodes.isEmpty() && zone != null) {
                throw new IllegalArgumentException("give 'nodes' or 'zone', not both");
            }
            Duration timeout = RolloutRequests.DEFAULT_NODE_TIMEOUT;
            JsonNode seconds = object.get("nodeTimeoutSeconds");
            if (seconds != null && !seconds.isNull()) {
                if (!seconds.isIntegralNumber() || seconds.longValue() < 10 || seconds.longValue() > Rollout.MAX_NODE_TIMEOUT.toSeconds()) {
                    throw new IllegalArgumentException("field 'nodeTimeoutSeconds' must be a whole number of seconds between 10 and "
                            + Rollout.MAX_NODE_TIMEOUT.toSeconds() + ", got " + seconds);
                }
                timeout = Duration.ofSeconds(seconds.longValue());
            }
            return new StartRequest(List.copyOf(nodes), zone, timeout, RequestBodies.reason(object), RequestBodies.flag(object, "dryRun"));
        }
    }
}
