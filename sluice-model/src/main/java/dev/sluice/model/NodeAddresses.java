package dev.sluice.model;

import java.net.URI;
import java.util.Objects;

/**
 * Where other processes reach a node: its Raft endpoint ({@code host:port}, used by the replication
 * layer) and its HTTP base URL (admin API, data API, dashboard).
 */
public record NodeAddresses(String raft, URI http) {

    public NodeAddresses {
        Objects.requireNonNull(raft, "raft");
        Objects.requireNonNull(http, "http");
        int colon = raft.lastIndexOf(':');
        if (colon <= 0 || colon == raft.length() - 1 || !raft.substring(colon + 1).chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("raft address must be host:port, got '" + raft + "'");
        }
        if (!"http".equals(http.getScheme()) && !"https".equals(http.getScheme())) {
            throw new IllegalArgumentException("http address must be an http(s) URL, got '" + http + "'");
        }
    }

    public static NodeAddresses of(String raft, String http) {
        return new NodeAddresses(raft, URI.create(http));
    }
}
