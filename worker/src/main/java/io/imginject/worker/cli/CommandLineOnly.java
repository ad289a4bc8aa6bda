package io.imginject.worker.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An option that says what one run does, so it is taken only from the command line: a config file shared by every
 * command, or a variable left in the environment, must not select letters for {@code dlq purge}, reveal secrets, give
 * every {@code submit} the same job id (whose kept reply would answer them all) or request file, or make the worker's
 * enabled {@code handlers} every job's order. Such an option is no setting key.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface CommandLineOnly {}
