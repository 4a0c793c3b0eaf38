package dev.sluice.worker;

import java.util.Objects;

/**
 * One check a Provisioning worker runs before it activates itself. The worker runs every check in
 * order, repeatedly, until all pass; a failing check keeps it Provisioning and its {@link Outcome} is
 * logged and shown in the worker's status. Checks must be quick (well under a second) and side-effect
 * free apart from what they probe.
 */
public interface WarmUpCheck {

    /** A short kebab-case name ({@code storage}, {@code raft-server}). */
    String name();

    /** Runs the check; an exception counts as a failure with its message as the reason. */
    Outcome run() throws Exception;

    /** What a check found: passed or not, and in words why. */
    record Outcome(boolean passed, String detail) {
        public Outcome {
            Objects.requireNonNull(detail, "detail");
        }

        public static Outcome pass(String detail) {
            return new Outcome(true, detail);
        }

        public static Outcome fail(String detail) {
            return new Outcome(false, detail);
        }
    }

    /** A check by name and function. */
    static WarmUpCheck of(String name, java.util.concurrent.Callable<Outcome> check) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(check, "check");
        return new WarmUpCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Outcome run() throws Exception {
                return check.call();
            }
        };
    }
}
