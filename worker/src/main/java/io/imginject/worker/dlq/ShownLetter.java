package io.imginject.worker.dlq;

import io.imginject.worker.deadletter.BrokenSealException;
import io.imginject.worker.deadletter.DeadLetterHeaders;
import io.imginject.worker.deadletter.DeadLetterSeal;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A dead letter as {@code imginject dlq show} shows it: what its seal says, and its request, opened where the
 * dead-letter key is at hand and the seal holds, with its password and file contents redacted unless revealed.
 *
 * @param seal what the seal says, in words
 * @param body the body as it may be shown
 */
public record ShownLetter(String seal, String body) {

    /**
     * How {@code letter} is shown: its seal checked, its request opened where the seal holds.
     *
     * @param seal the seal to open it with, if the key could be read
     * @param withoutKey why the key could not be read, when it could not
     * @param reveal show the request in full, secrets included
     */
    public static ShownLetter of(DeadLetter letter, Optional<DeadLetterSeal> seal, String withoutKey, boolean reveal) {
        if (!letter.isSealed()) {
            return new ShownLetter(
                    "none: no worker sealed this letter, so nothing on it can be trusted and replay refuses it",
                    shown(letter.body(), reveal));
        }
        if (seal.isEmpty()) {
            return new ShownLetter(
                    "not checked: " + withoutKey,
                    "(the body is sealed; it cannot be shown without the dead-letter key)");
        }
        try {
            byte[] request = seal.get().open(letter.properties(), letter.body());
            return new ShownLetter(
                    "holds (key " + letter.header(DeadLetterHeaders.SEAL_KEY).orElse("-") + ")",
                    shown(request, reveal));
        } catch (BrokenSealException e) {
            return new ShownLetter("BROKEN: " + e.getMessage(), "(the body is not shown: its seal does not hold)");
        }
    }

    private static String shown(byte[] request, boolean reveal) {
        return reveal ? new String(request, StandardCharsets.UTF_8) : RedactedBody.of(request);
    }
}
