package io.imginject.worker.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An option that says what one run does (which dead letters to select, reveal, replay where), so it is taken only
 * from the command line: a config file shared by every command, or a variable left in the environment, must not
 * select letters for {@code dlq purge} or reveal secrets. Such an option is no setting key.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface CommandLineOnly {}
