package dev.sluice.cli;

import dev.sluice.model.ByteSizes;
import dev.sluice.wire.TransferView;

/** The line a plan prints about the data its moves copy and the catch-up transfer limit, which the ETA counts. */
final class TransferLine {

    private TransferLine() {}

    /** {@code data to copy: 40 MiB, 20 MiB into the busiest worker, at most 4 MiB/s each (transfer limit)}; empty for a plan without one. */
    static String of(TransferView transfer) {
        if (transfer == null) {
            return "";
        }
        StringBuilder line = new StringBuilder("data to copy: ").append(ByteSizes.human(transfer.bytes()));
        if (transfer.bytes() > 0) {
            line.append(", ").append(ByteSizes.human(transfer.busiestReceiverBytes())).append(" into the busiest worker");
        }
        line.append(transfer.bytesPerSecond() == 0 ? "; no transfer limit"
                : ", at most " + ByteSizes.human(transfer.bytesPerSecond()) + "/s each (transfer limit)");
        if (transfer.unknownSizes() > 0) {
            line.append("; ").append(transfer.unknownSizes()).append(" partition(s) of unknown size counted as empty");
        }
        return line.toString();
    }
}
