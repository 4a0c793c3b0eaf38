package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.Scope;
import java.util.List;

/**
 * The credential a request came with, as {@code GET /api/v1/credential} answers it: what the dashboard and
 * {@code sluice credentials whoami} show, and what the dashboard enables its buttons by.
 *
 * @param checked whether the node checks credentials at all; when it does not, every request may do everything
 *     and {@code name} is absent
 * @param name the credential's name (never its token)
 * @param scopes the scopes it was given
 * @param grants every scope it may use, the implied ones included ({@code admin} grants {@code operate} and
 *     {@code read})
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CredentialView(boolean checked, String name, List<Scope> scopes, List<Scope> grants) {
    public CredentialView {
        scopes = Lists.copyOrEmpty(scopes);
        grants = Lists.copyOrEmpty(grants);
    }
}
