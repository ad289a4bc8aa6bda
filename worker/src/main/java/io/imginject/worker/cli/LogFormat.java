package io.imginject.worker.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.LoggerFactory;

/**
 * How the commands' log lines on standard error look. Text is logback.xml's pattern; JSON is logback's own
 * {@link JsonEncoder} (no other dependency, released with the logback the worker runs on): one object a line with
 * the timestamp, level, thread, logger, the formatted message, the throwable, and the MDC under {@code mdc} (the
 * job id {@code job}, {@code host}, {@code handler}, {@code error_code}). The unformatted message and its
 * arguments are left out: the formatted message says it all once.
 */
enum LogFormat {
    TEXT,
    JSON;

    /** The name of the standard-error appender in logback.xml. */
    static final String APPENDER = "STDERR";

    /** Makes logback.xml's standard-error appender write this format; without that appender, nothing changes. */
    void apply() {
        if (this == TEXT) {
            return;
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Appender<ILoggingEvent> appender =
                context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(APPENDER);
        if (appender instanceof OutputStreamAppender<ILoggingEvent> stream) {
            stream.stop();
            stream.setEncoder(jsonEncoder(context));
            stream.start();
        }
    }

    private static JsonEncoder jsonEncoder(LoggerContext context) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithContext(false);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithFormattedMessage(true);
        encoder.start();
        return encoder;
    }
}
