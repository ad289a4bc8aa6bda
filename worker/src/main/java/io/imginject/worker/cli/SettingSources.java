package io.imginject.worker.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where a setting comes from, in order of precedence: a command-line flag, then the environment
 * ({@code IMGINJECT_IMAGE_ROOT} for key {@code image-root}), then the config file (a properties file, by default
 * {@value #DEFAULT_FILE} when it exists), then the built-in default.
 */
final class SettingSources {
    static final String DEFAULT_FILE = "/etc/imginject/imginject.properties";

    private final Properties file;
    private final Map<String, String> environment;

    private SettingSources(Properties file, Map<String, String> environment) {
        this.file = file;
        this.environment = environment;
    }

    /**
     * @param configFile the file given with --config (which must exist), or null for the default file if present
     */
    static SettingSources load(Path configFile, Map<String, String> environment) {
        Path path = configFile != null ? configFile : Path.of(DEFAULT_FILE);
        Properties properties = new Properties();
        if (configFile != null || Files.exists(path)) {
            try (Reader reader = Files.newBufferedReader(path)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read config file " + path + ": " + e.getMessage(), e);
            }
        }
        return new SettingSources(properties, environment);
    }

    /** The setting {@code key}: {@code flag} if given, else from the environment, else from the file. */
    Optional<String> get(String key, Object flag) {
        if (flag != null) {
            return Optional.of(flag.toString());
        }
        String fromEnvironment = environment.get(environmentName(key));
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return Optional.of(fromEnvironment);
        }
        return Optional.ofNullable(file.getProperty(key)).map(String::strip).filter(v -> !v.isEmpty());
    }

    String get(String key, Object flag, String fallback) {
        return get(key, flag).orElse(fallback);
    }

    static String environmentName(String key) {
        return "IMGINJECT_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }
}
