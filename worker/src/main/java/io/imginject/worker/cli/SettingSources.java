package io.imginject.worker.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where a setting comes from, in order of precedence: a command-line flag, then the environment
 * ({@code IMGINJECT_IMAGE_ROOT} for key {@code image-root}), then the config file (a properties file, by default
 * {@value #DEFAULT_FILE} when it exists), then the option's default. As picocli's default value provider it gives
 * every option of every command that was not on the command line its value from the environment or the file; the key
 * of an option is its long name without {@code --}.
 */
final class SettingSources implements IDefaultValueProvider {
    static final String DEFAULT_FILE = "/etc/imginject/imginject.properties";

    private final Path path;
    private final Properties file;
    private final Map<String, String> environment;

    private SettingSources(Path path, Properties file, Map<String, String> environment) {
        this.path = path;
        this.file = file;
        this.environment = Map.copyOf(environment);
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
        return new SettingSources(path, properties, environment);
    }

    /**
     * Fails with the first key of the file, and the first {@code IMGINJECT_*} variable of the environment, that names
     * no setting of {@code keys}.
     */
    void requireKnown(SettingKeys keys) {
        for (String key : file.stringPropertyNames().stream().sorted().toList()) {
            keys.requireFileKey(key, path);
        }
        for (String variable : environment.keySet().stream().sorted().toList()) {
            keys.requireEnvironmentVariable(variable);
        }
    }

    /**
     * The value of the option {@code arg}, when it is a setting, from the environment, else from the file; null when
     * neither has it.
     */
    @Override
    public String defaultValue(ArgSpec arg) {
        return arg instanceof OptionSpec option && SettingKeys.isSetting(option)
                ? get(SettingKeys.keyOf(option)).orElse(null)
                : null;
    }

    /** The setting {@code key} from the environment, else from the file. */
    Optional<String> get(String key) {
        String fromEnvironment = environment.get(environmentName(key));
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return Optional.of(fromEnvironment);
        }
        return Optional.ofNullable(file.getProperty(key)).map(String::strip).filter(v -> !v.isEmpty());
    }

    static String environmentName(String key) {
        return SettingKeys.ENVIRONMENT_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }
}
