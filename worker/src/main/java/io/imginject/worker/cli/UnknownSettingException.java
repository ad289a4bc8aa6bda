package io.imginject.worker.cli;

/**
 * A key in the config file, or an {@code IMGINJECT_*} variable, that names no setting: no command starts with it, and
 * the message names the key and the valid one nearest to it.
 */
final class UnknownSettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnknownSettingException(String message) {
        super(message);
    }
}
