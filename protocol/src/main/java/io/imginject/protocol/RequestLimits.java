package io.imginject.protocol;

/**
 * The most a worker takes in one request. A request over a limit is refused with
 * {@link ErrorCode#REQUEST_TOO_LARGE}, naming the limit and the worker setting that sets it.
 *
 * @param maxRequestBytes the largest message body ({@code max-request-bytes})
 * @param maxFiles the most entries in {@code inject.files} ({@code max-files})
 * @param maxFileBytesTotal the most file content, decoded, summed over all files ({@code max-file-bytes-total})
 */
public record RequestLimits(long maxRequestBytes, int maxFiles, long maxFileBytesTotal) {
    /** 8 MiB of body, 100 files, 4 MiB of file content. */
    public static final RequestLimits DEFAULT = new RequestLimits(8L * 1024 * 1024, 100, 4L * 1024 * 1024);

    public RequestLimits {
        if (maxRequestBytes < 1 || maxFiles < 1 || maxFileBytesTotal < 1) {
            throw new IllegalArgumentException(
                    "max-request-bytes, max-files and max-file-bytes-total must be at least 1");
        }
    }

    /** These limits without the one on the body, for a request whose body was checked in another form. */
    public RequestLimits anyBodySize() {
        return new RequestLimits(Long.MAX_VALUE, maxFiles, maxFileBytesTotal);
    }

    /** The refusal of a body of {@code bytes} bytes, or null if it is within the limit. */
    RequestRejectedException bodyTooLarge(long bytes) {
        return bytes <= maxRequestBytes
                ? null
                : tooLarge("the body is " + bytes + " bytes; this worker takes at most " + maxRequestBytes
                        + " (setting max-request-bytes)");
    }

    static RequestRejectedException tooLarge(String message) {
        return new RequestRejectedException(ErrorCode.REQUEST_TOO_LARGE, message);
    }
}
