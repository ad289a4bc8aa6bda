package io.imginject.protocol;

/**
 * One thing wrong with a request.
 *
 * @param path where, as a JSON path such as {@code $.inject.files[0].mode}
 * @param message what is wrong and what would be right
 */
public record Problem(String path, String message) {
    @Override
    public String toString() {
        return path + ": " + message;
    }
}
