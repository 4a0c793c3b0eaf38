package dev.sluice.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What to tell an operator whose change was answered {@code 401}: which token was sent and where it came
 * from, whether it belongs to another cluster than the one answering, and where the right one is. "The token
 * is wrong" alone left an operator guessing which of several clusters' tokens the CLI had read.
 */
final class TokenAdvice {

    private TokenAdvice() {}

    static String explain(URI url, Optional<ClusterOptions.Credential> sent, String serverMessage) {
        SluiceHome home = SluiceHome.ofEnvironment();
        if (sent.isEmpty()) {
            return "the cluster at " + url + " needs a token, and none was given: no --token, --token-file or SLUICE_TOKEN, and 'sluice local'"
                    + " recorded none for " + url + " under " + home.root().resolve(SluiceHome.CLUSTERS_DIRECTORY) + ". " + whereLocalTokensAre();
        }
        ClusterOptions.Credential credential = sent.get();
        StringBuilder text = new StringBuilder("the cluster at ").append(url).append(" refused the token from ").append(credential.origin())
                .append(" (HTTP 401: ").append(serverMessage).append(").");
        if (credential.recorded().isPresent()) {
            SluiceHome.Cluster recorded = credential.recorded().get();
            Optional<Path> origin = recorded.tokenOrigin();
            text.append(" 'sluice local' recorded that token for the cluster ")
                    .append(origin.map(o -> "with its data in " + o.getParent()).orElse("it started on " + recorded.urls().getFirst()))
                    .append(", so the cluster answering at ").append(url).append(" is a different one (or was re-created).");
            Optional<String> now = origin.flatMap(TokenAdvice::read);
            if (origin.isPresent() && now.isPresent() && !now.get().equals(recorded.token())) {
                text.append(" ").append(origin.get()).append(" now holds another token: pass --token-file ").append(origin.get())
                        .append(", or run 'sluice local --data-dir ").append(origin.get().getParent()).append("' to record it.");
            } else {
                text.append(" ").append(whereLocalTokensAre());
            }
            return text.toString();
        }
        Optional<SluiceHome.Cluster> recordedHere = home.clusterAt(url);
        if (recordedHere.isPresent() && !recordedHere.get().token().equals(credential.value())) {
            text.append(" 'sluice local' recorded another token for this address, in ").append(recordedHere.get().tokenFile())
                    .append(": leave out ").append(credential.origin()).append(" to use it.");
        } else {
            text.append(" ").append(whereLocalTokensAre());
        }
        return text.toString();
    }

    private static String whereLocalTokensAre() {
        return "A local cluster keeps its token in <data-dir>/token (./sluice-local/token by default): pass it with --token-file.";
    }

    private static Optional<String> read(Path file) {
        try {
            return Files.isReadable(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8).trim()) : Optional.empty();
        } catch (IOException unreadable) {
            return Optional.empty();
        }
    }
}
