package io.imginject.protocol;

/**
 * A cloud-init NoCloud seed for {@code /var/lib/cloud/seed/nocloud/}. Its {@code network-config} comes from the
 * request's structured {@code network} item, when it has one.
 *
 * @param instanceId the {@code instance-id} of {@code meta-data}; cloud-init runs its first-boot modules once per id
 * @param userData the {@code user-data}, as given (it may hold secrets, so it never reaches a log)
 */
public record NoCloudSeed(String instanceId, Secret userData) {}
