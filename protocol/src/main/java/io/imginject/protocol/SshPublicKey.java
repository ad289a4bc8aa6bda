package io.imginject.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One OpenSSH {@code authorized_keys} line: optional options, the key type, the base64 key blob and an optional
 * comment. Two lines hold the same key when type and blob are equal, whatever their options and comments.
 */
public record SshPublicKey(Optional<String> options, String type, String blob, Optional<String> comment) {

    private static final Set<String> KEY_TYPES = Set.of(
            "ssh-ed25519",
            "ssh-rsa",
            "ssh-dss",
            "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521",
            "sk-ssh-ed25519@openssh.com",
            "sk-ecdsa-sha2-nistp256@openssh.com",
            "ssh-ed25519-cert-v01@openssh.com",
            "ssh-rsa-cert-v01@openssh.com",
            "ecdsa-sha2-nistp256-cert-v01@openssh.com",
            "ecdsa-sha2-nistp384-cert-v01@openssh.com",
            "ecdsa-sha2-nistp521-cert-v01@openssh.com",
            "sk-ssh-ed25519-cert-v01@openssh.com",
            "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com");

    /**
     * Parses a key as a scheduler sends it.
     *
     * @throws IllegalArgumentException with a message that says what is wrong
     */
    public static SshPublicKey parse(String text) {
        String line = text.strip();
        if (line.isEmpty()) {
            throw new IllegalArgumentException("is empty");
        }
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\n' || c == '\r') {
                throw new IllegalArgumentException("must be a single line (one key per request)");
            }
            if (Character.isISOControl(c) && c != '\t') {
                throw new IllegalArgumentException("contains control character U+%04X".formatted((int) c));
            }
        }
        List<String> tokens = tokens(line);
        for (int i = 0; i + 1 < tokens.size(); i++) {
            if (KEY_TYPES.contains(tokens.get(i))) {
                String type = tokens.get(i);
                String blob = tokens.get(i + 1);
                checkBlob(type, blob);
                Optional<String> options =
                        i == 0 ? Optional.empty() : Optional.of(String.join(" ", tokens.subList(0, i)));
                List<String> rest = tokens.subList(i + 2, tokens.size());
                Optional<String> comment = rest.isEmpty() ? Optional.empty() : Optional.of(String.join(" ", rest));
                return new SshPublicKey(options, type, blob, comment);
            }
        }
        throw new IllegalArgumentException("is not an OpenSSH public key: expected \"[options] TYPE BASE64 [comment]\" "
                + "with TYPE one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521, sk-... or a -cert-v01 variant");
    }

    /** Parses a line of an existing {@code authorized_keys} file; comments, blanks and junk give empty. */
    public static Optional<SshPublicKey> parseExisting(String line) {
        String stripped = line.strip();
        if (stripped.isEmpty() || stripped.startsWith("#")) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(stripped));
        } catch (IllegalArgumentException notAKey) {
            return Optional.empty();
        }
    }

    /** Whether {@code other} is the same key (type and blob), ignoring options and comment. */
    public boolean sameKeyAs(SshPublicKey other) {
        return type.equals(other.type) && blob.equals(other.blob);
    }

    /** The line as it goes into {@code authorized_keys}, without a newline. */
    public String line() {
        StringBuilder sb = new StringBuilder();
        options.ifPresent(o -> sb.append(o).append(' '));
        sb.append(type).append(' ').append(blob);
        comment.ifPresent(c -> sb.append(' ').append(c));
        return sb.toString();
    }

    @Override
    public String toString() {
        return type + " ..." + blob.substring(Math.max(0, blob.length() - 8))
                + comment.map(c -> " " + c).orElse("");
    }

    private static void checkBlob(String type, String blob) {
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(blob);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("has a key body that is not valid base64");
        }
        ByteBuffer buffer = ByteBuffer.wrap(decoded);
        String embedded;
        try {
            int length = buffer.getInt();
            if (length <= 0 || length > buffer.remaining()) {
                throw new IllegalArgumentException("has a key body that is not an SSH public key blob");
            }
            byte[] name = new byte[length];
            buffer.get(name);
            embedded = new String(name, StandardCharsets.US_ASCII);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("has a key body that is too short to be an SSH public key");
        }
        if (!embedded.equals(type)) {
            throw new IllegalArgumentException("says type " + type + " but its body holds a " + embedded + " key");
        }
    }

    /** Splits on blanks, keeping double-quoted option values (which may hold blanks) in one token. */
    private static List<String> tokens(String line) {
        List<String> tokens = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && quoted && i + 1 < line.length()) {
                current.append(c).append(line.charAt(++i));
            } else if (c == '"') {
                quoted = !quoted;
                current.append(c);
            } else if ((c == ' ' || c == '\t') && !quoted) {
                if (current.length() > 0) {
                    tokens.add(current.toString());
                    current.setLength(0);
                }
            } else {
                current.append(c);
            }
        }
        if (current.length() > 0) {
            tokens.add(current.toString());
        }
        return tokens;
    }
}
